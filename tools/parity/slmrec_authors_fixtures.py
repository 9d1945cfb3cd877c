#!/usr/bin/python3
"""SLMRec parity fixtures from the authors' implementation (zltao/SLMRec models/SLMRec.py, FAC task) with
all three of their modalities: image (their v), audio (a) and text (t), where MMRec's copy drops audio.

Usage: /usr/bin/python3 tools/parity/slmrec_authors_fixtures.py GIT_DIR [OUT_ROOT]
GIT_DIR: git directory of zltao/SLMRec; writes OUT_ROOT/slmrec_authors (FAC) and OUT_ROOT/slmrec_authors_fd (FD),
OUT_ROOT defaulting to diffmm-core/src/test/resources/parity.

FD: their nn.Dropout module is replaced by a function that multiplies by masks drawn here (keep with
probability 1 - p, survivors x 1/(1 - p)) and records them in their order (per input, per layer, view 1 then
view 2), written as mask_0, mask_1, ...

models/{__init__,BasicModel,SLMRec}.py run as published. What they import but the FAC path does not use is
stubbed: the data and evaluator packages (BasicModel builds a ProxyEvaluator), util.logger, torch_scatter
(TikTok's word features only), sklearn. The config is a dict that also answers attribute access (their
Configurator does both); data.input.dataset is 'movielens', their branch that reads t_feat as a plain
feature table. The dataset stub has what the model reads: sizes, training pairs, v/a/t features.
"""
import importlib
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import FixtureWriter, extract, git_head, stub_module, write_tables_and_linears  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

LAYERS, TEMP, SSL_TEMP, SSL_ALPHA, DROPOUT = 2, 0.2, 0.5, 0.3, 0.3
AUDIO_WIDTH = 4
PARAMS = ['v_dense', 'a_dense', 't_dense', 'embedding_item_after_GCN', 'embedding_user_after_GCN', 'g_i_iv',
          'g_v_iv', 'g_iv_iva', 'g_a_iva', 'g_iva_ivat', 'g_t_ivat']


class Config(dict):
    def __getattr__(self, name):
        return self[name]


class Logger:
    @staticmethod
    def info(*args, **kwargs):
        pass


class AuthorsDataset:
    def __init__(self, image, audio, text):
        self.num_users, self.num_items = mm.USERS, mm.ITEMS
        self.v_feat, self.a_feat, self.t_feat = (torch.tensor(f) for f in (image, audio, text))

    def get_train_interactions(self):
        return [p[0] for p in mm.TRAIN], [p[1] for p in mm.TRAIN]

    def get_user_train_dict(self):
        return {}

    get_user_test_dict = get_user_test_neg_dict = get_user_train_dict


def audio():
    return np.random.default_rng(mm.SEED + 1).normal(size=(mm.ITEMS, AUDIO_WIDTH)).astype(np.float32)


def main():
    git_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    out_root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, '..', '..', 'diffmm-core', 'src', 'test',
                                                                   'resources', 'parity')
    ref = extract(git_dir, ['models/__init__.py', 'models/BasicModel.py', 'models/SLMRec.py'], strip_cuda=False)
    sys.path.insert(0, ref)
    stub_module('data'); stub_module('data.dataset', Dataset=object)
    stub_module('evaluator', ProxyEvaluator=lambda *args, **kwargs: None)
    stub_module('util'); stub_module('util.logger', Logger=Logger)
    stub_module('torch_scatter', scatter=None)
    stub_module('sklearn'); stub_module('sklearn.cluster', KMeans=None)
    slmrec = importlib.import_module('models.SLMRec')
    run(slmrec, git_dir, os.path.join(out_root, 'slmrec_authors'), 'FAC')
    run(slmrec, git_dir, os.path.join(out_root, 'slmrec_authors_fd'), 'FD')


def run(slmrec, git_dir, out_dir, task):
    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    image, text = mm.features()
    aud = audio()
    cfg = Config({'recdim': mm.DIM, 'layer_num': LAYERS, 'mm_fusion_mode': 'concat', 'temp': TEMP, 'ssl_task': task,
                  'dropout_rate': DROPOUT,
                  'ssl_temp': SSL_TEMP, 'ssl_alpha': SSL_ALPHA, 'init': 'xavier', 'adj_type': 'pre',
                  'data.input.dataset': 'movielens', 'device': 'cpu', 'metric': None, 'group_view': None,
                  'topk': None, 'test_batch_size': None, 'num_thread': None})
    model = slmrec.SLMRec(cfg, AuthorsDataset(image, aud, text))
    masks = []
    if task == 'FD':
        # their nn.Dropout, applied after each layer of both views: masks drawn here and recorded
        class RecordedDropout(torch.nn.Module):
            def forward(self, x):
                mask = (torch.rand(x.shape) >= DROPOUT).float() / (1 - DROPOUT)
                masks.append(mask)
                return x * mask
        model.dropout = RecordedDropout()

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'zltao/SLMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'models/{__init__,BasicModel,SLMRec}.py'})
    mm.write_common(out, image, text)
    out.array('audio_feat', aud)
    for k, v in (('layer_num', LAYERS), ('temp', TEMP), ('ssl_temp', SSL_TEMP), ('ssl_alpha', SSL_ALPHA),
                 ('ssl_task', task), ('dropout_rate', DROPOUT)):
        out.put(k, v)
    named = dict(model.named_parameters())
    params = PARAMS if task == 'FAC' else [n for n in PARAMS if not n.startswith('g_')]
    write_tables_and_linears(out, named, ['embedding_user', 'embedding_item'] + params)
    users, items = model.compute()
    out.array('scoring_users', users); out.array('scoring_items', items)
    b = mm.batch()[:2]
    main_loss = model.infonce(b[0], b[1])
    if task == 'FD':
        loss = model.multi_loss(b[0], b[1])  # its compute_ssl draws the masks, once each
        ssl_term = loss - main_loss
        for k, m in enumerate(masks):
            out.array('mask_%d' % k, m)
        out.put('masks', len(masks))
    else:
        ssl = model.compute_ssl(b[0], b[1])
        loss = model.multi_loss(b[0], b[1])
        assert torch.allclose(loss, main_loss + SSL_ALPHA * ssl)
        ssl_term = SSL_ALPHA * ssl
    out.scalar('loss', loss); out.scalar('infonce', main_loss); out.scalar('ssl', ssl_term)
    model.zero_grad()
    loss.backward()
    write_tables_and_linears(out, named, ['embedding_user', 'embedding_item'] + params, grads=True)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
