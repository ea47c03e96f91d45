"""Loads libDelveC (the C interface of Delve for Swift, include/delve.h) with ctypes and declares its calls."""
import ctypes
import ctypes.util
import os
import sys
from pathlib import Path

ABI_VERSION = 2
LIBRARY_NAME = "libDelveC.dylib" if sys.platform == "darwin" else "libDelveC.so"

# delve_status
OK, ERR_ARGUMENT, ERR_BAD_BATCH, ERR_STATE, ERR_IO, ERR_WRITER, ERR_BUFFER = range(7)
FLOAT32, FLOAT64 = 0, 1
PHASES = {"train": 0, "eval": 1}
KINDS = {"dense": 0, "convolution": 1, "sequence_batch_first": 2, "sequence_time_first": 3}
PRECISIONS = {"float64": 0, "float32": 1}
CONVENTIONS = {"paper": 0, "delve": 1}
BAD_BATCH_POLICIES = {"fail": 0, "skip": 1}

BUILD_HINT = (
    "build it from the delve-swift repository with `make python` (a wheel with the library inside, "
    "then `pip install dist/delve_swift-*.whl`) or, for development, `swift build -c release --product DelveC`; "
    "or set DELVE_SWIFT_LIBRARY to the path of " + LIBRARY_NAME
)

# The system libraries the engine links: (ctypes.util name, what to install on Debian/Ubuntu).
SYSTEM_LIBRARIES = [
    ("openblas", "OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0)"),
    ("lapacke", "LAPACKE (Debian/Ubuntu: apt-get install liblapacke)"),
]


class DelveError(RuntimeError):
    """A failure reported by the Swift engine; `status` is the C interface's delve_status."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class BadBatchError(DelveError, ValueError):
    """A batch was rejected (NaN or ±inf, overflow); the message names the layer, phase and batch."""


class DelveStateError(DelveError):
    """A serialized state is damaged, or a result is not available yet."""


class DelveWriterError(DelveError):
    """A writer failed at an epoch end; the statistics were still computed."""


def _candidates():
    explicit = os.environ.get("DELVE_SWIFT_LIBRARY")
    if explicit:
        return [Path(explicit)]
    here = Path(__file__).resolve().parent
    found = [here / "lib" / LIBRARY_NAME]
    repository = here.parent.parent          # python/delve_swift → the repository
    if (repository / "Package.swift").is_file():
        build = repository / ".build"
        found += [build / "release" / LIBRARY_NAME]
        found += sorted(build.glob("*/release/" + LIBRARY_NAME))
        found += [build / "debug" / LIBRARY_NAME]
    return found


def _check_system_libraries():
    missing = [what for name, what in SYSTEM_LIBRARIES if ctypes.util.find_library(name) is None]
    if missing:
        raise ImportError("delve_swift needs these system libraries, which were not found: " + "; ".join(missing))


def _load():
    candidates = _candidates()
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ImportError(
            "delve_swift: the Swift engine's library " + LIBRARY_NAME + " was not found (looked at: "
            + ", ".join(str(p) for p in candidates) + "); " + BUILD_HINT)
    _check_system_libraries()
    try:
        library = ctypes.CDLL(str(path))
    except OSError as error:
        raise ImportError(f"delve_swift: could not load {path}: {error}. It needs OpenBLAS, LAPACKE and zlib "
                          f"(Debian/Ubuntu: apt-get install libopenblas0 liblapacke zlib1g); " + BUILD_HINT) from error
    version = library.delve_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"delve_swift: {path} has C interface version {version}, this package needs "
                          f"{ABI_VERSION}; " + BUILD_HINT)
    return library, path


lib, library_path = _load()

c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_void_pp = ctypes.POINTER(ctypes.c_void_p)


class TrackerOptions(ctypes.Structure):
    """delve_tracker_options."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("run_directory", ctypes.c_char_p),
        ("writers", ctypes.c_char_p),
        ("statistics", ctypes.c_char_p),
        ("threshold", ctypes.c_double),
        ("conv_method", ctypes.c_char_p),
        ("timeseries_method", ctypes.c_char_p),
        ("downsample", ctypes.c_int64),
        ("convention", ctypes.c_int32),
        ("precision", ctypes.c_int32),
        ("log_interval", ctypes.c_int64),
        ("max_samples", ctypes.c_int64),
        ("reset_covariance", ctypes.c_int32),
        ("average_saturation", ctypes.c_int32),
        ("initial_epoch", ctypes.c_int64),
        ("bad_batch_policy", ctypes.c_int32),
        ("keep_spectra", ctypes.c_int32),
        ("probes", ctypes.c_int32),
        ("probe_ridge", ctypes.c_double),
    ]


def _declare(name, *argtypes, restype=ctypes.c_int32):
    function = getattr(lib, name)
    function.argtypes = list(argtypes)
    function.restype = restype


