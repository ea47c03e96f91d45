"""The Swift engine's online covariance accumulator: exact float64 state, merges, statistics."""
import ctypes

import numpy as np

from . import _native
from ._native import check, choice, lib


def _dtype_code(array):
    if array.dtype == np.float32:
        return _native.FLOAT32
    if array.dtype == np.float64:
        return _native.FLOAT64
    raise ValueError(f"activations must be float32 or float64, got {array.dtype}")


def _contiguous(array):
    """The array itself when it is C-contiguous float32/float64 (no copy), else a contiguous copy."""
    array = np.asarray(array)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


class Accumulator:
    """Online covariance of `features` features: count, float64 mean and centred co-moment.

    Batches go in with :meth:`update` (rows × features) or :meth:`update_channelwise` (N×C×H×W); two
    accumulators, or an accumulator and a batch's moments, combine exactly (:meth:`merge`,
    :meth:`merge_moments`); :meth:`serialize` gives bytes that :meth:`deserialize` reads back.
    """

    def __init__(self, features, name="", precision="float64", _handle=None):
        if _handle is None:
            handle = ctypes.c_void_p()
            check(lib.delve_accumulator_create(int(features), name.encode(), choice(_native.PRECISIONS, precision, "precision"),
                                               ctypes.byref(handle)))
            _handle = handle.value
        self._handle = _handle

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            lib.delve_accumulator_free(handle)

    @property
    def features(self):
        out = ctypes.c_int64()
        check(lib.delve_accumulator_features(self._handle, ctypes.byref(out)))
        return out.value

    @property
    def count(self):
        """The number of observations so far."""
        out = ctypes.c_int64()
        check(lib.delve_accumulator_count(self._handle, ctypes.byref(out)))
        return out.value

    def update(self, rows):
        """Adds a rows × features batch (float32 or float64; read in place when C-contiguous)."""
        rows = _contiguous(rows)
        if rows.ndim != 2:
            raise ValueError(f"update expects rows × features, got shape {rows.shape}")
        check(lib.delve_accumulator_update(self._handle, rows.ctypes.data, _dtype_code(rows), rows.shape[0], rows.shape[1]))

    def update_channelwise(self, maps):
        """Adds N×C×H×W (or N×C×L) maps: every position of every sample is one observation of C channels."""
        maps = _contiguous(maps)
        if maps.ndim < 2:
            raise ValueError(f"update_channelwise expects N×C×…, got shape {maps.shape}")
        spatial = int(np.prod(maps.shape[2:], dtype=np.int64))
        check(lib.delve_accumulator_update_channelwise(self._handle, maps.ctypes.data, _dtype_code(maps),
                                                       maps.shape[0], maps.shape[1], spatial))

    def merge(self, other):
        """Adds every observation of `other` (exact)."""
        check(lib.delve_accumulator_merge(self._handle, other._handle))

    def merge_moments(self, count, mean, comoment):
        """Adds a batch given by its count, float64 mean (D) and centred co-moment (D×D)."""
        d = self.features
        mean = np.ascontiguousarray(mean, dtype=np.float64)
        comoment = np.ascontiguousarray(comoment, dtype=np.float64)
        if mean.shape != (d,) or comoment.shape != (d, d):
            raise ValueError(f"merge_moments expects mean ({d},) and co-moment ({d}, {d}), "
                             f"got {mean.shape} and {comoment.shape}")
        check(lib.delve_accumulator_merge_moments(self._handle, int(count), mean.ctypes.data_as(_native.c_double_p),
                                                  comoment.ctypes.data_as(_native.c_double_p)))

    def reset(self):
        check(lib.delve_accumulator_reset(self._handle))

    @property
    def mean(self):
        out = np.zeros(self.features)
        check(lib.delve_accumulator_mean(self._handle, out.ctypes.data_as(_native.c_double_p), out.size))
        return out

    def covariance(self):
        """The population covariance (D×D, float64)."""
        d = self.features
        out = np.zeros((d, d))
        check(lib.delve_accumulator_covariance(self._handle, out.ctypes.data_as(_native.c_double_p), out.size))
        return out

    def serialize(self):
        size = ctypes.c_size_t()
        check(lib.delve_accumulator_serialize(self._handle, None, 0, ctypes.byref(size)))
        buffer = ctypes.create_string_buffer(size.value)
        check(lib.delve_accumulator_serialize(self._handle, buffer, size.value, ctypes.byref(size)))
        return buffer.raw[:size.value]

    @classmethod
    def deserialize(cls, data):
        data = bytes(data)
        handle = ctypes.c_void_p()
        check(lib.delve_accumulator_deserialize(data, len(data), ctypes.byref(handle)))
        return cls(0, _handle=handle.value)

    def statistic(self, name, threshold=0.99, convention="paper"):
        """A statistic by name: lsat, idim, det, logdet, trc, dtrc, erank, pr, srank."""
        out = ctypes.c_double()
        check(lib.delve_accumulator_statistic(self._handle, name.encode(), float(threshold),
                                              choice(_native.CONVENTIONS, convention, "convention"), ctypes.byref(out)))
        return out.value

    def eigenvalues(self):
        """The eigenvalues of the population covariance, largest first."""
        out = np.zeros(self.features)
        check(lib.delve_accumulator_eigenvalues(self._handle, out.ctypes.data_as(_native.c_double_p), out.size))
        return out

    def eigenvectors(self):
        """(eigenvalues largest first, eigenvectors as the columns of a D×D array) of the population covariance."""
        d = self.features
        values, vectors = np.zeros(d), np.zeros((d, d))
        check(lib.delve_accumulator_eigenvectors(self._handle, values.ctypes.data_as(_native.c_double_p),
                                                 vectors.ctypes.data_as(_native.c_double_p), vectors.size))
        return values, vectors
