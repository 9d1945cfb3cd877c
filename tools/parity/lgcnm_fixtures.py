#!/usr/bin/python3
"""LightGCN-M parity fixtures: MMRec's LightGCN (enoche/MMRec, src/models/lightgcn.py) with our
stated LGCN-M item ego embedding (no reference code for LGCN-M exists).

Usage: /usr/bin/python3 tools/parity/lgcnm_fixtures.py GIT_DIR [OUT_DIR]
GIT_DIR: git directory of enoche/MMRec; OUT_DIR defaults to diffmm-core/src/test/resources/parity/lgcnm.

MMRec's LightGCN class is imported as published; a subclass adds an nn.Linear on
torch.cat((image, text), -1) (Xavier-normal weight as MMRec's xavier_normal_initialization, bias
moved off zero) and overrides get_ego_embeddings to return [user_emb; item_emb + Linear(features)],
so MMRec's forward() propagates our ego rows. The loss is composed here from the model's own
BPRLoss and EmbLoss: BPR on the propagated rows + reg_weight * EmbLoss over the batch's ego rows.
"""
import importlib
import os
import sys

import torch
import torch.nn as nn

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_common import extract_mmrec, FixtureWriter, git_head, output_dir  # noqa: E402
import mmrec_multimodal as mm  # noqa: E402

LAYERS, REG = 2, 1e-1


def main():
    git_dir = sys.argv[1]
    out_dir = output_dir('lgcnm')
    ref = extract_mmrec(git_dir, 'lightgcn', strip_cuda=False)
    lightgcn = importlib.import_module('models.lightgcn')

    class LightGCNM(lightgcn.LightGCN):
        def __init__(self, config, dataset):
            super().__init__(config, dataset)
            self.features = torch.cat((self.v_feat, self.t_feat), -1)  # the dataset's order: image, text
            self.item_linear = nn.Linear(self.features.shape[1], self.latent_dim)
            nn.init.xavier_normal_(self.item_linear.weight)
            with torch.no_grad():
                self.item_linear.bias.normal_(0, 0.3)

        def get_ego_embeddings(self):
            items = self.embedding_dict['item_emb'] + self.item_linear(self.features)
            return torch.cat([self.embedding_dict['user_emb'], items], 0)

    torch.manual_seed(mm.SEED)
    torch.set_num_threads(1)
    model = LightGCNM(mm.config(n_layers=LAYERS, reg_weight=REG), mm.Dataset(mm.interaction_matrix()))

    out = FixtureWriter(out_dir)
    out.put('reference', {'repository': 'enoche/MMRec', 'commit': git_head(git_dir), 'torch': torch.__version__,
                          'files': 'src/models/lightgcn.py, src/common/{abstract_recommender,loss,init}.py'})
    image, text = mm.features()
    mm.write_common(out, image, text)
    out.put('n_layers', LAYERS); out.put('reg_weight', REG)
    out.array('user_emb', model.embedding_dict['user_emb']); out.array('item_emb', model.embedding_dict['item_emb'])
    out.array('item_linear_weight', model.item_linear.weight); out.array('item_linear_bias', model.item_linear.bias)
    users, items = model.forward()
    out.array('propagated_users', users); out.array('propagated_items', items)
    b = mm.batch()
    ego = model.get_ego_embeddings()
    mf = model.mf_loss(torch.mul(users[b[0]], items[b[1]]).sum(dim=1), torch.mul(users[b[0]], items[b[2]]).sum(dim=1))
    emb = model.reg_loss(ego[b[0]], ego[mm.USERS + b[1]], ego[mm.USERS + b[2]])
    loss = mf + REG * emb
    out.scalar('loss', loss); out.scalar('mf_loss', mf); out.scalar('reg_term', REG * emb)
    model.zero_grad()
    loss.backward()
    out.array('grad_user_emb', model.embedding_dict['user_emb'].grad)
    out.array('grad_item_emb', model.embedding_dict['item_emb'].grad)
    out.array('grad_item_linear_weight', model.item_linear.weight.grad)
    out.array('grad_item_linear_bias', model.item_linear.bias.grad)
    out.close()
    print('wrote', len(out.arrays), 'arrays and meta.json to', os.path.normpath(out_dir))


if __name__ == '__main__':
    main()
