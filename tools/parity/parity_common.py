"""Shared helpers of the parity fixture generators (run by hand; see README.md).

The reference repositories are read from their git directories with `git show HEAD:path` and
written to a temporary directory at run time; nothing of theirs is kept in this repository.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np


def git_head(git_dir):
    return subprocess.check_output(['git', '--git-dir=' + git_dir, 'rev-parse', 'HEAD'], text=True).strip()


def extract(git_dir, paths, strip_cuda=True):
    """Copies `paths` of the HEAD commit of `git_dir` to a fresh temporary directory and returns it.
    With strip_cuda, `.cuda()` is removed from Python files (as ../shared/peer/authors-epoch.sh does)."""
    dest = tempfile.mkdtemp(prefix='parity-ref-')
    atexit.register(shutil.rmtree, dest, True)
    for p in paths:
        text = subprocess.check_output(['git', '--git-dir=' + git_dir, 'show', 'HEAD:' + p], text=True)
        if strip_cuda and p.endswith('.py'):
            text = text.replace('.cuda()', '')
        target = os.path.join(dest, p)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'w') as f:
            f.write(text)
    return dest


def stub_module(name, **attrs):
    """Registers an empty module for an import the reference makes but the fixtures never use."""
    m = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules[name] = m
    return m


class FixtureWriter:
    """Writes .npy arrays (2-D where they are matrices; vectors as given) and one meta.json."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        for f in os.listdir(out_dir):
            if f.endswith('.npy') or f.endswith('.json'):
                os.remove(os.path.join(out_dir, f))
        self.meta = {}
        self.arrays = []

    def array(self, name, value, dtype=np.float32):
        if hasattr(value, 'detach'):
            value = value.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        np.save(os.path.join(self.out_dir, name + '.npy'), a)
        self.arrays.append(name)
        return a

    def ints(self, name, value):
        return self.array(name, value, dtype=np.int64)

    def scalar(self, name, value):
        if hasattr(value, 'detach'):
            value = value.detach().cpu().double().item()
        self.meta[name] = float(value)

    def put(self, name, value):
        self.meta[name] = value

    def close(self):
        self.meta['arrays'] = sorted(self.arrays)
        with open(os.path.join(self.out_dir, 'meta.json'), 'w') as f:
            json.dump(self.meta, f, indent=1, sort_keys=True)
            f.write('\n')


# The small training graph most fixtures share: 7 users, 9 items; item 8 has no training
# interaction, so its row of a normalised graph is empty.
SMALL_USERS, SMALL_ITEMS = 7, 9
SMALL_TRAIN = [(0, 0), (0, 3), (0, 7), (1, 1), (1, 4), (2, 2), (2, 5), (3, 0), (3, 6),
               (4, 1), (4, 3), (4, 5), (5, 7), (5, 0), (6, 2), (6, 4), (6, 6)]
# repeated users and positives, the edgeless item as a negative
SMALL_BATCH_USERS = [0, 4, 2, 4, 6, 3]
SMALL_BATCH_POS = [3, 1, 5, 5, 6, 0]
SMALL_BATCH_NEG = [5, 7, 8, 2, 1, 4]

RECBOLE_MODEL_FILES = ['recbole/model/abstract_recommender.py', 'recbole/model/layers.py',
                       'recbole/model/init.py', 'recbole/model/loss.py']


class RecBoleNames:
    """recbole.utils' enums as the modules use them at import: any member is its own name."""

    def __getattr__(self, name):
        return name


def import_recbole_model(git_dir, module):
    """Extracts recbole/model/general_recommender/MODULE.py and the four recbole/model/ files it
    imports from git_dir's HEAD and imports it as published. The packages' __init__.py files are not
    extracted (they import the whole framework): the directories are namespace packages, and
    recbole.utils, whose enums and set_color the modules only name at class level, is stubbed.
    Returns the module and the list of files read."""
    import importlib
    files = ['recbole/model/general_recommender/%s.py' % module] + RECBOLE_MODEL_FILES
    sys.path.insert(0, extract(git_dir, files, strip_cuda=False))
    names = RecBoleNames()
    stub_module('recbole.utils', ModelType=names, InputType=names, FeatureSource=names, FeatureType=names,
                set_color=lambda text, color: text)
    return importlib.import_module('recbole.model.general_recommender.' + module), files


class RecBoleDataset:
    """What RecBole's GeneralRecommender and the general models read from its dataset, over a
    scipy coo matrix of the training interactions."""
    uid_field = 'user_id'
    iid_field = 'item_id'

    def __init__(self, mat):
        import torch
        self.mat = mat
        self.inter_feat = {'user_id': torch.tensor(mat.row.astype(np.int64)),
                           'item_id': torch.tensor(mat.col.astype(np.int64))}

    def num(self, field):
        return {'user_id': self.mat.shape[0], 'item_id': self.mat.shape[1]}[field]

    def inter_matrix(self, form='coo'):
        assert form == 'coo'
        return self.mat


def coo(pairs, users, items):
    """The 0/1 scipy coo matrix of (user, item) pairs, in their order."""
    import scipy.sparse as sp
    u = np.array([p[0] for p in pairs]); i = np.array([p[1] for p in pairs])
    return sp.coo_matrix((np.ones(len(pairs)), (u, i)), shape=(users, items))


class MmrecDataset:
    """What MMRec's GeneralRecommender and its models read from its dataloader and dataset, over a
    scipy coo matrix of the training interactions (the dataloader is its own dataset here)."""

    def __init__(self, mat):
        self.mat = mat
        self.dataset = self

    def get_user_num(self):
        return self.mat.shape[0]

    def get_item_num(self):
        return self.mat.shape[1]

    def inter_matrix(self, form='coo'):
        assert form == 'coo'
        return self.mat


def write_tables_and_linears(out, named, names, grads=False, prefix=''):
    """Each named parameter as Fixture.loadTablesAndLinears reads it back: a table (a parameter with
    no bias) as NAME, an nn.Linear as NAME_weight and NAME_bias; with grads, their gradients under
    PREFIX + 'grad_' + the same names. `named` is dict(model.named_parameters())."""
    for name in names:
        parts = [('', '.weight')] if name + '.bias' not in named else [('_weight', '.weight'), ('_bias', '.bias')]
        for suffix, attr in parts:
            value = named[name + attr].grad if grads else named[name + attr]
            out.array(prefix + ('grad_' if grads else '') + name + suffix, value)


def output_dir(name):
    """The generator's output directory: its second argument, else the committed fixture directory."""
    if len(sys.argv) > 2:
        return sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, '..', '..', 'diffmm-core', 'src', 'test', 'resources', 'parity', name)


MMREC_COMMON_FILES = ['src/common/abstract_recommender.py', 'src/common/loss.py', 'src/common/init.py']


def extract_mmrec(git_dir, model, extra=(), strip_cuda=False):
    """Extracts MMRec's src/models/MODEL.py, the src/common files every model imports and `extra`
    from git_dir's HEAD, and puts the extracted src/ first on sys.path. Returns the temporary root."""
    ref = extract(git_dir, ['src/models/%s.py' % model] + MMREC_COMMON_FILES + list(extra), strip_cuda=strip_cuda)
    sys.path.insert(0, os.path.join(ref, 'src'))
    return ref
