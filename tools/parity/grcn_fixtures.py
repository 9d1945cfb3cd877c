#!/usr/bin/python3
"""GRCN parity fixtures from MMRec's implementation (enoche/MMRec, src/models/grcn.py).

Usage: /usr/bin/python3 tools/parity/grcn_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/grcn.
PyTorch Geometric is replaced by pyg_standin.py (plain torch; see there and README.md); `.cuda()`
is stripped (its loss has torch.zeros(1).cuda()).
"""
import importlib
import os
import sys
import warnings

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir, stub_module  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402
import pyg_standin  # noqa: E402

REG = 0.1
DIM_C = 3
ROUTING = 2


def main():
    warnings.filterwarnings('ignore')
    git_dir = sys.argv[1]
    out_dir = output_dir('grcn')
    ref = extract_mmrec(git_dir, 'grcn', strip_cuda=True)
    pyg_standin.install()
    stub_module('tqdm', tqdm=None)  # imported, unused
    grcn = importlib.import_module('models.grcn')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    model = grcn.GRCN(mm.config(reg_weight=REG, latent_embedding=DIM_C, n_layers=ROUTING),
                      mm.Dataset(mm.interaction_matrix()))

    # The routing loop is a no-op for the users: its GAT runs over user -> item edges, and with
    # PyG's default flow (source_to_target) messages reach items only.
    for gcn in (model.v_gcn, model.t_gcn):
        p = F.normalize(gcn.preference)
        x = torch.cat((p, F.normalize(F.leaky_relu(gcn.MLP(gcn.features)))), dim=0)
        assert torch.equal(gcn.conv_embed_1(x, model.edge_index)[:mm.USERS], torch.zeros_like(p))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/grcn.py, src/common/{abstract_recommender,loss,init}.py',
                          'torch_geometric': 'tools/parity/pyg_standin.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    out.put('reg_weight', REG); out.put('dim_c', DIM_C); out.put('routing', ROUTING)
    names = [n for n, _ in model.named_parameters()]
    out.put('parameters', names)
    for n, p in model.named_parameters():
        out.array(n, p)
    b = mm.batch()
    loss = model.calculate_loss(b)
    rep = model.result
    out.array('forward', rep)
    users, pos, neg = rep[b[0]], rep[b[1] + mm.USERS], rep[b[2] + mm.USERS]
    mf = -torch.mean(torch.log(torch.sigmoid((users * pos).sum(1) - (users * neg).sum(1))))
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('reg_term', loss - mf)
    model.zero_grad()
    loss.backward()
    for n, p in model.named_parameters():
        out.array('grad_' + n, p.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir), names)


if __name__ == '__main__':
    main()
