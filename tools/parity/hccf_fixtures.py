#!/usr/bin/python3
"""HCCF parity fixtures from the authors' PyTorch code (akaxlh/HCCF, torchVersion/).

Usage: /usr/bin/python3 tools/parity/hccf_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of akaxlh/HCCF; OUT_DIR defaults to diffmm-core/src/test/resources/parity/hccf.

torchVersion/{Model,Params,Main,DataHandler}.py and torchVersion/Utils/{Utils,TimeLogger}.py are extracted
from GIT_DIR's HEAD to a temporary directory with `.cuda()` removed and imported as published. Params.py
parses sys.argv at import, so sys.argv is set to the fixture's flags first (their parser, their defaults
for everything else). setproctitle, which Main.py imports, is stubbed. The graph is their
DataHandler.makeTorchAdj; the loss is Main.py's block from `calcLosses` to `loss = ...`, cut out of
Coach.trainEpoch's source and executed.

(a) keepRate 1: no edge dropout, F.dropout with p = 0. (b) keepRate 0.5: the edges SpAdjDropEdge keeps and
the masks F.dropout applies are recorded as they are drawn (torch seeded) and written, so that the test
can apply the same ones.
"""
import importlib
import os
import re
import sys
import textwrap

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract, FixtureWriter, git_head, output_dir, stub_module  # noqa: E402

SEED = 421
USERS, ITEMS = 7, 9
# item 8 has no training interaction (an empty row of the graph, a zero row of the GCN view)
TRAIN = [(0, 0), (0, 3), (0, 7), (1, 1), (1, 4), (2, 2), (2, 5), (3, 0), (3, 6),
         (4, 1), (4, 3), (4, 5), (5, 7), (5, 0), (6, 2), (6, 4), (6, 6)]
# users 4 and 6 and positive 5 twice: the contrastive terms run over torch.unique of them
BATCH_USERS = [0, 4, 2, 4, 6, 3, 6]
BATCH_POS = [3, 1, 5, 5, 6, 0, 2]
BATCH_NEG = [5, 7, 8, 2, 1, 4, 8]
# small sizes; reg and ssl_reg large enough that each term's share of the gradients is above the
# tolerance; temp off its default so that the division is pinned
FLAGS = ['--latdim', '4', '--hyperNum', '5', '--gnn_layer', '2', '--reg', '1e-2', '--ssl_reg', '0.3',
         '--temp', '0.5', '--keepRate', '1.0']
KEEP_B = 0.5
SCALE = 0.5


def loss_block(main_src):
    """Main.py's lines from `bprLoss, sslLoss = self.model.calcLosses(` to `loss = bprLoss + ...`."""
    m = re.search(r'\n([ \t]*)bprLoss, sslLoss = self\.model\.calcLosses\(.*?\n[ \t]*loss = bprLoss[^\n]*\n', main_src,
                  re.S)
    assert m, 'Main.py is not the version this script knows'
    return textwrap.dedent(m.group(0).lstrip('\n'))


class Recording(torch.nn.Module):
    """Wraps SpAdjDropEdge: records each adjacency it returns (dense)."""

    def __init__(self, inner, out):
        super().__init__()
        self.inner = inner
        self.out = out

    def forward(self, adj, keepRate):
        kept = self.inner(adj, keepRate)
        self.out.append(kept.to_dense().clone())
        return kept


