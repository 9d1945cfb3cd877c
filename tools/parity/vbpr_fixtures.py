#!/usr/bin/python3
"""VBPR parity fixtures from MMRec's implementation (enoche/MMRec, src/models/vbpr.py).

Usage: /usr/bin/python3 tools/parity/vbpr_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/vbpr.
"""
import importlib
import os
import sys

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

REG = 0.1


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('vbpr')
    ref = extract_mmrec(git_dir, 'vbpr', strip_cuda=False)
    vbpr = importlib.import_module('models.vbpr')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    model = vbpr.VBPR(mm.config(reg_weight=REG), mm.Dataset(mm.interaction_matrix()))
    with torch.no_grad():  # off its zero start, so that it is loaded and checked
        model.item_linear.bias.normal_(0, 0.3)

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/vbpr.py, src/common/{abstract_recommender,loss,init}.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    out.put('reg_weight', REG)
    out.array('u_embedding', model.u_embedding); out.array('i_embedding', model.i_embedding)
    # input columns: torch.cat((t_feat, v_feat), -1), text first
    out.array('item_linear_weight', model.item_linear.weight); out.array('item_linear_bias', model.item_linear.bias)
    users, items = model.forward()
    out.array('forward_items', items)
    b = mm.batch()
    loss = model.calculate_loss(b)
    u_e, p_e, n_e = users[b[0]], items[b[1]], items[b[2]]
    mf = model.loss(torch.mul(u_e, p_e).sum(dim=1), torch.mul(u_e, n_e).sum(dim=1))
    emb = model.reg_loss(u_e, p_e, n_e)
    assert torch.allclose(loss, mf + REG * emb)
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('reg_term', REG * emb)
    model.zero_grad()
    loss.backward()
    out.array('grad_u_embedding', model.u_embedding.grad); out.array('grad_i_embedding', model.i_embedding.grad)
    out.array('grad_item_linear_weight', model.item_linear.weight.grad)
    out.array('grad_item_linear_bias', model.item_linear.bias.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
