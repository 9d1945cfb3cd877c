"""Writes the protocol-5 pickles DataReadersHardeningTest reads (a 3×4 dataset in the authors' format).

NumPy pickles arrays with protocol 5 through numpy.core.numeric._frombuffer (in-band buffers as
BYTEARRAY8), not _reconstruct; SafePickle must accept both. Run with /usr/bin/python3 (Debian's
numpy/scipy) from the repository root:

    /usr/bin/python3 tools/data/protocol5_pickles.py diffmm-core/src/test/resources/data/protocol5
"""
import pickle
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
splits = {
    "trnMat.pkl": ([0, 1, 2, 2], [1, 0, 3, 0], np.int32),
    "valMat.pkl": ([0, 1], [2, 3], np.int64),
    "tstMat.pkl": ([0, 2], [3, 1], np.int32),
}
for name, (rows, cols, dtype) in splits.items():
    m = sp.coo_matrix((np.ones(len(rows), dtype=np.float32), (np.array(rows, dtype=dtype), np.array(cols, dtype=dtype))),
                      shape=(3, 4))
    (out / name).write_bytes(pickle.dumps(m, protocol=5))

# A coo whose shape does not fit in 32 bits (2^32+200 rows): must be refused, never read as 200.
m = sp.coo_matrix((np.ones(2), (np.array([0, 1]), np.array([1, 2]))), shape=(3, 4))
m._shape = (2**32 + 200, 4)
(out.parent / "shape-2pow32-plus-200.pkl").write_bytes(pickle.dumps(m, protocol=2))
