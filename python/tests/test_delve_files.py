"""Delve 0.1.50's files read back: runs written by Delve itself (delve_reference_run), `delve_swift.tools`
against `delve.tools`, this package's `npy` writer against Delve's NPYWriter layout, and `delve report` /
`delve rethreshold` on a fresh Delve run."""
import csv
import os
import pickle
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")
delve = pytest.importorskip("delve")
pd = pytest.importorskip("pandas")
import delve.tools  # noqa: E402
from torch import nn  # noqa: E402

from delve_swift import SaturationTracker  # noqa: E402
from delve_swift import tools  # noqa: E402

from delve_reference_run import write_delve_run  # noqa: E402


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f, delimiter=";"))
    return [{k: float(v) for k, v in zip(rows[0][1:], row[1:]) if v != ""} for row in rows[1:]]


def relative_files(root):
    return {os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names}


def test_tools_reads_a_delve_run_as_delve_tools_does(tmp_path):
    savefile = write_delve_run(str(tmp_path))
    delve_csv = read_csv(savefile + ".csv")
    ours = tools.reconstruct_csv_from_npy_data(savefile, savefile=str(tmp_path / "ours.csv"))
    theirs = delve.tools.reconstruct_csv_from_npy_data(savefile, stats=["lsat", "idim"])
    assert sorted(ours.columns) == sorted(theirs.columns)
    for column in ours.columns:
        if "covariance-matrix" in column:
            for a, b in zip(ours[column], theirs[column]):
                np.testing.assert_array_equal(a, b)
        else:
            assert list(ours[column]) == list(theirs[column]), column
    # The stored values are the ones Delve wrote into its CSV (NPY names carry Delve's leading '_').
    assert list(ours["_train-saturation_fc1"]) == [row["train-saturation_fc1"] for row in delve_csv]
    assert list(ours["_eval-intrinsic-dimensionality_fc2"]) == [row["eval-intrinsic-dimensionality_fc2"] for row in delve_csv]
    assert list(ours["train-loss"]) == [row["train-loss"] for row in delve_csv]
    assert os.path.getsize(tmp_path / "ours.csv") > 0


@pytest.mark.parametrize("thresh", [0.99, 0.9, 0.8])
def test_tools_recomputes_at_a_threshold_as_delve_does(tmp_path, thresh):
    savefile = write_delve_run(str(tmp_path))
    theirs = delve.tools.reconstruct_csv_from_npy_data(savefile, thresh=thresh, stats=["lsat", "idim"])
    ours = tools.reconstruct_csv_from_npy_data(savefile, thresh=thresh, convention="delve")
    paper = tools.reconstruct_csv_from_npy_data(savefile, thresh=thresh)
    names = [c for c in theirs.columns if "saturation" in c or "intrinsic" in c]
    assert len(names) == 8
    for name in names:
        assert list(ours[name]) == list(theirs[name]), name
    for name in names:
        if "intrinsic" in name:
            d = len(np.load(os.path.join(savefile, name.replace("intrinsic-dimensionality", "covariance-matrix"),
                                         name.replace("intrinsic-dimensionality", "covariance-matrix") + "_epoch0.npy")))
            assert list(paper[name]) == [min(v + 1, d) for v in theirs[name]], name
    assert "_train-covariance-matrix_fc1" not in ours.columns and "train-loss" in ours.columns


def test_tools_errors_name_the_path(tmp_path):
    savefile = write_delve_run(str(tmp_path), stats=("lsat",))
    with pytest.raises(FileNotFoundError, match="Covariance Matrix was not found"):
        tools.reconstruct_csv_from_npy_data(savefile, thresh=0.9)
    with pytest.raises(FileNotFoundError, match="empty"):
        os.makedirs(tmp_path / "empty")
        tools.reconstruct_csv_from_npy_data(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="'sharpness'"):
        tools.reconstruct_csv_from_npy_data(savefile, stats=["sharpness"])


def _train(tracker_factory, savefile):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4))
    tracker = tracker_factory(savefile, ["csv", "npy"], model, device="cpu", stats=["lsat", "idim", "cov"])
    x = torch.randn(30, 5)
    for _ in range(2):
        model.train()
        with torch.no_grad():
            model(x)
        model.eval()
        with torch.no_grad():
            model(x + 1)
        tracker.add_scalar("train-accuracy", 0.5)
        tracker.add_saturations()
    tracker.close()


