#!/usr/bin/python3
"""MMGCL parity fixtures from the authors' implementation (zxy-ml84/MMGCL MMGCL-main/mmgcl/models/mmgcl.py).

Usage: /usr/bin/python3 tools/parity/mmgcl_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of zxy-ml84/MMGCL; OUT_DIR defaults to diffmm-core/src/test/resources/parity/mmgcl.

models/mmgcl.py and base/abstract_recommender.py (MMRec's GeneralRecommender, which loads image_feat.npy and
text_feat.npy) run as published, `.cuda()` removed; torch_scatter (imported, unused) is stubbed. Their runnable
branch is config['dataset'] == 'amazon' (image + text): the base class never loads a_feat, so their tiktok branch
cannot build. Their YAML's mask_p [0.4, 0.4, 0.2] cannot run it either (np.random.choice over two modalities), so
mask_p is [0.5, 0.5] here; the masking view it feeds is unused by their loss.

Released behaviour (their calculate_loss, ssl_task ED+MM+CN and ED): their edge_dropout is wrapped to record the
kept edges of each edge dropout view it draws (written as edges_<case>_<k>, (user, item) rows); the loss, its BPR
and SSL parts (captured from their bpr_loss and cal_multiview_MM_ED_CN in the same call) and every gradient.

Paper variant (their code never computes it; see Mmgcl.java): composed here in torch from their own functions
(sgl_encoder, read_user, read_item, convert_to_laplacian_mat, F.normalize, F.cross_entropy) at fixed views: the
recorded edge dropout graph(s), a masked modality with a replacement table (mask_rows), and the modality of the
modality negatives. Losses and gradients by torch's autograd.
"""
import importlib
import os
import random
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import (FixtureWriter, extract, git_head, output_dir, stub_module,  # noqa: E402
                           write_tables_and_linears)
import mmrec_multimodal as mm  # noqa: E402

LAYERS, SSL_TEMP, SSL_ALPHA, DROPOUT = 2, 0.5, 0.3, 0.3
PARAMS = ['embedding_user', 'embedding_item', 'v_dense', 't_dense', 'read_user', 'read_item']
ROOT = 'MMGCL-main/mmgcl/'
# paper cases: the masked modality and the negatives' modality, indices into [image, text] (our order)
MASKED, NEGATIVE = 1, 0


class CsrDataset(mm.Dataset):
    def inter_matrix(self, form='coo'):
        assert form == 'csr'
        return self.mat.tocsr()


def write_grads(out, prefix, named):
    write_tables_and_linears(out, named, PARAMS, grads=True, prefix=prefix)


def released(model, out, case, task, batch, named):
    """Their calculate_loss with ssl_task = task; the views' kept edges recorded."""
    model.config['ssl_task'] = task
    edges, parts = [], {}
    original_dropout, original_bpr, original_ssl = model.edge_dropout, model.bpr_loss, model.cal_multiview_MM_ED_CN

    def edge_dropout(sp_adj, drop_rate):
        kept = original_dropout(sp_adj, drop_rate)
        edges.append(np.stack(kept.nonzero(), axis=1))
        return kept

    def bpr_loss(*args):
        parts['bpr'] = original_bpr(*args)
        return parts['bpr']

    def ssl(*args):
        parts['ssl'] = original_ssl(*args)
        return parts['ssl']

    model.edge_dropout, model.bpr_loss, model.cal_multiview_MM_ED_CN = edge_dropout, bpr_loss, ssl
    model.zero_grad()
    loss = model.calculate_loss(batch)
    model.edge_dropout, model.bpr_loss, model.cal_multiview_MM_ED_CN = original_dropout, original_bpr, original_ssl
    assert torch.allclose(loss, parts['bpr'] + SSL_ALPHA * parts['ssl'])
    for k, e in enumerate(edges):
        out.ints('edges_%s_%d' % (case, k), e)
    out.put('edge_views_' + case, len(edges))
    out.scalar(case + '_loss', loss); out.scalar(case + '_bpr', parts['bpr'])
    out.scalar(case + '_ssl', SSL_ALPHA * parts['ssl'])
    loss.backward()
    write_grads(out, case + '_', named)
    return edges


def graph(model, kept):
    """Their normalised graph of a view's kept (user, item) edges."""
    import scipy.sparse as sp
    mat = sp.csr_matrix((np.ones(len(kept), dtype=np.float32), (kept[:, 0], kept[:, 1])),
                        shape=(mm.USERS, mm.ITEMS))
    return model.convert_sparse_mat_to_tensor(model.convert_to_laplacian_mat(mat))


def view(model, adj, starts):
    """[id, image, text] propagations with sgl_encoder (adj None: the full graph)."""
    users_emb = model.embedding_user.weight
    return [model.sgl_encoder(users_emb, s, adj) for s in starts]


