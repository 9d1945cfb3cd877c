#!/usr/bin/python3
"""NGCF parity fixtures from RecBole's implementation (RUCAIBox/RecBole, recbole/model/general_recommender/ngcf.py).

Usage: /usr/bin/python3 tools/parity/ngcf_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of RUCAIBox/RecBole; OUT_DIR defaults to diffmm-core/src/test/resources/parity/ngcf.

recbole/model/general_recommender/ngcf.py and the four recbole/model/ files it imports are extracted from
GIT_DIR's HEAD and imported as published (parity_common.import_recbole_model). RecBole's config and dataset
objects are replaced by the few fields NGCF.__init__ and GeneralRecommender.__init__ read.
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FixtureWriter, RecBoleDataset, git_head, import_recbole_model,  # noqa: E402
                           SMALL_BATCH_NEG, SMALL_BATCH_POS, SMALL_BATCH_USERS, SMALL_ITEMS, SMALL_TRAIN, SMALL_USERS)
from parity_common import output_dir  # noqa: E402

SEED = 421
USERS, ITEMS, DIM, REG = SMALL_USERS, SMALL_ITEMS, 4, 1e-2
# two layers of different widths, so that the concatenation's layout and each W's shape are pinned
HIDDEN = [5, 3]
TRAIN, BATCH_USERS, BATCH_POS, BATCH_NEG = SMALL_TRAIN, SMALL_BATCH_USERS, SMALL_BATCH_POS, SMALL_BATCH_NEG


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('ngcf')
    ngcf, files = import_recbole_model(git_dir, 'ngcf')
    import scipy.sparse as sp

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    mat = sp.coo_matrix((np.ones(len(TRAIN)), (u, i)), shape=(USERS, ITEMS))
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_', 'device': 'cpu',
              'embedding_size': DIM, 'hidden_size_list': HIDDEN, 'node_dropout': 0.0, 'message_dropout': 0.1,
              'reg_weight': REG}
    model = ngcf.NGCF(config, RecBoleDataset(mat))
    # xavier_normal_initialization zeroes the biases; move them off zero so that the test loads them
    with torch.no_grad():
        for layer in model.GNNlayers:
            layer.linear.bias.normal_(0, 0.3)
            layer.interActTransform.bias.normal_(0, 0.3)
    # eval(): message dropout off (its masks come from torch's generator, ours from ours)
    model.eval()

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'RUCAIBox/RecBole', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': ', '.join(files)})
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM); out.put('hidden_size_list', HIDDEN)
    out.put('reg_weight', REG)
    out.ints('train_pairs', np.array(TRAIN))
    out.array('user_embedding', model.user_embedding.weight)
    out.array('item_embedding', model.item_embedding.weight)
    for k, layer in enumerate(model.GNNlayers):
        out.array('gnn%d_linear_weight' % k, layer.linear.weight)
        out.array('gnn%d_linear_bias' % k, layer.linear.bias.reshape(1, -1))
        out.array('gnn%d_inter_weight' % k, layer.interActTransform.weight)
        out.array('gnn%d_inter_bias' % k, layer.interActTransform.bias.reshape(1, -1))
    out.array('adjacency_dense', model.norm_adj_matrix.to_dense())

    users, items = model.forward()
    out.array('propagated_users', users)
    out.array('propagated_items', items)

    batch = [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]
    out.ints('batch_users', batch[0].reshape(1, -1)); out.ints('batch_positives', batch[1].reshape(1, -1))
    out.ints('batch_negatives', batch[2].reshape(1, -1))
    interaction = {'user_id': batch[0], 'item_id': batch[1], 'neg_item_id': batch[2]}
    model.zero_grad()
    loss = model.calculate_loss(interaction)
    loss.backward()
    # the two terms of calculate_loss, through the model's own loss modules
    with torch.no_grad():
        users, items = model.forward()
        u_e, p_e, n_e = users[batch[0]], items[batch[1]], items[batch[2]]
        mf = model.mf_loss(torch.mul(u_e, p_e).sum(dim=1), torch.mul(u_e, n_e).sum(dim=1))
        emb = model.reg_loss(u_e, p_e, n_e)
    assert torch.allclose(loss, mf + REG * emb)
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('emb_loss', emb)
    out.scalar('reg_term', REG * emb)
    out.array('grad_user_embedding', model.user_embedding.weight.grad)
    out.array('grad_item_embedding', model.item_embedding.weight.grad)
    for k, layer in enumerate(model.GNNlayers):
        out.array('grad_gnn%d_linear_weight' % k, layer.linear.weight.grad)
        out.array('grad_gnn%d_linear_bias' % k, layer.linear.bias.grad.reshape(1, -1))
        out.array('grad_gnn%d_inter_weight' % k, layer.interActTransform.weight.grad)
        out.array('grad_gnn%d_inter_bias' % k, layer.interActTransform.bias.grad.reshape(1, -1))
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
