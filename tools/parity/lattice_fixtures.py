#!/usr/bin/python3
"""LATTICE parity fixtures from MMRec's implementation (enoche/MMRec src/models/lattice.py, whose
forward is the authors' CRIPAC-DIG/LATTICE codes/Models.py).

Usage: /usr/bin/python3 tools/parity/lattice_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/lattice.
`.cuda()` is removed from lattice.py (its frozen graphs are moved to the GPU).
"""
import importlib
import os
import sys

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

KNN_K, LAMBDA, ITEM_LAYERS, WEIGHT_SIZE, REG = 3, 0.9, 1, [4, 4], 0.1
MODAL_WEIGHT = [0.3, 0.8]  # off the uniform start, so that the mix is not symmetric


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('lattice')
    ref = extract_mmrec(git_dir, 'lattice', extra=['src/utils/utils.py'], strip_cuda=True)
    lattice = importlib.import_module('models.lattice')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    cfg = mm.config(feat_embed_dim=mm.DIM, weight_size=list(WEIGHT_SIZE), knn_k=KNN_K, lambda_coeff=LAMBDA,
                    cf_model='lightgcn', n_layers=ITEM_LAYERS, reg_weight=REG, mess_dropout=[0.1, 0.1])
    model = lattice.LATTICE(cfg, mm.Dataset(mm.interaction_matrix()))
    with torch.no_grad():
        model.modal_weight.copy_(torch.tensor(MODAL_WEIGHT))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/lattice.py, src/common/{abstract_recommender,loss,init}.py, '
                                   'src/utils/utils.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    for k, v in (('knn_k', KNN_K), ('lambda_coeff', LAMBDA), ('n_layers', ITEM_LAYERS), ('reg_weight', REG),
                 ('n_ui_layers', len(WEIGHT_SIZE)), ('train_batch_size', len(mm.BATCH_USERS))):
        out.put(k, v)
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array(name, getattr(model, name).weight)
    for name in ('image_trs', 'text_trs'):
        out.array(name + '_weight', getattr(model, name).weight); out.array(name + '_bias', getattr(model, name).bias)
    out.array('modal_weight', model.modal_weight.reshape(1, -1))
    out.array('image_original_adj', model.image_original_adj); out.array('text_original_adj', model.text_original_adj)
    out.array('norm_adj_dense', model.norm_adj.to_dense())
    b = mm.batch()
    # first batch of an epoch: the item graph is built with gradients
    model.pre_epoch_processing()
    loss = model.calculate_loss(b)
    out.array('item_adj', model.item_adj)
    out.scalar('loss', loss)
    model.zero_grad()
    loss.backward()
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array('grad_' + name, getattr(model, name).weight.grad)
    for name in ('image_trs', 'text_trs'):
        out.array('grad_' + name + '_weight', getattr(model, name).weight.grad)
        out.array('grad_' + name + '_bias', getattr(model, name).bias.grad)
    out.array('grad_modal_weight', model.modal_weight.grad.reshape(1, -1))
    # the loss terms, recomputed by their bpr_loss on the same (now detached) graph
    with torch.no_grad():
        ua, ia = model.forward(model.norm_adj, build_item_graph=False)
        mf, emb, _ = model.bpr_loss(ua[b[0]], ia[b[1]], ia[b[2]])
    assert torch.allclose(loss, mf + emb)
    out.scalar('mf_loss', mf); out.scalar('emb_loss', emb)
    # scoring: full_sort_predict's forward rebuilds the graph from the same weights
    with torch.no_grad():
        users, items = model.forward(model.norm_adj, build_item_graph=True)
    out.array('scoring_users', users); out.array('scoring_items', items)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
