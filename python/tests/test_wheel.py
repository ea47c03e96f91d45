"""The wheel built by `make python`, installed in a new virtual environment, imports and tracks an epoch with
no Swift toolchain directory on the library path. Runs when DELVE_SWIFT_WHEEL names the wheel."""
import os
import subprocess
import sys
import venv

import pytest

WHEEL = os.environ.get("DELVE_SWIFT_WHEEL")

SCRIPT = r"""
import numpy as np, delve_swift, os, sys
from delve_swift.engine import EngineTracker
assert "/lib/" in str(delve_swift.library_path), delve_swift.library_path
tracker = EngineTracker(run_directory=sys.argv[1], writers=["csv"], statistics=["lsat", "idim", "trc"])
rows = np.random.default_rng(0).normal(size=(64, 5)).astype(np.float32)
tracker.record("fc", "train", rows, "dense")
tracker.end_epoch()
values = tracker.last_values()
tracker.close()
assert 0 < values["train-saturation_fc"] <= 1, values
assert os.path.exists(os.path.join(sys.argv[1], "statistics.csv"))
maps = open("/proc/self/maps").read()
assert "libswiftCore" not in maps and "/opt/swift" not in maps, "the Swift runtime was loaded"
print("wheel ok", values)
"""


@pytest.mark.skipif(not WHEEL, reason="DELVE_SWIFT_WHEEL is not set (make python builds the wheel)")
def test_wheel_in_fresh_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", WHEEL, "numpy"], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DELVE_SWIFT_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    result = subprocess.run([python, "-c", SCRIPT, str(tmp_path / "run")], env=env, cwd=str(tmp_path),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "wheel ok" in result.stdout