_declare("delve_abi_version", restype=ctypes.c_uint32)
_declare("delve_last_error", restype=ctypes.c_char_p)
vp, i64, i32, dbl, sz, cp = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32, ctypes.c_double, ctypes.c_size_t, ctypes.c_char_p
_declare("delve_accumulator_create", i64, cp, i32, c_void_pp)
_declare("delve_accumulator_free", vp, restype=None)
_declare("delve_accumulator_features", vp, c_int64_p)
_declare("delve_accumulator_count", vp, c_int64_p)
_declare("delve_accumulator_update", vp, vp, i32, i64, i64)
_declare("delve_accumulator_update_channelwise", vp, vp, i32, i64, i64, i64)
_declare("delve_accumulator_merge", vp, vp)
_declare("delve_accumulator_merge_moments", vp, i64, c_double_p, c_double_p)
_declare("delve_accumulator_reset", vp)
_declare("delve_accumulator_mean", vp, c_double_p, i64)
_declare("delve_accumulator_covariance", vp, c_double_p, i64)
_declare("delve_accumulator_serialize", vp, ctypes.c_void_p, sz, c_size_p)
_declare("delve_accumulator_deserialize", ctypes.c_char_p, sz, c_void_pp)
_declare("delve_accumulator_statistic", vp, cp, dbl, i32, c_double_p)
_declare("delve_accumulator_eigenvalues", vp, c_double_p, i64)
_declare("delve_accumulator_eigenvectors", vp, c_double_p, c_double_p, i64)
_declare("delve_tracker_options_init", ctypes.POINTER(TrackerOptions))
_declare("delve_tracker_create", ctypes.POINTER(TrackerOptions), c_void_pp)
_declare("delve_tracker_free", vp, restype=None)
_declare("delve_tracker_record", vp, cp, i32, vp, i32, c_int64_p, i32, i32)
_declare("delve_tracker_set_labels", vp, i32, c_int64_p, i64)
_declare("delve_tracker_add_scalar", vp, cp, dbl)
_declare("delve_tracker_end_epoch", vp)
_declare("delve_tracker_stop", vp)
_declare("delve_tracker_resume", vp)
_declare("delve_tracker_is_recording", vp, ctypes.POINTER(ctypes.c_int32))
_declare("delve_tracker_epoch", vp, c_int64_p)
_declare("delve_tracker_close", vp)
_declare("delve_tracker_last_epoch", vp, c_int64_p)
_declare("delve_tracker_last_value_count", vp, c_int64_p)
_declare("delve_tracker_last_value", vp, i64, ctypes.c_char_p, sz, c_size_p, c_double_p)
_declare("delve_tracker_last_value_named", vp, cp, c_double_p)
_declare("delve_tracker_last_samples", vp, cp, i32, c_int64_p)
_declare("delve_tracker_last_eigenvalues", vp, cp, i32, c_double_p, i64, c_int64_p)
_declare("delve_tracker_record_moments", vp, cp, i32, i64, i64, c_double_p, c_double_p)
_declare("delve_tracker_epoch_layer_count", vp, c_int64_p)
_declare("delve_tracker_epoch_layer", vp, i64, ctypes.c_char_p, sz, c_size_p, ctypes.POINTER(ctypes.c_int32))
_declare("delve_tracker_layer_state", vp, cp, i32, ctypes.c_void_p, sz, c_size_p)
_declare("delve_tracker_replace_layer_state", vp, cp, i32, ctypes.c_char_p, sz)
_declare("delve_blas_threads", ctypes.POINTER(ctypes.c_int32))
_declare("delve_set_blas_threads", i32)


def check(status):
    """Raises the Python error for a failed call's status, with the engine's message."""
    if status == OK:
        return
    message = lib.delve_last_error().decode("utf-8", "replace")
    if status == ERR_ARGUMENT:
        raise ValueError(message)
    if status == ERR_BAD_BATCH:
        raise BadBatchError(message, status)
    if status == ERR_IO:
        raise OSError(message)
    if status == ERR_WRITER:
        raise DelveWriterError(message, status)
    raise DelveStateError(message, status)


def blas_threads():
    """The number of threads the engine's BLAS (OpenBLAS) uses for one call (process-wide)."""
    out = ctypes.c_int32()
    check(lib.delve_blas_threads(ctypes.byref(out)))
    return out.value


def set_blas_threads(count):
    """Sets the engine's BLAS threads (process-wide, count >= 1). `SaturationTracker` sets 1 by default:
    PyTorch's intra-op threads already use the cores, and a second pool spinning beside them costs more
    than it gives."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise ValueError(f"blas_threads must be an int >= 1, got {count!r}")
    check(lib.delve_set_blas_threads(count))


def choice(table, value, what):
    """The C value of a named option, or a ValueError naming it and the choices."""
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(table)}") from None
