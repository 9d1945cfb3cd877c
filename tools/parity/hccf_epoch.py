#!/usr/bin/python3
"""Times the authors' HCCF (akaxlh/HCCF torchVersion/, PyTorch on CPU) on TikTok, for a same-sitting ratio
against `./diffmm train --model hccf --preset amazon` (its per-epoch training seconds).

Usage: /usr/bin/python3 tools/parity/hccf_epoch.py GIT_DIR [EPOCHS] [SEED] [TEST_EVERY]
  GIT_DIR: git directory of akaxlh/HCCF (e.g. /work/.mirror/akaxlh+HCCF/repo); EPOCHS defaults to 1, SEED to 421.
  TEST_EVERY: also run their testEpoch after every TEST_EVERY-th epoch (their --tstEpoch is 3) and print a JSON
  line per test (epoch, loss, recall@20, ndcg@20): their own learning curve on TikTok, to set beside ours.
  HCCF_FLAGS (environment): their flags instead of the preset's, e.g. '--data yelp' for Params.py's defaults.
  Threads: torch's default (all cores) unless OMP_NUM_THREADS is set.
  Data: ../shared/data/tiktok relative to the project root (trnMat.pkl, tstMat.pkl: their format), or $HCCF_DATA.

Their Main.py, Model.py, Params.py, DataHandler.py and Utils/ are extracted from GIT_DIR's HEAD to a temporary
directory with `.cuda()` removed (setproctitle stubbed if absent) and run as published: Params.py parses the
flags below (our `amazon` preset: the README's torch line for Amazon, `--reg 1e-6 --ssl_reg 0.2 --temp 0.1`,
keepRate 0.5 by default); DataHandler reads the TikTok pickles from where its 'yelp' path points; Coach's
trainEpoch (negative sampling included, as they run it) and testEpoch (their full ranking of the test users) are
timed per epoch. Prints one JSON object: train_seconds (per epoch), test_seconds, losses, recall@20, ndcg@20.
"""
import importlib
import json
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity_common import extract, git_head, stub_module  # noqa: E402

FLAGS = os.environ.get('HCCF_FLAGS', '--data yelp --reg 1e-6 --ssl_reg 0.2 --temp 0.1').split()


def main():
    git_dir = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 421
    test_every = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    data = os.environ.get('HCCF_DATA', os.path.join(HERE, '..', '..', '..', 'shared', 'data', 'tiktok'))
    files = ['torchVersion/Main.py', 'torchVersion/Model.py', 'torchVersion/Params.py', 'torchVersion/DataHandler.py',
             'torchVersion/Utils/Utils.py', 'torchVersion/Utils/TimeLogger.py']
    work = extract(git_dir, files)
    os.makedirs(os.path.join(work, 'Data', 'yelp'))
    for f in ('trnMat.pkl', 'tstMat.pkl'):
        shutil.copy(os.path.join(data, f), os.path.join(work, 'Data', 'yelp', f))
    os.chdir(os.path.join(work, 'torchVersion'))  # DataHandler reads ../Data/yelp/
    sys.path.insert(0, os.getcwd())
    try:
        import setproctitle  # noqa: F401
    except ImportError:
        stub_module('setproctitle', setproctitle=lambda name: None)
    sys.argv = ['Main.py'] + FLAGS + ['--epoch', str(epochs)]

    import numpy as np
    import torch
    np.random.seed(seed)
    torch.manual_seed(seed)
    main_mod = importlib.import_module('Main')
    args = main_mod.args
    handler = main_mod.DataHandler()
    handler.LoadData()
    coach = main_mod.Coach(handler)
    coach.prepareModel()
    train, test, losses, recall, ndcg = [], [], [], None, None
    for epoch in range(epochs):
        t0 = time.time()
        res = coach.trainEpoch()
        train.append(time.time() - t0)
        losses.append(res['Loss'])
        if test_every and (epoch + 1) % test_every == 0:
            curve = coach.testEpoch()
            print(json.dumps({'epoch': epoch, 'loss': res['Loss'], 'recall@20': curve['Recall'],
                              'ndcg@20': curve['NDCG']}), flush=True)
    t0 = time.time()
    res = coach.testEpoch()
    test.append(time.time() - t0)
    recall, ndcg = res['Recall'], res['NDCG']
    print()
    print(json.dumps({'reference': 'akaxlh/HCCF@' + git_head(git_dir)[:7] + ' torchVersion', 'torch': torch.__version__,
                      'threads': torch.get_num_threads(), 'flags': ' '.join(FLAGS), 'users': args.user,
                      'items': args.item, 'batch': args.batch, 'train_seconds': train, 'test_seconds': test,
                      'losses': losses, 'recall@20': recall, 'ndcg@20': ndcg}))


if __name__ == '__main__':
    main()
