#!/usr/bin/python3
"""DiffRec parity fixtures from the authors' code (YiyanXu/DiffRec), at fixed weights.

Usage: /usr/bin/python3 tools/parity/diffrec_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of YiyanXu/DiffRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/diffrec.

Their DiffRec/models/gaussian_diffusion.py and DiffRec/models/DNN.py are extracted from GIT_DIR's
HEAD to a temporary directory and imported as published. DiffRec/main.py's argument parser (the
block from `parser = argparse.ArgumentParser()` to `args = parser.parse_args()`) is cut out of its
source and run on no arguments, so the defaults recorded are theirs; the diffusion and the DNN
are built as main.py builds them, at a tiny size (7 users, 9 items, --dims [6]).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository, nor in the extracted reference
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract, FixtureWriter, git_head, output_dir  # noqa: E402

SEED = 421
USERS, ITEMS = 7, 9
DIMS = '[6]'
# (user, item) training pairs: every user and item has at least one interaction.
TRAIN = [(0, 0), (0, 3), (0, 7), (1, 1), (1, 4), (2, 2), (2, 5), (2, 8), (3, 0), (3, 6),
         (4, 1), (4, 3), (4, 5), (5, 7), (5, 8), (6, 2), (6, 4), (6, 6)]
BATCH = [3, 0, 6, 1, 5, 2, 4]
ARG_KEYS = ['lr', 'weight_decay', 'batch_size', 'dims', 'norm', 'emb_size', 'mean_type', 'steps',
            'noise_schedule', 'noise_scale', 'noise_min', 'noise_max', 'sampling_noise', 'sampling_steps',
            'reweight']


def main_args(source):
    start, end = 'parser = argparse.ArgumentParser()', 'args = parser.parse_args()'
    assert source.count(start) == 1 and source.count(end) == 1, 'main.py is not the version this script knows'
    scope = {'argparse': argparse}
    exec(source[source.index(start):source.index(end)], scope)
    return scope['parser'].parse_args([])


def dnn_arrays(out, name, dnn):
    out.array(name + '_emb_weight', dnn.emb_layer.weight)
    out.array(name + '_emb_bias', dnn.emb_layer.bias.reshape(1, -1))
    layers = list(dnn.in_layers) + list(dnn.out_layers)
    out.put(name + '_layers', len(layers))
    for k, layer in enumerate(layers):
        out.array('%s_layer%d_weight' % (name, k), layer.weight)
        out.array('%s_layer%d_bias' % (name, k), layer.bias.reshape(1, -1))


def dnn_grads(out, name, dnn):
    out.array(name + '_emb_weight', dnn.emb_layer.weight.grad)
    out.array(name + '_emb_bias', dnn.emb_layer.bias.grad.reshape(1, -1))
    for k, layer in enumerate(list(dnn.in_layers) + list(dnn.out_layers)):
        out.array('%s_layer%d_weight' % (name, k), layer.weight.grad)
        out.array('%s_layer%d_bias' % (name, k), layer.bias.grad.reshape(1, -1))


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('diffrec')
    ref = extract(git_dir, ['DiffRec/models/gaussian_diffusion.py', 'DiffRec/models/DNN.py', 'DiffRec/main.py'])
    sys.path.insert(0, os.path.join(ref, 'DiffRec'))
    import models.gaussian_diffusion as gd
    from models.DNN import DNN
    with open(os.path.join(ref, 'DiffRec', 'main.py')) as f:
        args = main_args(f.read())

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'YiyanXu/DiffRec', 'commit': git_head(git_dir), 'torch': torch.__version__})
    out.put('main_defaults', {k: getattr(args, k) for k in ARG_KEYS})
    args.dims = DIMS
    out.put('users', USERS); out.put('items', ITEMS); out.put('dims', eval(args.dims))
    out.put('emb_size', args.emb_size); out.put('steps', args.steps)
    out.put('history_num_per_term', 10)

    u = np.array([p[0] for p in TRAIN]); i = np.array([p[1] for p in TRAIN])
    x_all = torch.zeros(USERS, ITEMS)
    x_all[u, i] = 1.0
    out.ints('train_pairs', np.array(TRAIN))

    # ---- as main.py builds them -------------------------------------------------------------------
    mean_type = gd.ModelMeanType.START_X if args.mean_type == 'x0' else gd.ModelMeanType.EPSILON
    diffusion = gd.GaussianDiffusion(mean_type, args.noise_schedule, args.noise_scale, args.noise_min,
                                     args.noise_max, args.steps, torch.device('cpu'))
    out_dims = eval(args.dims) + [ITEMS]
    in_dims = out_dims[::-1]
    model = DNN(in_dims, out_dims, args.emb_size, time_type='cat', norm=args.norm)
    dnn_arrays(out, 'dnn', model)
    # A deeper DNN with an odd embedding width and norm on: --dims [6,3] --emb_size 7 --norm.
    deep_out = [6, 3] + [ITEMS]
    deep = DNN(deep_out[::-1], deep_out, 7, time_type='cat', norm=True)
    dnn_arrays(out, 'deep', deep)
    out.put('deep_dims', [6, 3]); out.put('deep_emb_size', 7)

    # ---- the schedule, float64 ----------------------------------------------------------------------
    out.array('betas', diffusion.betas.reshape(1, -1), np.float64)
    out.array('alphas_cumprod', diffusion.alphas_cumprod.reshape(1, -1), np.float64)
    out.array('posterior_mean_coef1', diffusion.posterior_mean_coef1.reshape(1, -1), np.float64)
    out.array('posterior_mean_coef2', diffusion.posterior_mean_coef2.reshape(1, -1), np.float64)
    out.array('posterior_log_variance_clipped', diffusion.posterior_log_variance_clipped.reshape(1, -1), np.float64)
    linear = gd.GaussianDiffusion(mean_type, 'linear', args.noise_scale, args.noise_min, args.noise_max,
                                  args.steps, torch.device('cpu'))
    out.array('linear_betas', linear.betas.reshape(1, -1), np.float64)

    # ---- (a) DNN.forward at fixed x_t, in eval() (dropout off) --------------------------------------
    model.eval(); deep.eval()
    x_t = torch.rand(USERS, ITEMS) * 1.5 - 0.25
    t_mixed = torch.tensor([0, 1, 17, 99, 4, 50, 0])
    out.array('a_x_t', x_t)
    out.ints('a_t', t_mixed.reshape(1, -1))
    with torch.no_grad():
        out.array('a_dnn', model(x_t, t_mixed))
        out.array('a_deep', deep(x_t, t_mixed))

    # ---- (b) training_losses while the history is not full: uniform t, p_t = 1 ----------------------
    # training_losses draws ts and noise itself; the generator is seeded so that the draws below are
    # the very ones it makes (checked by recomputing its output). The DNN is in eval(): no dropout.
    order = torch.tensor(BATCH)
    x_start = x_all[order]
    out.ints('b_batch_users', order.reshape(1, -1))
    seed = 11
    while True:  # the first seed whose timesteps include t = 0 and one t drawn twice
        torch.manual_seed(seed)
        ts = torch.randint(0, diffusion.steps, (len(BATCH),))
        if 0 in ts.tolist() and len(set(ts.tolist())) < len(BATCH):
            break
        seed += 1
    out.put('b_seed', seed)
    torch.manual_seed(seed)
    ts = torch.randint(0, diffusion.steps, (len(BATCH),)).long()
    noise = torch.randn_like(x_start)
    torch.manual_seed(seed)
    terms = diffusion.training_losses(model, x_start, args.reweight)
    with torch.no_grad():
        pred = model(diffusion.q_sample(x_start, ts, noise), ts)
        mse = ((x_start - pred) ** 2).mean(dim=1)
        weight = torch.where(ts == 0, 1.0, diffusion.SNR(ts - 1) - diffusion.SNR(ts))
        assert torch.allclose(terms['loss'], weight * mse), 'seeded draws differ from training_losses\''
    out.ints('b_t', ts.reshape(1, -1))
    out.array('b_noise', noise)
    out.array('b_predicted', pred)
    out.array('b_loss_rows', terms['loss'].reshape(1, -1), np.float64)
    loss = terms['loss'].mean()  # main.py: losses["loss"].mean()
    out.scalar('b_loss', loss)
    out.array('b_lt_history', diffusion.Lt_history, np.float64)
    out.ints('b_lt_count', diffusion.Lt_count.reshape(1, -1))
    model.zero_grad()
    loss.backward()
    dnn_grads(out, 'b_grad', model)

    # ---- (c) training_losses once the history is full: importance-sampled t, loss / p_t -------------
    # A full history of float32-representable values (ours is float32), one step's set ten times
    # larger so that p_t is far from uniform.
    history = torch.rand(args.steps, 10) * 0.05
    history[7] *= 10
    history = history.double()
    diffusion.Lt_history = history.clone()
    diffusion.Lt_count = torch.full((args.steps,), 10, dtype=int)
    out.array('c_lt_history_before', history, np.float64)
    lt_sqrt = torch.sqrt(torch.mean(history ** 2, axis=-1))
    pt_all = lt_sqrt / lt_sqrt.sum() * (1 - 0.001) + 0.001 / args.steps
    out.array('c_pt_all', pt_all.reshape(1, -1), np.float64)
    seed = 23
    while True:  # the first seed that draws step 7 and a step drawn twice
        torch.manual_seed(seed)
        ts, pt = diffusion.sample_timesteps(len(BATCH), 'cpu', 'importance')
        if 7 in ts.tolist() and len(set(ts.tolist())) < len(BATCH):
            break
        seed += 1
    out.put('c_seed', seed)
    torch.manual_seed(seed)
    ts, pt = diffusion.sample_timesteps(len(BATCH), 'cpu', 'importance')
    noise = torch.randn_like(x_start)
    assert torch.allclose(pt, pt_all[ts] * args.steps)
    torch.manual_seed(seed)
    terms = diffusion.training_losses(model, x_start, args.reweight)
    with torch.no_grad():
        pred = model(diffusion.q_sample(x_start, ts, noise), ts)
        weight = torch.where(ts == 0, 1.0, diffusion.SNR(ts - 1) - diffusion.SNR(ts))
        weighted = weight * ((x_start - pred) ** 2).mean(dim=1)
        assert torch.allclose(terms['loss'], weighted / pt), 'seeded draws differ from training_losses\''
    out.ints('c_t', ts.reshape(1, -1))
    out.array('c_pt', pt.reshape(1, -1), np.float64)
    out.array('c_noise', noise)
    out.array('c_weighted_rows', weighted.reshape(1, -1), np.float64)
    out.array('c_loss_rows', terms['loss'].reshape(1, -1), np.float64)
    loss = terms['loss'].mean()
    out.scalar('c_loss', loss)
    out.array('c_lt_history_after', diffusion.Lt_history, np.float64)
    model.zero_grad()
    loss.backward()
    dnn_grads(out, 'c_grad', model)

    # ---- (d) inference: p_sample from the training rows, sampling_steps 0, no sampling noise ---------
    with torch.no_grad():
        denoised = diffusion.p_sample(model, x_all, args.sampling_steps, args.sampling_noise)
        out.array('d_denoised', denoised)
        deep_denoised = diffusion.p_sample(deep, x_all, 0, False)
        out.array('d_deep_denoised', deep_denoised)

    # ---- (e, f) the eps mean type: training_losses (uniform phase, t = 0 in the batch) and p_sample --
    eps = gd.GaussianDiffusion(gd.ModelMeanType.EPSILON, args.noise_schedule, args.noise_scale, args.noise_min,
                               args.noise_max, args.steps, torch.device('cpu'))
    seed = 5
    while True:
        torch.manual_seed(seed)
        ts = torch.randint(0, eps.steps, (len(BATCH),))
        if 0 in ts.tolist():
            break
        seed += 1
    out.put('e_seed', seed)
    torch.manual_seed(seed)
    ts = torch.randint(0, eps.steps, (len(BATCH),)).long()
    noise = torch.randn_like(x_start)
    torch.manual_seed(seed)
    terms = eps.training_losses(model, x_start, args.reweight)
    with torch.no_grad():  # the draws are training_losses' own: its unweighted eps-MSE at t > 0
        mse = ((noise - model(eps.q_sample(x_start, ts, noise), ts)) ** 2).mean(dim=1)
        abar, prev = eps.alphas_cumprod[ts], eps.alphas_cumprod_prev[ts]
        weight = (1 - abar) / ((1 - prev) ** 2 * (1 - eps.betas[ts]))
        assert torch.allclose(terms['loss'][ts != 0], (weight * mse)[ts != 0])
    out.ints('e_t', ts.reshape(1, -1))
    out.array('e_noise', noise)
    out.array('e_loss_rows', terms['loss'].reshape(1, -1), np.float64)
    loss = terms['loss'].mean()
    out.scalar('e_loss', loss)
    model.zero_grad()
    loss.backward()
    dnn_grads(out, 'e_grad', model)
    with torch.no_grad():
        out.array('f_eps_denoised', eps.p_sample(model, x_all, 0, False))
    out.close()


if __name__ == '__main__':
    main()
