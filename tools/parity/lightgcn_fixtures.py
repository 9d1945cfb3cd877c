#!/usr/bin/python3
"""LightGCN parity fixtures from MMRec's implementation (enoche/MMRec, src/models/lightgcn.py).

Usage: /usr/bin/python3 tools/parity/lightgcn_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/lightgcn.

src/models/lightgcn.py and the three src/common/ files it imports are extracted from GIT_DIR's HEAD to
a temporary directory and imported as published; MMRec's config and dataset objects are replaced by
the few fields LightGCN.__init__ and GeneralRecommender.__init__ read (no framework, no data files).
"""
import importlib
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FixtureWriter, MmrecDataset, extract, git_head,  # noqa: E402
                           SMALL_BATCH_NEG, SMALL_BATCH_POS, SMALL_BATCH_USERS, SMALL_TRAIN)
from parity_common import output_dir  # noqa: E402

SEED = 421
USERS, ITEMS, DIM, LAYERS, REG = 7, 9, 4, 2, 1e-4
TRAIN, BATCH_USERS, BATCH_POS, BATCH_NEG = SMALL_TRAIN, SMALL_BATCH_USERS, SMALL_BATCH_POS, SMALL_BATCH_NEG



def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('lightgcn')
    ref = extract(git_dir, ['src/models/lightgcn.py', 'src/common/abstract_recommender.py',
                            'src/common/loss.py', 'src/common/init.py'], strip_cuda=False)
    sys.path.insert(0, os.path.join(ref, 'src'))
    lightgcn = importlib.import_module('models.lightgcn')
    import scipy.sparse as sp

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    mat = sp.coo_matrix((np.ones(len(TRAIN)), (u, i)), shape=(USERS, ITEMS))
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_',
              'train_batch_size': len(BATCH_USERS), 'device': 'cpu', 'end2end': False,
              'is_multimodal_model': False, 'embedding_size': DIM, 'n_layers': LAYERS, 'reg_weight': REG}
    model = lightgcn.LightGCN(config, MmrecDataset(mat))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/lightgcn.py, src/common/{abstract_recommender,loss,init}.py'})
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM); out.put('n_layers', LAYERS)
    out.put('reg_weight', REG)
    out.ints('train_pairs', np.array(TRAIN))
    user_emb = model.embedding_dict['user_emb']; item_emb = model.embedding_dict['item_emb']
    out.array('user_embeddings', user_emb)
    out.array('item_embeddings', item_emb)
    out.array('adjacency_dense', model.norm_adj_matrix.to_dense())

    users, items = model.forward()
    out.array('propagated_users', users)
    out.array('propagated_items', items)

    batch = [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]
    out.ints('batch_users', batch[0].reshape(1, -1)); out.ints('batch_positives', batch[1].reshape(1, -1))
    out.ints('batch_negatives', batch[2].reshape(1, -1))
    loss = model.calculate_loss(batch)
    # the two terms of calculate_loss, through the model's own loss modules
    u_e, p_e, n_e = users[batch[0]], items[batch[1]], items[batch[2]]
    mf = model.mf_loss(torch.mul(u_e, p_e).sum(dim=1), torch.mul(u_e, n_e).sum(dim=1))
    emb = model.reg_loss(user_emb[batch[0]], item_emb[batch[1]], item_emb[batch[2]])
    assert torch.allclose(loss, mf + REG * emb)
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('emb_loss', emb)
    # gradients of the BPR term alone (the reg terms differ by design, see below)
    model.zero_grad()
    mf.backward()
    out.array('grad_bpr_user_embeddings', user_emb.grad)
    out.array('grad_bpr_item_embeddings', item_emb.grad)
    out.scalar('reg_term', REG * emb)
    # Pinned by hand, not MMRec: the LightGCN paper's code (kuandeng/LightGCN) regularises with
    # reg · (‖u‖² + ‖p‖² + ‖n‖²) / 2 / batch over the same ego rows (MMRec's EmbLoss sums unsquared norms).
    with torch.no_grad():
        sq = sum(float((e.double() ** 2).sum()) for e in (user_emb[batch[0]], item_emb[batch[1]], item_emb[batch[2]]))
    out.scalar('paper_reg_term', REG * sq / 2 / len(BATCH_USERS))
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
