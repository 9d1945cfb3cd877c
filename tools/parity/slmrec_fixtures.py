#!/usr/bin/python3
"""SLMRec parity fixtures from MMRec's implementation (enoche/MMRec src/models/slmrec.py, FAC task).

Usage: /usr/bin/python3 tools/parity/slmrec_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/slmrec.

slmrec.py imports torch_scatter and sklearn, which its FAC path never uses: both are stubbed. Image (5 wide)
and text (3 wide) features, as the other multi-modal fixtures (mmrec_multimodal.py).
"""
import importlib
import os
import sys

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (extract_mmrec, FixtureWriter, git_head, output_dir, stub_module,  # noqa: E402
                           write_tables_and_linears)
import mmrec_multimodal as mm  # noqa: E402

LAYERS, TEMP, SSL_TEMP, SSL_ALPHA, WEIGHT_DECAY = 2, 0.2, 0.5, 0.3, 1e-4
PARAMS = ['embedding_user', 'embedding_item', 'v_dense', 't_dense', 'embedding_item_after_GCN',
          'embedding_user_after_GCN', 'g_i_iv', 'g_v_iv', 'g_iv_iva', 'g_iva_ivat', 'g_t_ivat']


class CsrDataset(mm.Dataset):
    def inter_matrix(self, form='coo'):
        assert form == 'csr'
        return self.mat.tocsr()


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('slmrec')
    ref = extract_mmrec(git_dir, 'slmrec', strip_cuda=False)
    stub_module('torch_scatter', scatter=None)
    stub_module('sklearn'); stub_module('sklearn.cluster', KMeans=None)
    slmrec = importlib.import_module('models.slmrec')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    cfg = mm.config(recdim=mm.DIM, layer_num=LAYERS, mm_fusion_mode='concat', temp=TEMP, ssl_task='FAC',
                    ssl_temp=SSL_TEMP, ssl_alpha=SSL_ALPHA, init='xavier', adj_type='pre', weight_decay=WEIGHT_DECAY)
    model = slmrec.SLMRec(cfg, CsrDataset(mm.interaction_matrix()))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/slmrec.py, src/common/{abstract_recommender,loss,init}.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    for k, v in (('layer_num', LAYERS), ('temp', TEMP), ('ssl_temp', SSL_TEMP), ('ssl_alpha', SSL_ALPHA),
                 ('weight_decay', WEIGHT_DECAY)):
        out.put(k, v)
    named = dict(model.named_parameters())
    write_tables_and_linears(out, named, PARAMS)
    out.array('norm_adj_dense', model.norm_adj.to_dense())
    users, items = model.compute()
    out.array('scoring_users', users); out.array('scoring_items', items)
    b = mm.batch()[:2]  # (users, items); SLMRec reads no negatives
    main_loss = model.infonce(b[0], b[1])
    ssl = model.compute_ssl(b[0], b[1])
    loss = model.calculate_loss(b)
    assert torch.allclose(loss, main_loss + SSL_ALPHA * ssl)
    out.scalar('loss', loss); out.scalar('infonce', main_loss); out.scalar('ssl', SSL_ALPHA * ssl)
    model.zero_grad()
    loss.backward()
    assert model.g_a_iva.weight.grad is None  # MMRec's audio stage is commented out
    write_tables_and_linears(out, named, PARAMS, grads=True)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
