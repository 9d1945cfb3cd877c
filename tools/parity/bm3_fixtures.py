#!/usr/bin/python3
"""BM3 parity fixtures from MMRec's implementation (enoche/MMRec src/models/bm3.py, the same file as
enoche/BM3's apart from its header).

Usage: /usr/bin/python3 tools/parity/bm3_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/bm3.

Their target views are F.dropout of the detached online tables. The module's F is replaced by a shim
whose dropout multiplies by masks drawn here (keep with probability 1-p, survivors scaled by 1/(1-p),
F.dropout's definition) and written out, so that the Java test applies the same masks; everything else
runs as published.
"""
import importlib
import os
import sys
import types

import torch
import torch.nn.functional as torch_F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

N_LAYERS, DROPOUT, REG, CL = 2, 0.3, 0.1, 2.0
# the steps fixture: three Adam steps on batches of 6, 6 and 5 of the shuffled 17 training pairs
STEPS, STEP_BATCH, STEP_LR = 3, 6, 0.05
# calculate_loss drops its targets in this order
VIEWS = ['users', 'items', 'text', 'image']


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('bm3')
    ref = extract_mmrec(git_dir, 'bm3', strip_cuda=False)
    bm3 = importlib.import_module('models.bm3')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    cfg = mm.config(feat_embed_dim=mm.DIM, n_layers=N_LAYERS, dropout=DROPOUT, reg_weight=REG, cl_weight=CL)
    model = bm3.BM3(cfg, mm.Dataset(mm.interaction_matrix()))

    masks = []

    def recorded_dropout(x, p):
        assert p == DROPOUT
        mask = (torch.rand(x.shape) >= p).float() / (1 - p)
        masks.append(mask)
        return x * mask

    bm3.F = types.SimpleNamespace(dropout=recorded_dropout)

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/bm3.py, src/common/{abstract_recommender,loss,init}.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    for k, v in (('n_layers', N_LAYERS), ('dropout', DROPOUT), ('reg_weight', REG), ('cl_weight', CL)):
        out.put(k, v)
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array(name, getattr(model, name).weight)
    for name in ('predictor', 'image_trs', 'text_trs'):
        out.array(name + '_weight', getattr(model, name).weight); out.array(name + '_bias', getattr(model, name).bias)
    out.array('norm_adj_dense', model.norm_adj.to_dense())
    u_on, i_on = model.forward()
    out.array('online_users', u_on); out.array('online_items', i_on)
    b = mm.batch()[:2]  # use_neg_sampling False: (users, items)
    scores = model.full_sort_predict([torch.arange(mm.USERS)])
    out.array('scores', scores)

    loss = model.calculate_loss(b)
    assert len(masks) == 4
    for v, m in zip(VIEWS, masks):
        out.array('mask_' + v, m)
    # the three parts, recomputed from the same tables and masks
    with torch.no_grad():
        cos = torch_F.cosine_similarity
        users, items = b
        ut, it = (u_on * masks[0])[users], (i_on * masks[1])[items]
        pu, pi = model.predictor(u_on)[users], model.predictor(i_on)[items]
        ui = (1 - cos(pu, it, dim=-1).mean()) + (1 - cos(pi, ut, dim=-1).mean())
        reg = REG * (u_on.norm() + i_on.norm()) / mm.ITEMS
        cl = 0
        for name, m in (('text', masks[2]), ('image', masks[3])):
            f = getattr(model, name + '_trs')(getattr(model, name + '_embedding').weight)
            pf = model.predictor(f)[items]
            cl = cl + (1 - cos(pf, it, dim=-1).mean()) + (1 - cos(pf, (f * m)[items], dim=-1).mean())
        cl = CL * cl
    assert torch.allclose(loss, ui + reg + cl, atol=1e-6), (loss, ui + reg + cl)
    out.scalar('loss', loss); out.scalar('ui', ui); out.scalar('reg', reg); out.scalar('cl', cl)
    model.zero_grad()
    loss.backward()
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array('grad_' + name, getattr(model, name).weight.grad)
    for name in ('predictor', 'image_trs', 'text_trs'):
        out.array('grad_' + name + '_weight', getattr(model, name).weight.grad)
        out.array('grad_' + name + '_bias', getattr(model, name).bias.grad)

    # Training over steps: STEPS Adam steps (torch.optim.Adam as overall.yaml's learner, lr STEP_LR,
    # weight_decay 0) from the same weights, each on its own batch with freshly drawn masks, as
    # Trainer._train_epoch runs them (zero_grad, calculate_loss, backward, step).
    opt = torch.optim.Adam(model.parameters(), lr=STEP_LR)
    order = torch.randperm(len(mm.TRAIN))
    pairs = torch.tensor(mm.TRAIN).long()[order]
    out.put('steps', STEPS); out.put('step_lr', STEP_LR)
    for s in range(STEPS):
        sb = pairs[s * STEP_BATCH:(s + 1) * STEP_BATCH].t()
        masks.clear()
        opt.zero_grad()
        step_loss = model.calculate_loss(sb)
        assert len(masks) == 4
        out.ints('step%d_users' % s, sb[0].reshape(1, -1)); out.ints('step%d_positives' % s, sb[1].reshape(1, -1))
        for v, m in zip(VIEWS, masks):
            out.array('step%d_mask_%s' % (s, v), m)
        out.scalar('step%d_loss' % s, step_loss)
        step_loss.backward()
        opt.step()
    for name in ('user_embedding', 'item_id_embedding', 'image_embedding', 'text_embedding'):
        out.array('after_' + name, getattr(model, name).weight)
    for name in ('predictor', 'image_trs', 'text_trs'):
        out.array('after_' + name + '_weight', getattr(model, name).weight)
        out.array('after_' + name + '_bias', getattr(model, name).bias)
    out.array('after_scores', model.full_sort_predict([torch.arange(mm.USERS)]))
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
