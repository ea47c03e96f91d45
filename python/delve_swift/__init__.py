"""Delve's API for PyTorch on the exact, online Swift engine of Delve for Swift (`delve_swift`).

`from delve_swift import SaturationTracker` replaces `from delve import SaturationTracker`. The engine is
the C interface's library (libDelveC); the accumulator is also available on its own
(`delve_swift.Accumulator`).
"""
from ._native import BadBatchError, DelveError, DelveStateError, DelveWriterError, blas_threads, library_path, set_blas_threads
from .accumulator import Accumulator
from .tools import reconstruct_csv_from_npy_data

__version__ = "0.1.0"

try:
    import torch as _torch  # noqa: F401
except ImportError:  # the accumulator works without torch
    pass
else:
    from .torchcallback import CheckLayerSat, SaturationTracker
    from .writers import CSVWriter as csv
    from .writers import NPYWriter as npy
    from .writers import PrintWriter as console
    from .writers import TensorBoardWriter as tensorboard
