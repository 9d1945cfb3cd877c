"""Shared set-up of the multi-modal MMRec fixtures (vbpr, lgcnm, freedom; run by hand, see README.md).

MMRec's GeneralRecommender.__init__ reads the feature files itself (config['data_path'] +
config['dataset'] + '/' + vision/text_feature_file); they are written to a temporary directory so
that its code runs as published. The dataset object is a stub with the three methods the models call.
"""
import atexit
import os
import shutil
import tempfile

import numpy as np
import torch

from parity_common import (MmrecDataset, coo,  # noqa: E402
                           SMALL_BATCH_NEG, SMALL_BATCH_POS, SMALL_BATCH_USERS, SMALL_TRAIN)

SEED = 421
USERS, ITEMS, DIM = 7, 9, 4
IMAGE_WIDTH, TEXT_WIDTH = 5, 3
TRAIN, BATCH_USERS, BATCH_POS, BATCH_NEG = SMALL_TRAIN, SMALL_BATCH_USERS, SMALL_BATCH_POS, SMALL_BATCH_NEG


Dataset = MmrecDataset


def interaction_matrix():
    return coo(TRAIN, USERS, ITEMS)


def features():
    """Image (5 wide) and text (3 wide) features drawn from a fixed numpy seed, float32."""
    rng = np.random.default_rng(SEED)
    return (rng.normal(size=(ITEMS, IMAGE_WIDTH)).astype(np.float32),
            rng.normal(size=(ITEMS, TEXT_WIDTH)).astype(np.float32))


def config(**model_keys):
    """MMRec's config fields GeneralRecommender reads, with the features in a temporary directory."""
    root = tempfile.mkdtemp(prefix='parity-mm-data-')
    atexit.register(shutil.rmtree, root, True)
    os.makedirs(os.path.join(root, 'tiny'))
    image, text = features()
    np.save(os.path.join(root, 'tiny', 'image_feat.npy'), image)
    np.save(os.path.join(root, 'tiny', 'text_feat.npy'), text)
    c = {'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id', 'NEG_PREFIX': 'neg_',
         'train_batch_size': len(BATCH_USERS), 'device': 'cpu', 'end2end': False, 'is_multimodal_model': True,
         'data_path': root + os.sep, 'dataset': 'tiny', 'vision_feature_file': 'image_feat.npy',
         'text_feature_file': 'text_feat.npy', 'embedding_size': DIM}
    c.update(model_keys)
    return c


def batch():
    return [torch.tensor(v).long() for v in (BATCH_USERS, BATCH_POS, BATCH_NEG)]


def write_common(out, image, text):
    out.put('users', USERS); out.put('items', ITEMS); out.put('dim', DIM)
    out.ints('train_pairs', np.array(TRAIN))
    out.array('image_feat', image); out.array('text_feat', text)
    b = batch()
    out.ints('batch_users', b[0].reshape(1, -1)); out.ints('batch_positives', b[1].reshape(1, -1))
    out.ints('batch_negatives', b[2].reshape(1, -1))
