#!/usr/bin/python3
"""FREEDOM parity fixtures from MMRec's implementation (enoche/MMRec src/models/freedom.py, the
same file as enoche/FREEDOM's apart from its header line).

Usage: /usr/bin/python3 tools/parity/freedom_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/freedom.
"""
import importlib
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

KNN_K, MM_LAYERS, UI_LAYERS, IMAGE_WEIGHT, DROPOUT, REG = 3, 1, 2, 0.1, 0.5, 0.1


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('freedom')
    ref = extract_mmrec(git_dir, 'freedom', extra=['src/utils/utils.py'], strip_cuda=False)
    freedom = importlib.import_module('models.freedom')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    cfg = mm.config(feat_embed_dim=mm.DIM, knn_k=KNN_K, lambda_coeff=0.9, cf_model='lightgcn', n_mm_layers=MM_LAYERS,
                    n_ui_layers=UI_LAYERS, reg_weight=REG, mm_image_weight=IMAGE_WEIGHT, dropout=DROPOUT,
                    degree_ratio=None)
    model = freedom.FREEDOM(cfg, mm.Dataset(mm.interaction_matrix()))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/freedom.py, src/common/{abstract_recommender,loss,init}.py, '
                                   'src/utils/utils.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    for k, v in (('knn_k', KNN_K), ('n_mm_layers', MM_LAYERS), ('n_ui_layers', UI_LAYERS),
                 ('mm_image_weight', IMAGE_WEIGHT), ('dropout', DROPOUT), ('reg_weight', REG)):
        out.put(k, v)
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array(name, getattr(model, name).weight)
    for name in ('image_trs', 'text_trs'):
        out.array(name + '_weight', getattr(model, name).weight); out.array(name + '_bias', getattr(model, name).bias)
    out.array('mm_adj_dense', model.mm_adj.to_dense())
    out.array('norm_adj_dense', model.norm_adj.to_dense())
    # the edges in their (coo) order with their sampling weights
    out.ints('edges', model.edge_indices.t()); out.array('edge_values', model.edge_values)
    # one degree-sensitive pruning: the kept (user, item) pairs and the re-normalised graph
    model.pre_epoch_processing()
    masked = model.masked_adj.coalesce()
    out.array('masked_adj_dense', masked.to_dense())
    idx = masked.indices()
    kept = sorted({(int(r), int(c) - mm.USERS) for r, c in zip(idx[0], idx[1]) if r < mm.USERS})
    assert len(kept) == int(len(mm.TRAIN) * (1. - DROPOUT))
    out.ints('kept_pairs', np.array(kept))
    users, items = model.forward(model.norm_adj)
    out.array('scoring_users', users); out.array('scoring_items', items)
    b = mm.batch()
    loss = model.calculate_loss(b)  # on the pruned graph
    ua, ia = model.forward(model.masked_adj)
    mf = model.bpr_loss(ua[b[0]], ia[b[1]], ia[b[2]])
    tf = model.text_trs(model.text_embedding.weight); vf = model.image_trs(model.image_embedding.weight)
    mm_t = model.bpr_loss(ua[b[0]], tf[b[1]], tf[b[2]]); mm_v = model.bpr_loss(ua[b[0]], vf[b[1]], vf[b[2]])
    assert torch.allclose(loss, mf + REG * (mm_t + mm_v))
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('mm_term', REG * (mm_t + mm_v))
    model.zero_grad()
    loss.backward()
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array('grad_' + name, getattr(model, name).weight.grad)
    for name in ('image_trs', 'text_trs'):
        out.array('grad_' + name + '_weight', getattr(model, name).weight.grad)
        out.array('grad_' + name + '_bias', getattr(model, name).bias.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