def fused(model, parts, side, rows):
    lin = model.read_user if side == 0 else model.read_item
    return F.normalize(lin(torch.cat([p[side][r] for p, r in zip(parts, rows)], dim=1)), dim=1)


def info_nce(anchors, candidates):
    logits = anchors @ candidates.T / SSL_TEMP
    return F.cross_entropy(logits, torch.arange(anchors.shape[0]))


def paper(model, out, case, task, batch, named, views, mask_rows):
    """Our reading of the paper's SSL (Mmgcl.paperSsl), composed from their functions at fixed views."""
    model.zero_grad()
    users, pos, neg = batch
    bpr = model.bpr_loss(users, pos, neg)
    starts = [model.embedding_item.weight, model.v_dense(model.v_feat), model.t_dense(model.t_feat)]
    v1 = view(model, views[0], starts)
    if task == 'ED':
        v2 = view(model, views[1], starts)
    else:
        masked = list(starts)
        masked[MASKED + 1] = mask_rows
        v2 = view(model, None, masked)
    n = len(starts)
    u1, u2 = fused(model, v1, 0, [users] * n), fused(model, v2, 0, [users] * n)
    i1, i2 = fused(model, v1, 1, [pos] * n), fused(model, v2, 1, [pos] * n)
    candidates = i2
    if task == 'ED+MM+CN':
        rows = [neg if k == NEGATIVE + 1 else pos for k in range(n)]
        candidates = torch.cat([i2, fused(model, v2, 1, rows)], dim=0)
    ssl = info_nce(u1, u2) + info_nce(i1, candidates)
    loss = bpr + SSL_ALPHA * ssl
    out.scalar(case + '_loss', loss); out.scalar(case + '_bpr', bpr); out.scalar(case + '_ssl', SSL_ALPHA * ssl)
    loss.backward()
    write_grads(out, case + '_', named)


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('mmgcl')
    ref = extract(git_dir, [ROOT + 'models/mmgcl.py', ROOT + 'base/abstract_recommender.py'], strip_cuda=True)
    sys.path.insert(0, os.path.join(ref, ROOT))
    stub_module('torch_scatter', scatter=None)
    mmgcl = importlib.import_module('models.mmgcl')
    torch.manual_seed(mm.SEED)
    random.seed(mm.SEED)
    np.random.seed(mm.SEED)
    torch.set_num_threads(1)
    cfg = mm.config(latent_dim=mm.DIM, layer_num=LAYERS, ssl_task='ED+MM+CN', ssl_temp=SSL_TEMP,
                    ssl_alpha=SSL_ALPHA, dropout_rate=DROPOUT, mask_p=[0.5, 0.5])
    # their branches test config['dataset'] == 'amazon': the features go in a directory of that name
    shutil.copytree(os.path.join(cfg['data_path'], cfg['dataset']), os.path.join(cfg['data_path'], 'amazon'))
    cfg['dataset'] = 'amazon'
    model = mmgcl.MMGCL(cfg, CsrDataset(mm.interaction_matrix()))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'zxy-ml84/MMGCL', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': ROOT + 'models/mmgcl.py, ' + ROOT + 'base/abstract_recommender.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    for k, v in (('layer_num', LAYERS), ('ssl_temp', SSL_TEMP), ('ssl_alpha', SSL_ALPHA),
                 ('dropout_rate', DROPOUT), ('masked', MASKED), ('negative', NEGATIVE)):
        out.put(k, v)
    named = dict(model.named_parameters())
    assert sorted(named) == sorted([p + s for p in PARAMS for s in
                                    (('.weight',) if p.startswith('embedding') else ('.weight', '.bias'))])
    write_tables_and_linears(out, named, PARAMS)
    out.array('norm_adj_dense', model.norm_adj.to_dense())
    with torch.no_grad():
        users, items = model.compute()
    out.array('scoring_users', users); out.array('scoring_items', items)
    batch = mm.batch()

    edges_full = released(model, out, 'released_edmmcn', 'ED+MM+CN', batch, named)
    assert len(edges_full) == 1
    edges_ed = released(model, out, 'released_ed', 'ED', batch, named)
    assert len(edges_ed) == 2
    bound = float(np.sqrt(6.0 / (mm.ITEMS + mm.DIM)))
    mask_rows = out.array('mask_rows', torch.empty(mm.ITEMS, mm.DIM).uniform_(-bound, bound))
    views = [graph(model, e) for e in edges_ed]
    mask_rows = torch.tensor(mask_rows)
    paper(model, out, 'paper_edmmcn', 'ED+MM+CN', batch, named, views, mask_rows)
    paper(model, out, 'paper_edmm', 'ED+MM', batch, named, views, mask_rows)
    paper(model, out, 'paper_ed', 'ED', batch, named, views, mask_rows)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
