#!/usr/bin/python3
"""MMGCN parity fixtures from MMRec's implementation (enoche/MMRec, src/models/mmgcn.py).

Usage: /usr/bin/python3 tools/parity/mmgcn_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/mmgcn.
PyTorch Geometric is replaced by pyg_standin.py (plain torch; see there and README.md).
"""
import importlib
import os
import sys
import warnings

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402
import pyg_standin  # noqa: E402

REG = 0.1
DIM_LATENT = 6


def main():
    warnings.filterwarnings('ignore')
    git_dir = sys.argv[1]
    out_dir = output_dir('mmgcn')
    ref = extract_mmrec(git_dir, 'mmgcn', strip_cuda=False)
    pyg_standin.install()
    # The one edit of their file: the visual branch's hard-coded dim_latent=256 is narrowed to
    # DIM_LATENT to keep the fixture small (a width, no change of form; the test reads it from meta.json).
    path = os.path.join(ref, 'src', 'models', 'mmgcn.py')
    with open(path) as f:
        text = f.read()
    assert text.count('dim_latent=256') == 1
    with open(path, 'w') as f:
        f.write(text.replace('dim_latent=256', 'dim_latent=%d' % DIM_LATENT))
    mmgcn = importlib.import_module('models.mmgcn')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    model = mmgcn.MMGCN(mm.config(reg_weight=REG, n_layers=2), mm.Dataset(mm.interaction_matrix()))
    assert model.concate == 'False' and bool(model.concate)  # the truthy string: concatenating form
    # id_embedding and the preferences are plain leaf tensors (requires_grad, not nn.Parameters):
    # the optimiser never sees them, but backward() fills their .grad, which we record.
    assert not any(p is model.id_embedding for p in model.parameters())
    assert not any(p is model.v_gcn.preference for p in model.parameters())

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/mmgcn.py, src/common/{abstract_recommender,loss,init}.py',
                          'torch_geometric': 'tools/parity/pyg_standin.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    out.put('reg_weight', REG)
    out.put('dim_latent', model.v_gcn.dim_latent)
    out.array('id_embedding', model.id_embedding)
    names = []
    for prefix, gcn in (('image_gcn', model.v_gcn), ('text_gcn', model.t_gcn)):
        out.array(prefix + '.preference', gcn.preference)
        for name, p in gcn.named_parameters():
            out.array(prefix + '.' + name, p)
            names.append(prefix + '.' + name)
    out.put('parameters', names)

    b = mm.batch()
    loss = model.calculate_loss(b)
    rep = model.result
    out.array('forward', rep)
    users, pos, neg = rep[b[0]], rep[b[1] + mm.USERS], rep[b[2] + mm.USERS]
    mf = -torch.mean(torch.log(torch.sigmoid((users * pos).sum(1) - (users * neg).sum(1))))
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('reg_term', loss - mf)
    model.zero_grad()
    loss.backward()
    out.array('grad_id_embedding', model.id_embedding.grad)
    for prefix, gcn in (('image_gcn', model.v_gcn), ('text_gcn', model.t_gcn)):
        out.array('grad_' + prefix + '.preference', gcn.preference.grad)
        for name, p in gcn.named_parameters():
            out.array('grad_' + prefix + '.' + name, p.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
