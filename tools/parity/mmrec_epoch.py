#!/usr/bin/python3
"""Times MMRec's FREEDOM or VBPR training epoch on TikTok on this machine's CPU, for a same-sitting
ratio against ours (`./diffmm train --model freedom|vbpr --preset tiktok --data ../shared/data/tiktok
--epochs 3`, whose log prints each epoch's recommendation_training seconds).

Usage: /usr/bin/python3 tools/parity/mmrec_epoch.py MMREC_GIT_DIR DATA_DIR MODEL [EPOCHS] [THREADS]
MODEL: freedom or vbpr.

MMRec's src/models/MODEL.py and the src/common (and, for FREEDOM, src/utils/utils.py) files it
imports are extracted and imported as published (as freedom_fixtures.py and vbpr_fixtures.py do).
GeneralRecommender reads the feature files itself from data_path + dataset: DATA_DIR's
image_feat.npy is linked in as its vision_feature_file (v_feat) and audio_feat.npy as its
text_feature_file (t_feat), the mapping our ports use on TikTok (FREEDOM's mm_image_weight goes to
the image graph, audio takes text's share; VBPR's input is cat(t_feat, v_feat)). The features are
float16 on disk; MMRec casts them to float32 as it loads them.

Settings are those of our `tiktok` presets, which are MMRec's defaults (overall.yaml: Adam lr 1e-3,
batch 2048; FREEDOM.yaml: embedding 64, knn_k 10, n_mm_layers 1, n_ui_layers 2, mm_image_weight
0.1, the grids' first values dropout 0.8 and reg_weight 0.0; VBPR.yaml: embedding 64, the grid's
first reg_weight 2.0). The frozen kNN item graph is built once in the constructor (not timed; MMRec
caches it to a .pt file in the dataset directory, here a temporary one).

MMRec's Trainer and data loader are not used (they need its whole framework and pandas): the loop
below is what Trainer.fit times per epoch (training_start_time .. training_end_time):
model.pre_epoch_processing() (FREEDOM's degree-sensitive edge pruning; a no-op for VBPR), then
_train_epoch's per-batch zero_grad, calculate_loss, loss.item(), backward, step. The training pairs
are shuffled each epoch and cut into batches of 2048, each with one negative per pair drawn as
TrainDataLoader._sample_neg_ids draws it (random.sample of one of the training items, redrawn while
it is in the user's training history). Not included: the pandas slicing of each batch and the
per-batch interaction.clone() of their loop (small next to the model's work). Prints one JSON line
with every epoch's seconds and their median.
"""
import importlib
import json
import os
import pickle
import random
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import MmrecDataset, extract_mmrec, git_head  # noqa: E402

BATCH = 2048
LR = 1e-3
SEED = 421
MODEL_KEYS = {
    'freedom': dict(embedding_size=64, feat_embed_dim=64, weight_size=[64, 64], lambda_coeff=0.9, reg_weight=0.0,
                    n_mm_layers=1, n_ui_layers=2, knn_k=10, mm_image_weight=0.1, dropout=0.8, degree_ratio=None,
                    cf_model='lightgcn'),
    'vbpr': dict(embedding_size=64, reg_weight=2.0),
}
CLASSES = {'freedom': 'FREEDOM', 'vbpr': 'VBPR'}


def main():
    git_dir, data_dir, model_name = sys.argv[1], sys.argv[2], sys.argv[3]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else os.cpu_count()
    if model_name not in MODEL_KEYS:
        sys.exit('MODEL must be one of ' + ', '.join(MODEL_KEYS))
    torch.set_num_threads(threads)
    extra = ['src/utils/utils.py'] if model_name == 'freedom' else []
    extract_mmrec(git_dir, model_name, extra=extra, strip_cuda=False)
    module = importlib.import_module('models.' + model_name)

    with open(os.path.join(data_dir, 'trnMat.pkl'), 'rb') as f:
        mat = pickle.load(f).tocoo()
    mat.data[:] = 1.0
    root = tempfile.mkdtemp(prefix='mmrec-epoch-')
    os.makedirs(os.path.join(root, 'tiktok'))
    for name in ('image_feat.npy', 'audio_feat.npy'):
        os.symlink(os.path.abspath(os.path.join(data_dir, name)), os.path.join(root, 'tiktok', name))
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_',
              'train_batch_size': BATCH, 'device': 'cpu', 'end2end': False, 'is_multimodal_model': True,
              'data_path': root + os.sep, 'dataset': 'tiktok', 'vision_feature_file': 'image_feat.npy',
              'text_feature_file': 'audio_feat.npy'}
    config.update(MODEL_KEYS[model_name])

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    model = getattr(module, CLASSES[model_name])(config, MmrecDataset(mat))
    print('model built in %.1f s (not counted)' % (time.perf_counter() - t0), file=sys.stderr)
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    users, items = mat.row.astype(np.int64), mat.col.astype(np.int64)
    history = {}
    for u, i in zip(users.tolist(), items.tolist()):
        history.setdefault(u, set()).add(i)
    all_items = sorted(set(items.tolist()))
    random.shuffle(all_items)  # TrainDataLoader.pretrain_setup
    seconds = []
    for epoch in range(epochs):
        start = time.perf_counter()
        model.pre_epoch_processing()
        model.train()
        order = np.random.permutation(len(users))
        total = 0.0
        for b in range(0, len(order), BATCH):
            idx = order[b:b + BATCH]
            u, p = users[idx], items[idx]
            neg = []
            for user in u.tolist():
                iid = random.sample(all_items, 1)[0]
                while iid in history[user]:
                    iid = random.sample(all_items, 1)[0]
                neg.append(iid)
            interaction = torch.stack((torch.from_numpy(u), torch.from_numpy(p), torch.tensor(neg, dtype=torch.long)))
            opt.zero_grad()
            loss = model.calculate_loss(interaction)
            total += loss.item()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
        print('epoch %d: %.2f s, loss sum %.4f' % (epoch, seconds[-1], total), file=sys.stderr)
    print(json.dumps({'model': model_name, 'reference': 'enoche/MMRec@%s src/models/%s.py'
                      % (git_head(git_dir)[:7], model_name), 'threads': threads,
                      'epoch_seconds': [round(s, 3) for s in seconds],
                      'epoch_seconds_median': round(statistics.median(seconds), 3)}))


if __name__ == '__main__':
    main()
