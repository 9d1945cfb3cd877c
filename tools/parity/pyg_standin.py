"""A plain-torch stand-in for the few PyTorch Geometric pieces MMRec's mmgcn.py and grcn.py import.

PyG cannot be installed here (no pip, no internet), so `install()` registers modules named
torch_geometric, torch_geometric.nn, torch_geometric.nn.conv, torch_geometric.nn.inits and
torch_geometric.utils holding only what those two files use, written from PyG's documented
semantics (1.x/2.x):

- MessagePassing: flow 'source_to_target' (PyG's default): for edge (j -> i) = (edge_index[0][e],
  edge_index[1][e]) the message is computed from x_j (and x_i), and aggregated at i by 'add' or
  'mean' (torch_scatter's scatter mean: sum / max(count, 1); a node with no in-edge gets 0).
  message()'s arguments are filled by name as PyG does: x_i, x_j, edge_index, edge_index_i,
  edge_index_j, size, size_i, size_j, and any keyword given to propagate().
- softmax(src, index, num_nodes): exp(src - max_group) / (sum_group + 1e-16), groups by index.
- dropout_adj(edge_index, edge_attr=None, p=0.5, ..., training=True): keeps each edge with
  probability 1 - p (p = 0, the only value the models use, keeps all).
- remove_self_loops, add_self_loops, degree; nn.inits.uniform (U(-1/sqrt(size), 1/sqrt(size))).
"""
import inspect
import math
import sys
import types

import torch


class MessagePassing(torch.nn.Module):
    def __init__(self, aggr='add', flow='source_to_target', node_dim=0, **kwargs):
        super().__init__()
        assert aggr in ('add', 'mean'), aggr
        assert flow == 'source_to_target', flow
        self.aggr = aggr
        self.flow = flow

    def propagate(self, edge_index, size=None, **kwargs):
        x = kwargs['x']
        n = x.size(0)
        if size is not None and size[0] is not None:
            assert size[0] == size[1] == n
        j, i = 0, 1  # source_to_target
        args = {}
        for name in inspect.signature(self.message).parameters:
            if name == 'x_j':
                args[name] = x[edge_index[j]]
            elif name == 'x_i':
                args[name] = x[edge_index[i]]
            elif name == 'edge_index':
                args[name] = edge_index
            elif name == 'edge_index_i':
                args[name] = edge_index[i]
            elif name == 'edge_index_j':
                args[name] = edge_index[j]
            elif name == 'size':
                args[name] = (n, n)
            elif name in ('size_i', 'size_j'):
                args[name] = n
            else:
                args[name] = kwargs[name]
        msg = self.message(**args)
        out = torch.zeros((n,) + tuple(msg.shape[1:]), dtype=msg.dtype).index_add(0, edge_index[i], msg)
        if self.aggr == 'mean':
            count = torch.zeros(n, dtype=msg.dtype).index_add(0, edge_index[i], torch.ones(edge_index.size(1)))
            out = out / count.clamp(min=1).view(-1, *([1] * (msg.dim() - 1)))
        return self.update(out)

    def message(self, x_j):
        return x_j

    def update(self, aggr_out):
        return aggr_out


def softmax(src, index, num_nodes=None):
    n = int(index.max()) + 1 if num_nodes is None else num_nodes
    group_max = torch.full((n,), -math.inf, dtype=src.dtype).scatter_reduce(0, index, src.detach(), 'amax')
    out = (src - group_max[index]).exp()
    total = torch.zeros(n, dtype=src.dtype).index_add(0, index, out)
    return out / (total[index] + 1e-16)


def dropout_adj(edge_index, edge_attr=None, p=0.5, force_undirected=False, num_nodes=None, training=True):
    assert not force_undirected
    if p == 0 or not training:
        return edge_index, edge_attr
    mask = torch.rand(edge_index.size(1)) >= p
    return edge_index[:, mask], None if edge_attr is None else edge_attr[mask]


def remove_self_loops(edge_index, edge_attr=None):
    mask = edge_index[0] != edge_index[1]
    return edge_index[:, mask], None if edge_attr is None else edge_attr[mask]


def add_self_loops(edge_index, edge_weight=None, fill_value=1, num_nodes=None):
    n = int(edge_index.max()) + 1 if num_nodes is None else num_nodes
    loops = torch.arange(n, dtype=edge_index.dtype).repeat(2, 1)
    if edge_weight is not None:
        edge_weight = torch.cat([edge_weight, torch.full((n,), fill_value, dtype=edge_weight.dtype)])
    return torch.cat([edge_index, loops], dim=1), edge_weight


def degree(index, num_nodes=None, dtype=None):
    n = int(index.max()) + 1 if num_nodes is None else num_nodes
    return torch.zeros(n, dtype=dtype or torch.float).index_add(0, index, torch.ones(index.size(0), dtype=dtype or torch.float))


def uniform(size, tensor):
    if tensor is not None:
        bound = 1.0 / math.sqrt(size)
        tensor.data.uniform_(-bound, bound)


def install():
    def module(name, **attrs):
        m = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(m, k, v)
        sys.modules[name] = m
        return m
    utils = module('torch_geometric.utils', softmax=softmax, dropout_adj=dropout_adj,
                   remove_self_loops=remove_self_loops, add_self_loops=add_self_loops, degree=degree)
    inits = module('torch_geometric.nn.inits', uniform=uniform)
    conv = module('torch_geometric.nn.conv', MessagePassing=MessagePassing)
    nn = module('torch_geometric.nn', conv=conv, inits=inits)
    module('torch_geometric', nn=nn, utils=utils)
