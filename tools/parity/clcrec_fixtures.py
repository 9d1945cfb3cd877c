#!/usr/bin/python3
"""CLCRec parity fixtures from the authors' implementation (weiyinwei/CLCRec model_CLCRec.py).

Usage: /usr/bin/python3 tools/parity/clcrec_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of weiyinwei/CLCRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/clcrec.

model_CLCRec.py is run as published less its `.cuda()` calls; its import of torch_geometric's scatter_
(used only for TikTok's word features) is stubbed. Image (5 wide) as their v_feat and text (3 wide) as
their t_feat (is_word False), the tiny data of mmrec_multimodal.py: item 8 has no training interaction
(cold, their ids after the warm ones). The rows swapped for content embeddings (their torch.randint
rand_index) are recorded and given to the Java test. tqdm is stubbed too (imported, unused here).

Their gradient repeats a swapped row's content gradient once per repeated draw of the row (the in-place
index assignment's backward); the gradients written as grad_* are the loss's derivative, from the same
forward with each drawn row once (raw_grad_encoder_layer1_weight keeps theirs as published).
"""
import importlib
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract, FixtureWriter, git_head, output_dir, stub_module  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

K, REG, TEMP, LAMBDA, SAMPLE = 3, 0.1, 0.7, 0.6, 0.5
WARM = 8


def negatives():
    """K warm items per batch row that its user has not interacted with in training (fixed numpy seed)."""
    rng = np.random.default_rng(mm.SEED)
    seen = {}
    for u, i in mm.TRAIN:
        seen.setdefault(u, set()).add(i)
    out = []
    for u in mm.BATCH_USERS:
        pool = [i for i in range(WARM) if i not in seen[u]]
        out.append(list(rng.choice(pool, size=K, replace=False)))
    return np.array(out)


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('clcrec')
    ref = extract(git_dir, ['model_CLCRec.py'], strip_cuda=True)
    sys.path.insert(0, ref)
    stub_module('torch_geometric'); stub_module('torch_geometric.utils', scatter_=None)
    stub_module('tqdm', tqdm=None)
    clc = importlib.import_module('model_CLCRec')
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    image, text = mm.features()
    model = clc.CLCRec(mm.USERS, mm.ITEMS, WARM, None, REG, mm.DIM, torch.tensor(image), None, torch.tensor(text),
                       TEMP, K, LAMBDA, False, SAMPLE)

    drawn = []
    real_randint = torch.randint

    def recorded_randint(*args, **kwargs):
        t = real_randint(*args, **kwargs)
        drawn.append(t.clone())
        return t

    clc.torch.randint = recorded_randint

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'weiyinwei/CLCRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'model_CLCRec.py'})
    mm.write_common(out, image, text)
    for k, v in (('num_neg', K), ('reg_weight', REG), ('temp_value', TEMP), ('lr_lambda', LAMBDA),
                 ('num_sample', SAMPLE)):
        out.put(k, v)
    out.array('id_embedding', model.id_embedding)
    for name in ('encoder_layer1', 'encoder_layer2'):
        out.array(name + '_weight', getattr(model, name).weight); out.array(name + '_bias', getattr(model, name).bias)
    neg = negatives()
    out.ints('batch_k_negatives', neg)
    users = torch.tensor(mm.BATCH_USERS).view(-1, 1).repeat(1, 1 + K)
    items = torch.cat((torch.tensor(mm.BATCH_POS).view(-1, 1), torch.tensor(neg)), dim=1) + mm.USERS
    loss, model_loss, reg = model.loss(users, items)
    clc.torch.randint = real_randint
    assert len(drawn) == 1
    out.ints('rand_index', drawn[0].view(1, -1))
    out.scalar('loss', loss); out.scalar('l1', model.contrastive_loss_1); out.scalar('l2', model.contrastive_loss_2)
    out.scalar('reg', reg)
    out.array('content', model.encoder())
    out.array('result', model.result)  # users, warm items' ID rows, then the cold item's content row
    model.zero_grad()
    loss.backward()
    # Their all_item_input[rand_index] = all_item_feat[rand_index] repeats a row's content gradient once per
    # repeated draw of it (index_put without accumulation, backward gathers per index): their raw gradient.
    out.array('raw_grad_encoder_layer1_weight', model.encoder_layer1.weight.grad)
    # The loss's derivative: the same forward with each swapped row drawn once.
    clc.torch.randint = lambda *args, **kwargs: torch.unique(drawn[0])
    loss2, _, _ = model.loss(users, items)
    clc.torch.randint = real_randint
    assert torch.equal(loss2, loss)
    model.zero_grad()
    loss2.backward()
    out.array('grad_id_embedding', model.id_embedding.grad)
    for name in ('encoder_layer1', 'encoder_layer2'):
        out.array('grad_' + name + '_weight', getattr(model, name).weight.grad)
        out.array('grad_' + name + '_bias', getattr(model, name).bias.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
