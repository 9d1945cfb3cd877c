#!/usr/bin/python3
"""Trains MMRec's BM3 on TikTok for a few epochs and prints its training curve (per-epoch mean batch
loss with its ui / reg / cl parts, validation and test Recall@20), for a side-by-side comparison with
ours (`./diffmm train --model bm3 --preset tiktok --data ../shared/data/tiktok --epochs N --seed S`,
whose log prints the same figures each epoch).

Usage: /usr/bin/python3 tools/parity/bm3_curve.py MMREC_GIT_DIR DATA_DIR [EPOCHS] [SEED] [key=value ...]
keys: n_layers, dropout, reg_weight, cl_weight, lr, batch (defaults: our tiktok preset, i.e. MMRec's
BM3.yaml grid's first values n_layers 1, dropout 0.3, reg_weight 0.1, cl_weight 2.0, overall.yaml's
Adam lr 1e-3 (weight_decay 0, LambdaLR 1.0^(epoch/50) = constant), batch 2048).
Run it on one thread: OMP_NUM_THREADS=1.

MMRec's src/models/bm3.py and the src/common files it imports are extracted and imported as
published. As in mmrec_epoch.py, image_feat.npy is its vision_feature_file (v_feat) and audio_feat.npy
its text_feature_file (t_feat). The loop is Trainer._train_epoch's (zero_grad, calculate_loss,
backward, Adam step) over TrainDataLoader with use_neg_sampling False: the training pairs shuffled each
epoch and cut into batches of 2048, [users; items] per batch. The loss parts are read off by wrapping
the module's cosine_similarity (called for loss_t, loss_tv, loss_v, loss_vt, loss_ui, loss_iu in that
order) and its EmbLoss; the reported total is calculate_loss's own value.

Evaluation is Trainer.evaluate's: full_sort_predict for every user, the user's training items masked,
top 20; Recall@20 = hits / |held-out items|, averaged over the users with held-out items
(valMat / tstMat), the training items alone masked in both, as ours (eval.Evaluator).
"""
import importlib
import json
import os
import pickle
import random
import sys
import tempfile
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import MmrecDataset, extract_mmrec, git_head  # noqa: E402


def load(data_dir, name):
    with open(os.path.join(data_dir, name), 'rb') as f:
        m = pickle.load(f).tocsr()
    m.data[:] = 1.0
    return m


def recall_at(scores, train, held, k=20):
    scores = scores.clone()
    t = train.tocoo()
    scores[torch.from_numpy(t.row.astype(np.int64)), torch.from_numpy(t.col.astype(np.int64))] = -np.inf
    top = torch.topk(scores, k, dim=1).indices.numpy()
    rows = np.nonzero(held.getnnz(axis=1))[0]
    total = 0.0
    for u in rows:
        h = held.indices[held.indptr[u]:held.indptr[u + 1]]
        total += len(np.intersect1d(top[u], h)) / len(h)
    return total / len(rows)


def main():
    git_dir, data_dir = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 421
    keys = dict(n_layers=1, dropout=0.3, reg_weight=0.1, cl_weight=2.0, lr=1e-3, batch=2048)
    for kv in sys.argv[5:]:
        k, v = kv.split('=')
        keys[k] = type(keys[k])(v)
    torch.set_num_threads(1)
    extract_mmrec(git_dir, 'bm3', strip_cuda=False)
    bm3 = importlib.import_module('models.bm3')

    train = load(data_dir, 'trnMat.pkl')
    val = load(data_dir, 'valMat.pkl')
    test = load(data_dir, 'tstMat.pkl')
    root = tempfile.mkdtemp(prefix='mmrec-bm3-')
    os.makedirs(os.path.join(root, 'tiktok'))
    for name in ('image_feat.npy', 'audio_feat.npy'):
        os.symlink(os.path.abspath(os.path.join(data_dir, name)), os.path.join(root, 'tiktok', name))
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_',
              'train_batch_size': keys['batch'], 'device': 'cpu', 'end2end': False, 'is_multimodal_model': True,
              'data_path': root + os.sep, 'dataset': 'tiktok', 'vision_feature_file': 'image_feat.npy',
              'text_feature_file': 'audio_feat.npy', 'embedding_size': 64, 'feat_embed_dim': 64,
              'n_layers': keys['n_layers'], 'dropout': keys['dropout'], 'reg_weight': keys['reg_weight'],
              'cl_weight': keys['cl_weight']}

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = bm3.BM3(config, MmrecDataset(train.tocoo()))
    opt = torch.optim.Adam(model.parameters(), lr=keys['lr'], weight_decay=0.0)

    cos_means = []
    published_cos = bm3.cosine_similarity

    def recorded_cos(a, b, dim):
        c = published_cos(a, b, dim=dim)
        cos_means.append(c.mean().item())
        return c

    bm3.cosine_similarity = recorded_cos
    regs = []
    published_reg = model.reg_loss.forward

    def recorded_reg(*e):
        r = published_reg(*e)
        regs.append(r.item())
        return r

    model.reg_loss.forward = recorded_reg

    coo = train.tocoo()
    users, items = coo.row.astype(np.int64), coo.col.astype(np.int64)
    print(json.dumps({'reference': 'enoche/MMRec@%s src/models/bm3.py' % git_head(git_dir)[:7], 'seed': seed,
                      **keys}), flush=True)
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        order = np.random.permutation(len(users))
        parts = []
        for b in range(0, len(order), keys['batch']):
            idx = order[b:b + keys['batch']]
            interaction = torch.stack((torch.from_numpy(users[idx]), torch.from_numpy(items[idx])))
            cos_means.clear()
            regs.clear()
            opt.zero_grad()
            loss = model.calculate_loss(interaction)
            c = cos_means
            ui = (1 - c[4]) + (1 - c[5])
            cl = keys['cl_weight'] * (4 - sum(c[:4]))
            parts.append((loss.item(), ui, keys['reg_weight'] * regs[0], cl))
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            scores = model.full_sort_predict((torch.arange(train.shape[0]),))
        m = np.mean(np.array(parts), axis=0)
        print('epoch %d | loss=%.4f ui=%.5f reg=%.8f cl=%.4f | val recall@20=%.4f | test recall@20=%.4f | %.1fs'
              % (epoch, m[0], m[1], m[2], m[3], recall_at(scores, train, val), recall_at(scores, train, test),
                 seconds), flush=True)


if __name__ == '__main__':
    main()
