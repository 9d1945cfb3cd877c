#!/usr/bin/python3
"""SGL parity fixtures from RecBole's implementation (RUCAIBox/RecBole, recbole/model/general_recommender/sgl.py).

Usage: /usr/bin/python3 tools/parity/sgl_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of RUCAIBox/RecBole; OUT_DIR defaults to diffmm-core/src/test/resources/parity/sgl.

recbole/model/general_recommender/sgl.py and the three recbole/model/ files it imports (abstract_recommender,
init, loss; abstract_recommender imports layers) are extracted from GIT_DIR's HEAD to a temporary directory and
imported as published, as ngcf_fixtures.py does: the packages' __init__.py files are not extracted (namespace
packages) and recbole.utils is stubbed. RecBole's config is a dict and its dataset a stub with `num`, `uid_field`,
`iid_field` and `inter_feat` (torch tensors, as RecBole's Interaction holds).

The views are RecBole's own: the model's `train()` override runs `graph_construction` under a seeded numpy
generator, and what its `rand_sample` draws is recorded (kept edges for ED and RW, dropped users and items for
ND) so that the Java test builds the same views from the same draws. One model, one set of weights, the three
view types in turn (`type` is switched on the instance between them).
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FixtureWriter, RecBoleDataset, coo, git_head, import_recbole_model,  # noqa: E402
                           SMALL_BATCH_NEG, SMALL_BATCH_POS, SMALL_BATCH_USERS, SMALL_ITEMS, SMALL_TRAIN, SMALL_USERS)
from parity_common import output_dir  # noqa: E402

SEED = 421
USERS, ITEMS, DIM, LAYERS = 7, 9, 4, 2
# reg_weight and ssl_weight well above the defaults so that each term's share of the gradients is above the
# tolerance; drop_ratio 0.3 so that the views differ visibly on 17 edges (11 kept; ND drops 2 users, 2 items)
REG, SSL_WEIGHT, SSL_TAU, DROP = 1e-2, 0.1, 0.5, 0.3
TRAIN = SMALL_TRAIN
# repeated users and positives (both InfoNCE sums keep duplicates), the edgeless item as a negative
BATCH_USERS, BATCH_POS, BATCH_NEG = SMALL_BATCH_USERS, SMALL_BATCH_POS, SMALL_BATCH_NEG


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('sgl')
    sgl, files = import_recbole_model(git_dir, 'sgl')
    dataset = RecBoleDataset(coo(TRAIN, USERS, ITEMS))

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    config = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_', 'device': 'cpu',
              'embedding_size': DIM, 'n_layers': LAYERS, 'type': 'ED', 'drop_ratio': DROP, 'ssl_tau': SSL_TAU,
              'reg_weight': REG, 'ssl_weight': SSL_WEIGHT}
    model = sgl.SGL(config, dataset)

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'RUCAIBox/RecBole', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'numpy': np.__version__, 'files': ', '.join(files)})
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM); out.put('n_layers', LAYERS)
    out.put('reg_weight', REG); out.put('ssl_weight', SSL_WEIGHT); out.put('ssl_tau', SSL_TAU)
    out.put('drop_ratio', DROP)
    out.ints('train_pairs', np.array(TRAIN))
    out.array('user_embedding', model.user_embedding.weight)
    out.array('item_embedding', model.item_embedding.weight)
    out.array('adjacency_dense', model.train_graph.to_dense())
    users, items = model.forward(model.train_graph)
    out.array('propagated_users', users)
    out.array('propagated_items', items)

    batch = [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]
    out.ints('batch_users', batch[0].reshape(1, -1)); out.ints('batch_positives', batch[1].reshape(1, -1))
    out.ints('batch_negatives', batch[2].reshape(1, -1))
    interaction = {'user_id': batch[0], 'item_id': batch[1], 'neg_item_id': batch[2]}

    # rand_sample as published, with what it returns recorded
    draws = []
    published = model.rand_sample

    def recording(high, size=None, replace=True):
        s = published(high, size=size, replace=replace)
        draws.append(np.array(s))
        return s

    model.rand_sample = recording
    user_np, item_np = dataset.inter_feat['user_id'].numpy(), dataset.inter_feat['item_id'].numpy()
    for k, kind in enumerate(['ED', 'ND', 'RW']):
        p = kind.lower() + '_'
        model.type = kind
        np.random.seed(SEED + k)
        draws.clear()
        model.train()  # RecBole's override: graph_construction(), the epoch's two views
        per_view = len(draws) // 2
        for v, graphs in enumerate([model.sub_graph1, model.sub_graph2], start=1):
            mine = draws[(v - 1) * per_view: v * per_view]
            if kind == 'ND':
                drop_user, drop_item = mine
                assert len(drop_user) == int(USERS * DROP) and len(drop_item) == int(ITEMS * DROP)
                out.ints(p + 'view%d_dropped_users' % v, drop_user.reshape(1, -1))
                out.ints(p + 'view%d_dropped_items' % v, drop_item.reshape(1, -1))
            else:
                for layer, keep in enumerate(mine):
                    assert len(keep) == int(len(TRAIN) * (1 - DROP))
                    name = p + 'view%d_kept_pairs' % v + ('_layer%d' % layer if kind == 'RW' else '')
                    out.ints(name, np.stack([user_np[keep], item_np[keep]], axis=1))
            graph_list = graphs if isinstance(graphs, list) else [graphs]
            assert len(graph_list) == (LAYERS if kind == 'RW' else 1)
            for layer, g in enumerate(graph_list):
                out.array(p + 'view%d_adjacency_dense' % v + ('_layer%d' % layer if kind == 'RW' else ''), g.to_dense())
            vu, vi = model.forward(graphs)
            out.array(p + 'view%d_users' % v, vu)
            out.array(p + 'view%d_items' % v, vi)

        model.zero_grad()
        loss = model.calculate_loss(interaction)
        loss.backward()
        # the three terms of calculate_loss, through the model's own functions and loss module
        with torch.no_grad():
            users, items = model.forward(model.train_graph)
            u_e, p_e, n_e = users[batch[0]], items[batch[1]], items[batch[2]]
            bpr = torch.sum(-torch.nn.functional.logsigmoid((u_e * p_e).sum(dim=1) - (u_e * n_e).sum(dim=1)))
            emb = model.reg_loss(model.user_embedding(batch[0]), model.item_embedding(batch[1]),
                                 model.item_embedding(batch[2]))
            assert torch.allclose(model.calc_bpr_loss(users, items, *batch), bpr + REG * emb)
            u1, i1 = model.forward(model.sub_graph1)
            u2, i2 = model.forward(model.sub_graph2)
            ssl = model.calc_ssl_loss(batch[0], batch[1], u1, u2, i1, i2)
        assert torch.allclose(loss, bpr + REG * emb + ssl)
        out.scalar(p + 'loss', loss); out.scalar(p + 'bpr_loss', bpr); out.scalar(p + 'emb_loss', emb)
        out.scalar(p + 'reg_term', REG * emb); out.scalar(p + 'ssl_term', ssl)
        out.array(p + 'grad_user_embedding', model.user_embedding.weight.grad)
        out.array(p + 'grad_item_embedding', model.item_embedding.weight.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
