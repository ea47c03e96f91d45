"""The accumulator through ctypes: known spectra, exact merges, serialization, errors (numpy only)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import delve_swift
from delve_swift import Accumulator, BadBatchError, DelveStateError


def known_rows(offset=0.0):
    """8 rows ±a_i e_i (+ offset): population covariance diag(95, 4.5, 0.3, 0.2)."""
    spectrum = np.array([95.0, 4.5, 0.3, 0.2])
    rows = np.full((8, 4), offset)
    for i, value in enumerate(spectrum):
        rows[2 * i, i] += 2 * np.sqrt(value)
        rows[2 * i + 1, i] -= 2 * np.sqrt(value)
    return rows, spectrum


def test_known_spectrum_and_statistics():
    rows, spectrum = known_rows(1000.0)
    acc = Accumulator(4, "known")
    acc.update(rows)
    assert acc.count == 8
    np.testing.assert_allclose(acc.eigenvalues(), spectrum, rtol=1e-12)
    assert acc.statistic("idim") == 2
    assert acc.statistic("idim", convention="delve") == 1
    assert acc.statistic("lsat") == 0.5
    assert acc.statistic("trc") == pytest.approx(100.0, rel=1e-12)
    assert acc.statistic("srank") == pytest.approx(100 / 95, rel=1e-12)
    np.testing.assert_allclose(acc.mean, 1000.0, rtol=1e-15)


def two_pass(x):
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0)
    return centred.T @ centred / len(x)


def test_merge_and_moments_equal_whole():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 7)) @ rng.normal(size=(7, 7)) + 50
    whole, a, b, m = (Accumulator(7) for _ in range(4))
    whole.update(x)
    a.update(x[:123])
    b.update(x[123:])
    a.merge(b)
    part = x[123:]
    centred = part - part.mean(axis=0)
    m.update(x[:123])
    m.merge_moments(len(part), part.mean(axis=0), centred.T @ centred)
    reference = two_pass(x)
    for acc in (whole, a, m):
        np.testing.assert_allclose(acc.covariance(), reference, rtol=1e-11, atol=1e-12 * np.abs(reference).max())
    assert m.count == 500


def test_float32_rows_channelwise_and_serialization():
    rng = np.random.default_rng(2)
    maps = rng.normal(size=(3, 4, 5, 6)).astype(np.float32)
    acc = Accumulator(4)
    acc.update_channelwise(maps)
    rows = maps.transpose(0, 2, 3, 1).reshape(-1, 4)
    np.testing.assert_allclose(acc.covariance(), two_pass(rows), rtol=1e-10, atol=1e-12)
    copy = Accumulator.deserialize(acc.serialize())
    assert copy.count == acc.count == 90
    assert np.array_equal(copy.covariance(), acc.covariance())
    damaged = bytearray(acc.serialize())
    damaged[len(damaged) // 2] ^= 1
    with pytest.raises(DelveStateError, match="not a valid Delve covariance state"):
        Accumulator.deserialize(bytes(damaged))


def test_bad_input_errors():
    acc = Accumulator(3, "fc9")
    with pytest.raises(BadBatchError, match="'fc9'.*non-finite"):
        acc.update(np.array([[1.0, np.nan, 2.0]]))
    assert acc.count == 0
    with pytest.raises(ValueError, match="'sharpness'"):
        acc.statistic("sharpness")
    with pytest.raises(ValueError, match="features"):
        acc.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="threshold"):
        acc.statistic("lsat", threshold=1.5)
    with pytest.raises(ValueError, match="precision"):
        Accumulator(3, precision="float16")


def test_missing_library_is_an_import_error_saying_how_to_build():
    env = dict(os.environ, DELVE_SWIFT_LIBRARY="/nonexistent/libDelveC.so")
    code = "import delve_swift"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(delve_swift.__file__)))
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "make python" in result.stderr and "swift build -c release --product DelveC" in result.stderr


def test_edge_cases_are_errors_not_crashes(tmp_path):
    from delve_swift.engine import EngineTracker
    empty = Accumulator(0)
    assert empty.eigenvalues().size == 0
    with pytest.raises(ValueError, match="no features"):
        empty.eigenvectors()
    with pytest.raises(ValueError, match="features must be in"):
        Accumulator(10 ** 6)
    acc = Accumulator(3)
    with pytest.raises(ValueError, match="count must be"):
        acc.merge_moments(-1, np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(BadBatchError, match="non-finite"):
        acc.merge_moments(2, np.array([0, np.inf, 0]), np.zeros((3, 3)))
    with pytest.raises(DelveStateError, match="truncated"):
        Accumulator.deserialize(b"")
    tracker = EngineTracker()
    tracker.end_epoch()
    assert tracker.last_values() == {}
    with pytest.raises(BadBatchError, match="'x'.*empty"):
        tracker.record("x", "train", np.zeros((0, 3), np.float32), "dense")
    with pytest.raises(ValueError, match="'y'.*2 dimensions"):
        tracker.record("y", "train", np.zeros((2, 3, 4), np.float32), "dense")
    with pytest.raises(ValueError, match="no state"):
        tracker.layer_state("nope", "train")
    with pytest.raises(ValueError, match="run_directory"):
        EngineTracker(writers=["csv"])
    with pytest.raises(ValueError, match="'pool'"):
        EngineTracker(conv_method="pool")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        EngineTracker(run_directory=str(blocker / "run"), writers=["csv"])
