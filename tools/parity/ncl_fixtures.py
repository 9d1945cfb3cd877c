#!/usr/bin/python3
"""NCL parity fixtures from RecBole's implementation (RUCAIBox/RecBole, recbole/model/general_recommender/ncl.py).

Usage: /usr/bin/python3 tools/parity/ncl_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of RUCAIBox/RecBole; OUT_DIR defaults to diffmm-core/src/test/resources/parity/ncl.

recbole/model/general_recommender/ncl.py and the four recbole/model/ files it imports (abstract_recommender,
layers, init, loss) are extracted from GIT_DIR's HEAD to a temporary directory and imported as published, as
ngcf_fixtures.py does (namespace packages; recbole.utils stubbed). faiss is stubbed: its Kmeans returns FIXED raw
centroids and FIXED cluster assignments (drawn here with a seeded generator), so the published e_step/run_kmeans
code runs (normalising the centroids, reshaping the assignments) on known k-means output; the Java side feeds the
same raw output to Ncl.setPrototypes. Our k-means itself is tested on hand cases (KMeansTest).
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FixtureWriter, RecBoleDataset, git_head, import_recbole_model,  # noqa: E402
                           SMALL_BATCH_NEG, SMALL_BATCH_POS, SMALL_BATCH_USERS, SMALL_TRAIN)
from parity_common import output_dir  # noqa: E402

SEED = 421
USERS, ITEMS, DIM = 7, 9, 4
# reg_weight, ssl_reg and proto_reg raised from NCL.yaml's 1e-4 / 1e-7 / 8e-8 so that each term's share of
# the gradients is well above the tolerance; alpha off 1 so that the item weighting is pinned; ssl_temp 0.2
# (default 0.1) keeps the logits moderate.
REG, SSL_TEMP, SSL_REG, ALPHA, PROTO_REG = 1e-2, 0.2, 0.05, 0.7, 0.03
# n_layers 3, hyper_layers 1: the representation averages layers 0..3, the structural term uses layer 2.
# A second configuration, n_layers 1 with hyper_layers 2, needs layers beyond those averaged (layer 4).
N_LAYERS, HYPER_LAYERS = 3, 1
N_LAYERS_B, HYPER_LAYERS_B = 1, 2
NUM_CLUSTERS = 3
TRAIN, BATCH_USERS, BATCH_POS, BATCH_NEG = SMALL_TRAIN, SMALL_BATCH_USERS, SMALL_BATCH_POS, SMALL_BATCH_NEG


class FakeFaiss:
    """faiss.Kmeans as run_kmeans uses it, returning the queued (centroids, assignments) in call order."""

    def __init__(self):
        self.queue = []
        self.calls = []

    def Kmeans(self, d, k, gpu=False):
        outer = self

        class Index:
            def __init__(self, assign):
                self.assign = assign

            def search(self, x, n):
                assert n == 1
                return np.zeros((x.shape[0], 1), dtype=np.float32), self.assign.reshape(-1, 1).astype(np.int64)

        class Kmeans:
            def train(self, x):
                centroids, assign = outer.queue.pop(0)
                assert centroids.shape == (k, d) and assign.shape == (x.shape[0],)
                outer.calls.append((d, k, gpu, x.copy()))
                self.centroids = centroids
                self.index = Index(assign)

        return Kmeans()


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('ncl')
    fake = FakeFaiss()
    sys.modules['faiss'] = fake
    ncl, files = import_recbole_model(git_dir, 'ncl')
    import scipy.sparse as sp

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = np.random.RandomState(SEED)
    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    mat = sp.coo_matrix((np.ones(len(TRAIN)), (u, i)), shape=(USERS, ITEMS))

    def config(n_layers, hyper_layers):
        return {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_', 'device': 'cpu',
                'embedding_size': DIM, 'n_layers': n_layers, 'reg_weight': REG, 'ssl_temp': SSL_TEMP,
                'ssl_reg': SSL_REG, 'hyper_layers': hyper_layers, 'alpha': ALPHA, 'proto_reg': PROTO_REG,
                'num_clusters': NUM_CLUSTERS}

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'RUCAIBox/RecBole', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': ', '.join(files), 'faiss': 'stubbed: fixed centroids and assignments'})
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM)
    for k, v in (('reg_weight', REG), ('ssl_temp', SSL_TEMP), ('ssl_reg', SSL_REG), ('alpha', ALPHA),
                 ('proto_reg', PROTO_REG)):
        out.put(k, v)
    out.put('num_clusters', NUM_CLUSTERS)
    out.ints('train_pairs', np.array(TRAIN))
    batch = [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]
    out.ints('batch_users', batch[0].reshape(1, -1)); out.ints('batch_positives', batch[1].reshape(1, -1))
    out.ints('batch_negatives', batch[2].reshape(1, -1))
    interaction = {'user_id': batch[0], 'item_id': batch[1], 'neg_item_id': batch[2]}

    for tag, (n_layers, hyper_layers) in (('a', (N_LAYERS, HYPER_LAYERS)), ('b', (N_LAYERS_B, HYPER_LAYERS_B))):
        cfg = config(n_layers, hyper_layers)
        model = ncl.NCL(cfg, RecBoleDataset(mat))
        out.put(tag + '_n_layers', n_layers); out.put(tag + '_hyper_layers', hyper_layers)
        out.array(tag + '_user_embedding', model.user_embedding.weight)
        out.array(tag + '_item_embedding', model.item_embedding.weight)
        if tag == 'a':
            out.array('adjacency_dense', model.norm_adj_mat.to_dense())

        # raw k-means output, not normalised, with a zero-free spread of norms
        uc = (rng.randn(NUM_CLUSTERS, DIM) * 0.7).astype(np.float32)
        ua = rng.randint(0, NUM_CLUSTERS, size=USERS)
        ic = (rng.randn(NUM_CLUSTERS, DIM) * 1.3).astype(np.float32)
        ia = rng.randint(0, NUM_CLUSTERS, size=ITEMS)
        out.array(tag + '_raw_user_centroids', uc); out.ints(tag + '_user_2cluster', ua.reshape(1, -1))
        out.array(tag + '_raw_item_centroids', ic); out.ints(tag + '_item_2cluster', ia.reshape(1, -1))
        fake.queue = [(uc, ua), (ic, ia)]
        fake.calls = []
        # e_step as published
        model.e_step()
        assert len(fake.calls) == 2
        # e_step clusters the ego tables
        assert np.array_equal(fake.calls[0][3], model.user_embedding.weight.detach().numpy())
        assert np.array_equal(fake.calls[1][3], model.item_embedding.weight.detach().numpy())
        out.array(tag + '_user_centroids', model.user_centroids)
        out.array(tag + '_item_centroids', model.item_centroids)

        users, items, layers = model.forward()
        out.array(tag + '_propagated_users', users)
        out.array(tag + '_propagated_items', items)
        out.array(tag + '_context_layer', layers[hyper_layers * 2])

        model.zero_grad()
        bpr_reg, ssl, proto = model.calculate_loss(interaction)
        # NCLTrainer._train_epoch after warm-up: the sum of the three
        total = bpr_reg + ssl + proto
        total.backward()
        with torch.no_grad():
            u_e, p_e, n_e = users[batch[0]], items[batch[1]], items[batch[2]]
            mf = model.mf_loss(torch.mul(u_e, p_e).sum(dim=1), torch.mul(u_e, n_e).sum(dim=1))
            emb = model.reg_loss(model.user_embedding(batch[0]), model.item_embedding(batch[1]),
                                 model.item_embedding(batch[2]))
        assert torch.allclose(bpr_reg, mf + REG * emb)
        out.scalar(tag + '_mf_loss', mf); out.scalar(tag + '_reg_term', REG * emb)
        out.scalar(tag + '_ssl_loss', ssl); out.scalar(tag + '_proto_loss', proto)
        out.scalar(tag + '_loss', total)
        out.array(tag + '_grad_user_embedding', model.user_embedding.weight.grad)
        out.array(tag + '_grad_item_embedding', model.item_embedding.weight.grad)

        # during warm-up _train_epoch drops the last term (proto): gradients of the first two only
        model.zero_grad()
        warm = sum(model.calculate_loss(interaction)[:-1])
        warm.backward()
        out.scalar(tag + '_warm_up_loss', warm)
        out.array(tag + '_warm_up_grad_user_embedding', model.user_embedding.weight.grad)
        out.array(tag + '_warm_up_grad_item_embedding', model.item_embedding.weight.grad)

    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
