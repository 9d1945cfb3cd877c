#!/usr/bin/python3
"""Times RecBole's NGCF training epoch on TikTok on this machine's CPU, for a same-sitting ratio
against ours (`./diffmm train --model ngcf --preset tiktok --data ../shared/data/tiktok --epochs 3`,
whose log prints each epoch's recommendation_training seconds).

Usage: /usr/bin/python3 tools/parity/ngcf_epoch.py RECBOLE_GIT_DIR DATA_DIR [EPOCHS] [THREADS]

RecBole's ngcf.py and the model files it imports are extracted and imported as published (as
ngcf_fixtures.py does); its defaults (NGCF.yaml, overall.yaml): embedding 64, hidden [64,64,64],
message dropout 0.1, node dropout 0, reg 1e-5, Adam lr 1e-3, batch 2048, one uniformly drawn
negative per training pair, the pairs shuffled each epoch. RecBole's trainer and data loader are
not used (they need the whole framework): the loop below is what RecBole's Trainer._train_epoch
does per batch (zero_grad, calculate_loss, backward, step). Negatives are drawn uniformly and
rejected if seen, as RecBole's uniform sampler does. Prints one JSON line with every epoch's
seconds and their median.
"""
import json
import os
import pickle
import statistics
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import RecBoleDataset, import_recbole_model  # noqa: E402


def main():
    git_dir, data_dir = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else os.cpu_count()
    torch.set_num_threads(threads)
    ngcf, _ = import_recbole_model(git_dir, 'ngcf')
    with open(os.path.join(data_dir, 'trnMat.pkl'), 'rb') as f:
        mat = pickle.load(f).tocoo()
    mat.data[:] = 1.0
    torch.manual_seed(421)
    rng = np.random.default_rng(421)
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_', 'device': 'cpu',
              'embedding_size': 64, 'hidden_size_list': [64, 64, 64], 'node_dropout': 0.0, 'message_dropout': 0.1,
              'reg_weight': 1e-5}
    t0 = time.perf_counter()
    model = ngcf.NGCF(config, RecBoleDataset(mat))
    print('model built in %.1f s (not counted)' % (time.perf_counter() - t0), file=sys.stderr)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    users, items = mat.row.astype(np.int64), mat.col.astype(np.int64)
    seen = set(zip(users.tolist(), items.tolist()))
    n_items = mat.shape[1]
    seconds = []
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(len(users))
        for b in range(0, len(order), 2048):
            idx = order[b:b + 2048]
            u, p = users[idx], items[idx]
            n = rng.integers(0, n_items, len(idx))
            for k in range(len(idx)):
                while (int(u[k]), int(n[k])) in seen:
                    n[k] = rng.integers(0, n_items)
            interaction = {'user_id': torch.from_numpy(u), 'item_id': torch.from_numpy(p),
                           'neg_item_id': torch.from_numpy(n)}
            opt.zero_grad()
            loss = model.calculate_loss(interaction)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
        print('epoch %d: %.2f s, last batch loss %.5f' % (epoch, seconds[-1], loss.item()), file=sys.stderr)
    print(json.dumps({'model': 'ngcf', 'reference': 'RecBole ngcf.py', 'threads': threads,
                      'epoch_seconds': [round(s, 3) for s in seconds],
                      'epoch_seconds_median': round(statistics.median(seconds), 3)}))


if __name__ == '__main__':
    main()