def test_our_npy_writer_writes_delves_files_and_names(tmp_path):
    _train(delve.SaturationTracker, str(tmp_path / "theirs"))
    _train(SaturationTracker, str(tmp_path / "ours"))
    theirs = relative_files(tmp_path / "theirs")
    ours = relative_files(tmp_path / "ours")
    assert theirs <= ours, sorted(theirs - ours)
    # Beyond Delve's files only the engine's npy/<phase>/<layer>/ ones and its run.json.
    assert all(path.startswith("npy" + os.sep) or path == "run.json" for path in ours - theirs), sorted(ours - theirs)
    with open(tmp_path / "ours" / "epoch_counter.pkl", "rb") as f:
        counter = pickle.load(f)
    with open(tmp_path / "theirs" / "epoch_counter.pkl", "rb") as f:
        assert counter == pickle.load(f)
    ours_csv = read_csv(str(tmp_path / "ours") + ".csv")
    for epoch in range(2):
        value = np.load(tmp_path / "ours" / "_eval-saturation_2" / f"_eval-saturation_2_epoch{epoch}.npy")
        assert value.shape == () and value.item() == ours_csv[epoch]["eval-saturation_2"]
        cov = np.load(tmp_path / "ours" / "_train-covariance-matrix_0" / f"_train-covariance-matrix_0_epoch{epoch}.npy")
        assert cov.shape == (7, 7)
        eigenvalues = np.clip(np.linalg.eigvalsh(cov), 0, None)[::-1]
        idim = int(np.searchsorted(np.cumsum(eigenvalues) / eigenvalues.sum(), 0.99 - 1e-12) + 1)
        assert ours_csv[epoch]["train-intrinsic-dimensionality_0"] == idim
    # delve_swift.tools reads our run as Delve's: the stored values equal our CSV.
    table = tools.reconstruct_csv_from_npy_data(str(tmp_path / "ours"))
    assert list(table["_train-saturation_0"]) == [row["train-saturation_0"] for row in ours_csv]
    assert list(table["train-accuracy"]) == [0.5, 0.5]


def _cli():
    library = os.environ.get("DELVE_SWIFT_LIBRARY", "")
    path = os.path.join(os.path.dirname(library), "delve")
    if not os.path.exists(path):
        pytest.skip(f"no delve executable beside {library}")
    return path


def test_delve_report_and_rethreshold_read_a_fresh_delve_run(tmp_path):
    cli = _cli()
    savefile = write_delve_run(str(tmp_path), name="fresh", epochs=3)
    done = subprocess.run([cli, "report", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = open(os.path.join(savefile, "report.html")).read()
    assert '<td class="name">fc1</td><td class="text">train</td><td>6</td>' in page
    assert "3 epochs recorded" in page
    done = subprocess.run([cli, "rethreshold", savefile + ".csv", "--threshold", "0.99", "--compat", "delve"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    theirs, ours = read_csv(savefile + ".csv"), read_csv(savefile + "-threshold-0.99.csv")
    keys = [k for k in theirs[0] if "saturation" in k or "intrinsic" in k]
    assert len(keys) == 8 and len(ours) == 3
    assert [{k: r[k] for k in keys} for r in ours] == [{k: r[k] for k in keys} for r in theirs]
    os.remove(savefile + ".csv")
    done = subprocess.run([cli, "report", savefile], capture_output=True, text=True)
    assert done.returncode == 1 and "fresh.csv: no such file" in done.stderr


def test_delve_report_reads_a_run_of_our_delve_api_as_delves(tmp_path):
    cli = _cli()
    _train(SaturationTracker, str(tmp_path / "ours"))
    done = subprocess.run([cli, "report", str(tmp_path / "ours")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "of the Delve 0.1.50 run" in done.stdout
    page = open(tmp_path / "ours" / "report.html").read()
    assert '<td class="name">0</td><td class="text">train</td><td>7</td>' in page
    assert '<td class="name">2</td><td class="text">eval</td><td>4</td>' in page