class RecordingF:
    """torch.nn.functional for Model.py, with dropout recording its multiplier (0 or 1/(1-p))."""

    def __init__(self, real, out):
        self.real = real
        self.out = out

    def __getattr__(self, name):
        return getattr(self.real, name)

    def dropout(self, x, p=0.5, **kw):
        y = self.real.dropout(x, p=p, **kw)
        self.out.append(((y != 0).float() / (1 - p)).detach().clone())
        return y


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('hccf')
    files = ['torchVersion/Model.py', 'torchVersion/Params.py', 'torchVersion/Main.py', 'torchVersion/DataHandler.py',
             'torchVersion/Utils/Utils.py', 'torchVersion/Utils/TimeLogger.py']
    ref = extract(git_dir, files)
    sys.path.insert(0, os.path.join(ref, 'torchVersion'))
    stub_module('setproctitle', setproctitle=lambda name: None)
    sys.argv = ['Main.py'] + FLAGS
    params = importlib.import_module('Params')
    args = params.args
    args.user, args.item = USERS, ITEMS  # DataHandler.LoadData sets these from trnMat.shape
    model_mod = importlib.import_module('Model')
    handler_mod = importlib.import_module('DataHandler')
    utils = importlib.import_module('Utils.Utils')
    main_mod = importlib.import_module('Main')
    with open(os.path.join(ref, 'torchVersion', 'Main.py')) as f:
        block = compile(loss_block(f.read()), 'Main.py:trainEpoch', 'exec')
    import scipy.sparse as sp

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    trn = sp.coo_matrix((np.ones(len(TRAIN), dtype=np.float32), (u, i)), shape=(USERS, ITEMS))
    adj = handler_mod.DataHandler().makeTorchAdj(trn)
    model = model_mod.Model()
    names = [n for n, _ in model.named_parameters()]
    assert names == ['uEmbeds', 'iEmbeds', 'uHyper', 'iHyper'], names
    # Xavier bounds at 7 and 9 rows are ~30x TikTok's; the hypergraph pass is cubic in the scale, and at
    # these sizes BPR margins reach -100 (their sigmoid().log() gives -inf). Scaled to TikTok-like margins.
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(SCALE)

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'akaxlh/HCCF', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': ', '.join(files)})
    out.put('flags', ' '.join(FLAGS))
    out.put('args', {k: v for k, v in sorted(vars(args).items())})
    out.put('users', USERS); out.put('items', ITEMS)
    out.ints('train_pairs', np.array(TRAIN))
    for n, p in model.named_parameters():
        out.array(n, p)
    out.array('adjacency_dense', adj.to_dense())
    batch = [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]
    out.ints('batch_users', batch[0].reshape(1, -1)); out.ints('batch_positives', batch[1].reshape(1, -1))
    out.ints('batch_negatives', batch[2].reshape(1, -1))

    def run_case(prefix, keep):
        # Coach.trainEpoch's loss block, with self.model, self.handler.torchBiAdj and args.keepRate
        forwards = []
        real_forward = model.forward

        def recording_forward(a, k):
            res = real_forward(a, k)
            forwards.append(res)
            return res
        model.forward = recording_forward
        args.keepRate = keep
        coach = type('Coach', (), {})()
        coach.model = model
        coach.handler = type('Handler', (), {'torchBiAdj': adj})()
        scope = dict(vars(main_mod)); scope.update(self=coach, ancs=batch[0], poss=batch[1], negs=batch[2])
        model.zero_grad()
        exec(block, scope)
        model.forward = real_forward
        assert len(forwards) == 1
        embeds, gcn, hyper = forwards[0]
        loss = scope['loss']
        loss.backward()
        out.array(prefix + 'embeds', embeds)
        for k in range(args.gnn_layer):
            out.array(prefix + 'gcn%d' % k, gcn[k])
            out.array(prefix + 'hyper%d' % k, hyper[k])
        out.scalar(prefix + 'bpr', scope['bprLoss'])
        out.scalar(prefix + 'reg_term', scope['regLoss'])
        out.scalar(prefix + 'ssl_term', scope['sslLoss'])
        out.scalar(prefix + 'loss', loss)
        with torch.no_grad():
            out.scalar(prefix + 'param_square_sum', utils.calcRegLoss(model))
        for n, p in model.named_parameters():
            out.array(prefix + 'grad_' + n, p.grad)

    # (a) keepRate 1
    run_case('', 1.0)
    with torch.no_grad():
        pu, pi = model.predict(adj)
        out.array('predict_users', pu); out.array('predict_items', pi)

    # (b) keepRate 0.5 with the masks recorded as drawn
    edges, drops = [], []
    real_dropper = model.edgeDropper
    model.edgeDropper = Recording(real_dropper, edges)
    real_f = model_mod.F
    model_mod.F = RecordingF(real_f, drops)
    torch.manual_seed(SEED + 1)
    run_case('keep_', KEEP_B)
    model_mod.F = real_f
    model.edgeDropper = real_dropper
    assert len(edges) == args.gnn_layer and len(drops) == 2 * args.gnn_layer
    out.put('keep_keepRate', KEEP_B)
    for k in range(args.gnn_layer):
        out.array('keep_adjacency%d' % k, edges[k])
        out.array('keep_user_mask%d' % k, drops[2 * k])
        out.array('keep_item_mask%d' % k, drops[2 * k + 1])
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
