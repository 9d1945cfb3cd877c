#!/usr/bin/python3
"""DiffMM parity fixtures from the authors' code (HKUDS/DiffMM), at fixed weights.

Usage: /usr/bin/python3 tools/parity/diffmm_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of HKUDS/DiffMM; OUT_DIR defaults to diffmm-core/src/test/resources/parity/diffmm.

Their Model.py, Main.py, Params.py, DataHandler.py and Utils/ are extracted from GIT_DIR's HEAD to a
temporary directory, `.cuda()` removed, and imported as published. Params.py parses the TikTok
README flags (--trans 1 --cl_method 1 --reg 1e-4 --ssl_reg 1e-2 --e_loss 0.1) at a tiny size.
The recommendation loss and graph generation are the blocks of Main.py's Coach.trainEpoch, cut
out of their source at run time and executed with the fixture's tensors (nothing retyped).
"""
import copy
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract, FixtureWriter, git_head, output_dir, stub_module  # noqa: E402

SEED = 421
USERS, ITEMS, DIM = 7, 9, 4
IMAGE_WIDTH, TEXT_WIDTH, AUDIO_WIDTH = 5, 3, 2
HIDDEN = '[6]'
WEIGHT_SCALE = 8.0
FLAGS = ['--trans', '1', '--cl_method', '1', '--reg', '1e-4', '--ssl_reg', '1e-2', '--e_loss', '0.1',
         '--latdim', str(DIM), '--dims', HIDDEN]
# (user, item) training pairs: every user and item has at least one interaction.
TRAIN = [(0, 0), (0, 3), (0, 7), (1, 1), (1, 4), (2, 2), (2, 5), (2, 8), (3, 0), (3, 6),
         (4, 1), (4, 3), (4, 5), (5, 7), (5, 8), (6, 2), (6, 4), (6, 6)]
# a fixed BPR batch (user, positive, negative); user 4 twice, as a real batch may have it
BATCH_USERS = [0, 4, 2, 4, 6, 3]
BATCH_POS = [3, 1, 8, 5, 6, 0]
BATCH_NEG = [5, 7, 0, 2, 1, 4]


def block(source, start, end, tabs):
    """The lines of `source` from `start` up to (not including) `end`, dedented by `tabs` tabs."""
    assert source.count(start) == 1 and source.count(end) == 1, 'Main.py is not the version this script knows'
    a = source.index(start)
    b = source.index(end, a)
    lines = source[a:b].split('\n')
    prefix = '\t' * tabs
    assert all(not l.strip() or l.startswith(prefix) for l in lines)
    return '\n'.join(l[tabs:] if l.strip() else '' for l in lines)


