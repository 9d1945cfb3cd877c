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
