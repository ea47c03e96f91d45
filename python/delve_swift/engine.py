"""The Swift engine's tracker through the C interface: named layers, phases, epochs, writers."""
import ctypes
import numbers

import numpy as np

from . import _native
from ._native import check, choice, lib


class EngineTracker:
    """A `delve_tracker`: records batches by pointer, ends epochs, reads back the last epoch's values."""

    def __init__(self, run_directory=None, writers=(), statistics=("lsat",), threshold=0.99,
                 conv_method="channelwise", timeseries_method="last", downsample=None, convention="paper",
                 precision="float64", log_interval=1, max_samples=None, reset_covariance=True,
                 average_saturation=True, initial_epoch=0, bad_batch_policy="fail", keep_spectra=True,
                 probes=False, probe_ridge=None):
        options = _native.TrackerOptions()
        check(lib.delve_tracker_options_init(ctypes.byref(options)))
        self._strings = [s.encode() for s in (run_directory or "", ",".join(writers), ",".join(statistics),
                                              conv_method, timeseries_method)]
        options.run_directory = self._strings[0] if run_directory else None
        options.writers = self._strings[1]
        options.statistics = self._strings[2]
        options.threshold = float(threshold)
        options.conv_method = self._strings[3]
        options.timeseries_method = self._strings[4]
        options.downsample = int(downsample or 0)
        options.convention = choice(_native.CONVENTIONS, convention, "convention")
        options.precision = choice(_native.PRECISIONS, precision, "precision")
        options.log_interval = int(log_interval)
        options.max_samples = int(max_samples or 0)
        options.reset_covariance = int(bool(reset_covariance))
        options.average_saturation = int(bool(average_saturation))
        options.initial_epoch = int(initial_epoch)
        options.bad_batch_policy = choice(_native.BAD_BATCH_POLICIES, bad_batch_policy, "bad_batch_policy")
        options.keep_spectra = int(bool(keep_spectra))
        options.probes = int(bool(probes))
        options.probe_ridge = _probe_ridge(probe_ridge)
        handle = ctypes.c_void_p()
        check(lib.delve_tracker_create(ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle.value

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            lib.delve_tracker_free(handle)

    def record_pointer(self, layer, phase, pointer, dtype, shape, kind):
        """Records a contiguous batch at `pointer` (float32 or float64, `shape`, kind name) without a copy."""
        dims = (ctypes.c_int64 * len(shape))(*shape)
        check(lib.delve_tracker_record(self._handle, layer.encode(), choice(_native.PHASES, phase, "phase"),
                                       pointer, dtype, dims, len(shape), choice(_native.KINDS, kind, "kind")))

    def record(self, layer, phase, array, kind):
        """Records a numpy batch (read in place when C-contiguous float32/float64)."""
        array = np.asarray(array)
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float32)
        array = np.ascontiguousarray(array)
        dtype = _native.FLOAT32 if array.dtype == np.float32 else _native.FLOAT64
        self.record_pointer(layer, phase, array.ctypes.data, dtype, array.shape, kind)

    def set_labels(self, phase, labels):
        """The class labels (a 1-D integer array of indices ≥ 0, one per sample) of the next batches in
        `phase`, for the linear probes; None clears them."""
        code = choice(_native.PHASES, phase, "phase")
        if labels is None:
            check(lib.delve_tracker_set_labels(self._handle, code, None, 0))
            return
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"set_labels: expected a 1-D array of class indices (one per sample), got shape {labels.shape}")
        if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"set_labels: expected integer class indices, got dtype {labels.dtype}")
        labels = np.ascontiguousarray(labels, dtype=np.int64)
        check(lib.delve_tracker_set_labels(self._handle, code, labels.ctypes.data_as(_native.c_int64_p), labels.size))

    def add_scalar(self, name, value):
        check(lib.delve_tracker_add_scalar(self._handle, name.encode(), float(value)))

    def end_epoch(self):
        check(lib.delve_tracker_end_epoch(self._handle))

    def stop(self):
        check(lib.delve_tracker_stop(self._handle))

    def resume(self):
        check(lib.delve_tracker_resume(self._handle))

    @property
    def is_recording(self):
        out = ctypes.c_int32()
        check(lib.delve_tracker_is_recording(self._handle, ctypes.byref(out)))
        return bool(out.value)

    @property
    def epoch(self):
        out = ctypes.c_int64()
        check(lib.delve_tracker_epoch(self._handle, ctypes.byref(out)))
        return out.value

    def close(self):
        check(lib.delve_tracker_close(self._handle))

    @property
    def last_epoch(self):
        out = ctypes.c_int64()
        check(lib.delve_tracker_last_epoch(self._handle, ctypes.byref(out)))
        return out.value

    def last_values(self):
        """The last epoch's values under Delve's keys, in output order."""
        count = ctypes.c_int64()
        check(lib.delve_tracker_last_value_count(self._handle, ctypes.byref(count)))
        values = {}
        size, value = ctypes.c_size_t(), ctypes.c_double()
        for index in range(count.value):
            check(lib.delve_tracker_last_value(self._handle, index, None, 0, ctypes.byref(size), ctypes.byref(value)))
            key = ctypes.create_string_buffer(size.value)
            check(lib.delve_tracker_last_value(self._handle, index, key, size.value, ctypes.byref(size),
                                               ctypes.byref(value)))
            values[key.value.decode()] = value.value
        return values

    def last_samples(self, layer, phase):
        out = ctypes.c_int64()
        check(lib.delve_tracker_last_samples(self._handle, layer.encode(), choice(_native.PHASES, phase, "phase"),
                                             ctypes.byref(out)))
        return out.value

    def last_eigenvalues(self, layer, phase):
        count = ctypes.c_int64()
        code = choice(_native.PHASES, phase, "phase")
        check(lib.delve_tracker_last_eigenvalues(self._handle, layer.encode(), code, None, 0, ctypes.byref(count)))
        out = np.zeros(count.value)
        check(lib.delve_tracker_last_eigenvalues(self._handle, layer.encode(), code,
                                                 out.ctypes.data_as(_native.c_double_p), out.size, ctypes.byref(count)))
        return out

    def record_moments(self, layer, phase, count, mean, comoment):
        """Records a batch given by its count, float64 mean (D) and centred co-moment (D×D), merged exactly."""
        mean = np.ascontiguousarray(mean, dtype=np.float64)
        comoment = np.ascontiguousarray(comoment, dtype=np.float64)
        d = mean.shape[0]
        if mean.ndim != 1 or comoment.shape != (d, d):
            raise ValueError(f"layer {layer!r}: moments need mean (D,) and co-moment (D, D), got "
                             f"{mean.shape} and {comoment.shape}")
        check(lib.delve_tracker_record_moments(self._handle, layer.encode(), choice(_native.PHASES, phase, "phase"),
                                               int(count), d, mean.ctypes.data_as(_native.c_double_p),
                                               comoment.ctypes.data_as(_native.c_double_p)))

    def epoch_layers(self):
        """The (layer, phase) pairs that saw batches in the current epoch."""
        count = ctypes.c_int64()
        check(lib.delve_tracker_epoch_layer_count(self._handle, ctypes.byref(count)))
        phases = {code: name for name, code in _native.PHASES.items()}
        result = []
        size, phase = ctypes.c_size_t(), ctypes.c_int32()
        for index in range(count.value):
            check(lib.delve_tracker_epoch_layer(self._handle, index, None, 0, ctypes.byref(size), ctypes.byref(phase)))
            name = ctypes.create_string_buffer(size.value)
            check(lib.delve_tracker_epoch_layer(self._handle, index, name, size.value, ctypes.byref(size),
                                                ctypes.byref(phase)))
            result.append((name.value.decode(), phases[phase.value]))
        return result

    def layer_state(self, layer, phase):
        """A layer's accumulated state as bytes (the accumulator's serialization)."""
        code = choice(_native.PHASES, phase, "phase")
        size = ctypes.c_size_t()
        check(lib.delve_tracker_layer_state(self._handle, layer.encode(), code, None, 0, ctypes.byref(size)))
        buffer = ctypes.create_string_buffer(size.value)
        check(lib.delve_tracker_layer_state(self._handle, layer.encode(), code, buffer, size.value, ctypes.byref(size)))
        return buffer.raw[:size.value]

    def replace_layer_state(self, layer, phase, data):
        """Replaces a layer's state for the current epoch by serialized bytes."""
        data = bytes(data)
        check(lib.delve_tracker_replace_layer_state(self._handle, layer.encode(),
                                                    choice(_native.PHASES, phase, "phase"), data, len(data)))


def _probe_ridge(ridge):
    """The C option's λ: the given one (a finite number > 0), or 0 for the default 1e-3·tr Σ/D (None)."""
    if ridge is None:
        return 0.0
    if isinstance(ridge, bool) or not isinstance(ridge, numbers.Real) or not (np.isfinite(ridge) and ridge > 0):
        raise ValueError(f"probe_ridge must be a finite number > 0 (None: the default 1e-3·tr Σ/D), got {ridge!r}")
    return float(ridge)