class ToDouble(torch.nn.Module):
    def forward(self, x):
        return x.double()


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('diffmm')
    ref = extract(git_dir, ['Model.py', 'Main.py', 'Params.py', 'DataHandler.py', 'Utils/Utils.py',
                            'Utils/TimeLogger.py'])
    sys.path.insert(0, ref)
    sys.argv = ['Main.py'] + FLAGS
    # Imports Main.py makes that the fixtures never exercise (not Debian-packaged here).
    stub_module('setproctitle', setproctitle=lambda *a: None)
    stub_module('tqdm', tqdm=lambda x, *a, **k: x)
    from Params import args
    import Model as M
    import Main
    import DataHandler as DH
    from Utils.Utils import contrastLoss, pairPredict  # noqa: F401  (used by Main.py's block)

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'HKUDS/DiffMM', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'flags': FLAGS})

    # ---- data: the authors' DataHandler steps on a tiny interaction matrix -----------------------
    import scipy.sparse as sp
    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    trnMat = sp.coo_matrix((np.ones(len(TRAIN), dtype=np.float32), (u, i)), shape=(USERS, ITEMS))
    args.user, args.item = trnMat.shape
    args.image_feat_dim, args.text_feat_dim = IMAGE_WIDTH, TEXT_WIDTH
    handler = object.__new__(DH.DataHandler)
    torchBiAdj = handler.makeTorchAdj(trnMat)
    image_raw = torch.randn(ITEMS, IMAGE_WIDTH)
    text_raw = torch.rand(ITEMS, TEXT_WIDTH) * 2
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM)
    out.ints('train_pairs', np.array(TRAIN))
    out.array('image_features', image_raw)
    out.array('text_features', text_raw)
    out.array('adjacency_dense', torchBiAdj.to_dense())
    args_used = {k: getattr(args, k) for k in ['reg', 'ssl_reg', 'temp', 'e_loss', 'ris_lambda', 'ris_adj_lambda',
                                               'keepRate', 'trans', 'cl_method', 'batch', 'gnn_layer', 'steps',
                                               'noise_scale', 'noise_min', 'noise_max', 'd_emb_size', 'dims',
                                               'rebuild_k', 'sampling_steps', 'sampling_noise', 'latdim']}
    out.put('args', args_used)

    # ---- models, built as Coach.prepareModel builds them (no audio: the two-modality path) ---------
    model = M.Model(image_raw, text_raw)
    with torch.no_grad():
        model.modal_weight.copy_(model.modal_weight + 0.4 * torch.randn(2))  # off the uniform start
    diffusion = M.GaussianDiffusion(args.noise_scale, args.noise_min, args.noise_max, args.steps)
    out_dims = eval(args.dims) + [args.item]
    in_dims = out_dims[::-1]
    den_image = M.Denoise(in_dims, out_dims, args.d_emb_size, norm=args.norm)
    den_text = M.Denoise(in_dims, out_dims, args.d_emb_size, norm=args.norm)
    # A deeper denoiser with an odd time-embedding width: --dims [6,3] --d_emb_size 7.
    deep_out = [6, 3] + [args.item]
    den_deep = M.Denoise(deep_out[::-1], deep_out, 7, norm=False)
    # At their initial scale every user's denoised row peaks at the same item; larger weights make
    # the generated graphs (case c) differ from user to user: the weights on x are scaled up.
    with torch.no_grad():
        for d in (den_image, den_text):
            d.in_layers[0].weight[:, :ITEMS].mul_(WEIGHT_SCALE)  # the block that multiplies x

    out.array('user_embeddings', model.uEmbeds)
    out.array('item_embeddings', model.iEmbeds)
    # nn.Linear keeps weight as (out × in); the fixtures keep PyTorch's layout, the test transposes.
    out.array('image_trans_weight', model.image_trans.weight)
    out.array('image_trans_bias', model.image_trans.bias.reshape(1, -1))
    out.array('text_trans_weight', model.text_trans.weight)
    out.array('text_trans_bias', model.text_trans.bias.reshape(1, -1))
    out.array('modal_weight', model.modal_weight.reshape(1, -1))
    for name, d in [('denoiser_image', den_image), ('denoiser_text', den_text), ('denoiser_deep', den_deep)]:
        out.array(name + '_emb_weight', d.emb_layer.weight)
        out.array(name + '_emb_bias', d.emb_layer.bias.reshape(1, -1))
        layers = list(d.in_layers) + list(d.out_layers)
        out.put(name + '_layers', len(layers))
        for k, layer in enumerate(layers):
            out.array('%s_layer%d_weight' % (name, k), layer.weight)
            out.array('%s_layer%d_bias' % (name, k), layer.bias.reshape(1, -1))
    out.put('denoiser_deep_dims', [6, 3]); out.put('denoiser_deep_emb', 7)

    # ---- (a) Denoise.forward at fixed x_t and timesteps, mess_dropout off ---------------------------
    x_t = torch.rand(USERS, ITEMS) * 1.5 - 0.25
    t_mixed = torch.tensor([0, 1, 2, 3, 4, 2, 0])
    t_shared = torch.full((USERS,), 3, dtype=torch.long)
    out.array('a_x_t', x_t)
    out.ints('a_t_mixed', t_mixed.reshape(1, -1))
    out.ints('a_t_shared', t_shared.reshape(1, -1))
    with torch.no_grad():
        out.array('a_image_mixed', den_image(x_t, t_mixed, False))
        out.array('a_image_shared', den_image(x_t, t_shared, False))
        out.array('a_deep_mixed', den_deep(x_t, t_mixed, False))

    # ---- (b) GaussianDiffusion.training_losses at fixed timesteps and noise -------------------------
    # Their method draws ts and noise itself; the generator is seeded so that the draws below are the
    # very ones it makes (checked by recomputing its model output). Dropout off: the denoiser in eval().
    x_start = torch.FloatTensor(trnMat.A)
    order = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    batch_item, batch_index = x_start[order], order
    iEmbeds = model.getItemEmbeds().detach()
    feats = {'image': model.getImageFeats().detach(), 'text': model.getTextFeats().detach()}
    out.ints('b_batch_users', batch_index.reshape(1, -1))
    total = 0
    for name, den, seed in [('image', den_image, 11), ('text', den_text, 40)]:
        den.eval()
        # the first seed from `seed` on whose timesteps include t = 0 and two other steps
        while True:
            torch.manual_seed(seed)
            ts = torch.randint(0, diffusion.steps, (batch_item.size(0),))
            if 0 in ts.tolist() and len(set(ts.tolist())) >= 3:
                break
            seed += 1
        out.put('b_%s_seed' % name, seed)
        torch.manual_seed(seed)
        ts = torch.randint(0, diffusion.steps, (batch_item.size(0),)).long()
        noise = torch.randn_like(batch_item)
        torch.manual_seed(seed)
        diff_loss, gc_loss = diffusion.training_losses(den, batch_item, iEmbeds, batch_index, feats[name])
        with torch.no_grad():
            x_t_b = diffusion.q_sample(batch_item, ts, noise)
            pred = den(x_t_b, ts)
            mse = ((batch_item - pred) ** 2).mean(dim=1)
            weight = torch.where(ts == 0, 1.0, diffusion.SNR(ts - 1) - diffusion.SNR(ts))
            assert torch.allclose(diff_loss, weight * mse), 'seeded draws differ from training_losses\''
        # Main.py: loss_m = diff_loss.mean() + gc_loss.mean() * e_loss
        loss_m = diff_loss.mean() + gc_loss.mean() * args.e_loss
        total = total + loss_m
        out.ints('b_%s_t' % name, ts.reshape(1, -1))
        out.array('b_%s_noise' % name, noise)
        out.array('b_%s_x_t' % name, x_t_b)
        out.array('b_%s_predicted' % name, pred)
        out.array('b_%s_diff_loss_rows' % name, diff_loss.reshape(1, -1), np.float64)
        out.array('b_%s_gc_loss_rows' % name, gc_loss.reshape(1, -1), np.float64)
        out.scalar('b_%s_diff_loss' % name, diff_loss.mean())
        out.scalar('b_%s_gc_loss' % name, gc_loss.mean())
        out.scalar('b_%s_loss' % name, loss_m)
        den.train()
    out.scalar('b_total_loss', total)
    # gradients of the summed loss with respect to each denoiser's parameters (PyTorch layouts)
    den_image.zero_grad(); den_text.zero_grad()
    total.backward()
    for name, d in [('image', den_image), ('text', den_text)]:
        out.array('b_%s_grad_emb_weight' % name, d.emb_layer.weight.grad)
        out.array('b_%s_grad_emb_bias' % name, d.emb_layer.bias.grad.reshape(1, -1))
        for k, layer in enumerate(list(d.in_layers) + list(d.out_layers)):
            out.array('b_%s_grad_layer%d_weight' % (name, k), layer.weight.grad)
            out.array('b_%s_grad_layer%d_bias' % (name, k), layer.bias.grad.reshape(1, -1))

    # ---- (c) graph generation: Main.py's rebuild block, p_sample with sampling_steps = 0 ------------
    source = open(os.path.join(ref, 'Main.py')).read()
    rebuild = block(source, "\t\twith torch.no_grad():\n\n\t\t\tu_list_image = []",
                    "\t\tlog('UI matrix built!')\n", 2)

    class Recorder(torch.nn.Module):
        """Stands in for model.edgeDropper: keeps the graph before dropout, then drops as theirs does."""
        def __init__(self, inner):
            super().__init__()
            self.inner, self.seen = inner, []

        def forward(self, adj):
            self.seen.append(adj.coalesce())
            return self.inner(adj)

    recorder = Recorder(model.edgeDropper)
    model.edgeDropper = recorder
    coach = object.__new__(Main.Coach)
    coach.model, coach.diffusion_model = model, diffusion
    coach.denoise_model_image, coach.denoise_model_text = den_image, den_text
    torch.manual_seed(SEED + 1)
    scope = {'self': coach, 'args': args, 'torch': torch, 'np': np,
             'diffusionLoader': [(batch_item, batch_index)]}
    exec(compile(rebuild, 'Main.py:trainEpoch(rebuild)', 'exec'), scope)
    model.edgeDropper = recorder.inner
    with torch.no_grad():
        for name, den in [('image', den_image), ('text', den_text)]:
            den_out = diffusion.p_sample(den, x_start, args.sampling_steps, args.sampling_noise)
            out.array('c_%s_denoised' % name, den_out)
            # The same reverse process in float64 (their code, the denoiser's weights widened; the
            # schedule coefficients stay the float32 values _extract_into_tensor gives both runs):
            # a yardstick for float32 rounding, which the 8x input weights amplify over five steps.
            den64 = copy.deepcopy(den).double()
            den64.emb_layer = torch.nn.Sequential(ToDouble(), den64.emb_layer)
            den_out64 = diffusion.p_sample(den64, x_start.double(), args.sampling_steps, args.sampling_noise)
            assert den_out64.dtype == torch.float64
            out.array('c_%s_denoised_f64' % name, den_out64, np.float64)
            print(name, 'p_sample float32 vs float64: max |diff|', (den_out.double() - den_out64).abs().max().item())
            top3 = torch.topk(den_out, k=3)
            # guard against near-ties that float rounding could flip
            gaps = (top3.values[:, :-1] - top3.values[:, 1:]).min().item()
            rest = den_out.clone(); rest.scatter_(1, top3.indices, -1e9)
            gap_k = (top3.values[:, -1] - rest.max(dim=1).values).min().item()
            print(name, 'top-3 gaps', gaps, gap_k)
            assert min(gaps, gap_k) > 1e-4, 'near-tie in top-3; change SEED'
            out.ints('c_%s_top3' % name, top3.indices)
            out.ints('c_%s_edges_users' % name, np.array(scope['u_list_' + name]).reshape(1, -1))
            out.ints('c_%s_edges_items' % name, np.array(scope['i_list_' + name]).reshape(1, -1))
    out.array('c_image_graph', recorder.seen[0].to_dense())
    out.array('c_text_graph', recorder.seen[1].to_dense())
    # edge-dropped graphs, the "given" modality graphs of case (d)
    out.array('d_image_graph', scope['self'].image_UI_matrix.to_dense())
    out.array('d_text_graph', scope['self'].text_UI_matrix.to_dense())

    # ---- (d) recommendation batch loss: Main.py's block from forward_MM to `loss += clLoss` ---------
    loss_block = block(source, "\t\t\tif args.data == 'tiktok':\n\t\t\t\tusrEmbeds, itmEmbeds = self.model.forward_MM(",
                       "\n\t\t\tepClLoss += clLoss.item()", 3)

    class Handler:
        pass
    coach.handler = Handler()
    coach.handler.torchBiAdj = torchBiAdj
    ancs, poss, negs = (torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG))
    scope = {'self': coach, 'args': args, 'torch': torch, 'ancs': ancs, 'poss': poss, 'negs': negs,
             'pairPredict': pairPredict, 'contrastLoss': contrastLoss, 'epRecLoss': 0, 'epLoss': 0}
    exec(compile(loss_block, 'Main.py:trainEpoch(batch loss)', 'exec'), scope)
    out.ints('d_users', ancs.reshape(1, -1)); out.ints('d_positives', poss.reshape(1, -1))
    out.ints('d_negatives', negs.reshape(1, -1))
    out.array('d_main_users', scope['usrEmbeds']); out.array('d_main_items', scope['itmEmbeds'])
    out.array('d_view_image_users', scope['usrEmbeds1']); out.array('d_view_image_items', scope['itmEmbeds1'])
    out.array('d_view_text_users', scope['usrEmbeds2']); out.array('d_view_text_items', scope['itmEmbeds2'])
    for k in ['bprLoss', 'regLoss', 'clLoss', 'loss']:
        out.scalar('d_' + k, scope[k])
    # gradients of Main.py's `loss` (what it back-propagates) with respect to the model's parameters
    model.zero_grad()
    scope['loss'].backward()
    out.array('d_grad_user_embeddings', model.uEmbeds.grad)
    out.array('d_grad_item_embeddings', model.iEmbeds.grad)
    for m in ['image', 'text']:
        trans = getattr(model, m + '_trans')
        out.array('d_grad_%s_trans_weight' % m, trans.weight.grad)
        out.array('d_grad_%s_trans_bias' % m, trans.bias.grad.reshape(1, -1))
    out.array('d_grad_modal_weight', model.modal_weight.grad.reshape(1, -1))

    # ---- (e) the same batch on the three-modality TikTok path (image, text, audio) ------------------
    # args.data = 'tiktok' switches Model, the rebuild block and the loss block to their audio branches.
    data_flag = args.data
    args.data = 'tiktok'
    args.audio_feat_dim = AUDIO_WIDTH
    audio_raw = torch.randn(ITEMS, AUDIO_WIDTH)
    model3 = M.Model(image_raw, text_raw, audio_raw)
    with torch.no_grad():
        model3.modal_weight.copy_(model3.modal_weight + 0.4 * torch.randn(3))
    den_audio = M.Denoise(in_dims, out_dims, args.d_emb_size, norm=args.norm)
    with torch.no_grad():
        den_audio.in_layers[0].weight[:, :ITEMS].mul_(WEIGHT_SCALE)
    coach3 = object.__new__(Main.Coach)
    coach3.model, coach3.diffusion_model = model3, diffusion
    coach3.denoise_model_image, coach3.denoise_model_text, coach3.denoise_model_audio = den_image, den_text, den_audio
    coach3.handler = coach.handler
    scope = {'self': coach3, 'args': args, 'torch': torch, 'np': np,
             'diffusionLoader': [(batch_item, batch_index)]}
    exec(compile(rebuild, 'Main.py:trainEpoch(rebuild, tiktok)', 'exec'), scope)
    scope = {'self': coach3, 'args': args, 'torch': torch, 'ancs': ancs, 'poss': poss, 'negs': negs,
             'pairPredict': pairPredict, 'contrastLoss': contrastLoss, 'epRecLoss': 0, 'epLoss': 0}
    exec(compile(loss_block, 'Main.py:trainEpoch(batch loss, tiktok)', 'exec'), scope)
    out.array('audio_features', audio_raw)
    out.array('e_user_embeddings', model3.uEmbeds)
    out.array('e_item_embeddings', model3.iEmbeds)
    for m in ['image', 'text', 'audio']:
        trans = getattr(model3, m + '_trans')
        out.array('e_%s_trans_weight' % m, trans.weight)
        out.array('e_%s_trans_bias' % m, trans.bias.reshape(1, -1))
        out.array('e_%s_graph' % m, getattr(coach3, m + '_UI_matrix').to_dense())
    out.array('e_modal_weight', model3.modal_weight.reshape(1, -1))
    out.array('e_main_users', scope['usrEmbeds']); out.array('e_main_items', scope['itmEmbeds'])
    for k in ['bprLoss', 'regLoss', 'clLoss', 'loss']:
        out.scalar('e_' + k, scope[k])
    model3.zero_grad()
    scope['loss'].backward()
    out.array('e_grad_user_embeddings', model3.uEmbeds.grad)
    out.array('e_grad_item_embeddings', model3.iEmbeds.grad)
    for m in ['image', 'text', 'audio']:
        trans = getattr(model3, m + '_trans')
        out.array('e_grad_%s_trans_weight' % m, trans.weight.grad)
        out.array('e_grad_%s_trans_bias' % m, trans.bias.grad.reshape(1, -1))
    out.array('e_grad_modal_weight', model3.modal_weight.grad.reshape(1, -1))
    args.data = data_flag

    # ---- (f) the same batch with the Baby README flags (--reg 1e-5 --ssl_reg 1e-1 --keepRate 1
    # --e_loss 0.01, trans 0 and cl_method 0 by default): leaky projections, modality-vs-modality CL,
    # the graphs of (c) without edge dropout (keepRate 1 keeps every edge).
    saved = {k: getattr(args, k) for k in ['reg', 'ssl_reg', 'keepRate', 'e_loss', 'trans', 'cl_method']}
    args.reg, args.ssl_reg, args.keepRate, args.e_loss, args.trans, args.cl_method = 1e-5, 1e-1, 1.0, 0.01, 0, 0
    model0 = M.Model(image_raw, text_raw)
    with torch.no_grad():
        model0.modal_weight.copy_(model0.modal_weight + 0.4 * torch.randn(2))
    coach0 = object.__new__(Main.Coach)
    coach0.model, coach0.handler = model0, coach.handler
    coach0.image_UI_matrix, coach0.text_UI_matrix = recorder.seen[0], recorder.seen[1]
    scope = {'self': coach0, 'args': args, 'torch': torch, 'ancs': ancs, 'poss': poss, 'negs': negs,
             'pairPredict': pairPredict, 'contrastLoss': contrastLoss, 'epRecLoss': 0, 'epLoss': 0}
    exec(compile(loss_block, 'Main.py:trainEpoch(batch loss, baby flags)', 'exec'), scope)
    out.put('f_args', {k: getattr(args, k) for k in saved})
    out.array('f_user_embeddings', model0.uEmbeds)
    out.array('f_item_embeddings', model0.iEmbeds)
    # trans 0: nn.Parameter projections, already (in × d)
    out.array('f_image_trans', model0.image_trans)
    out.array('f_text_trans', model0.text_trans)
    out.array('f_modal_weight', model0.modal_weight.reshape(1, -1))
    out.array('f_main_users', scope['usrEmbeds']); out.array('f_main_items', scope['itmEmbeds'])
    for k in ['bprLoss', 'regLoss', 'clLoss', 'loss']:
        out.scalar('f_' + k, scope[k])
    model0.zero_grad()
    scope['loss'].backward()
    out.array('f_grad_user_embeddings', model0.uEmbeds.grad)
    out.array('f_grad_item_embeddings', model0.iEmbeds.grad)
    out.array('f_grad_image_trans', model0.image_trans.grad)
    out.array('f_grad_text_trans', model0.text_trans.grad)
    out.array('f_grad_modal_weight', model0.modal_weight.grad.reshape(1, -1))
    for k, v in saved.items():
        setattr(args, k, v)

    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
