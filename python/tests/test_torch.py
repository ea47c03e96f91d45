"""delve_swift's SaturationTracker against Delve 0.1.50 itself and a float64 numpy reference."""
import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")
delve = pytest.importorskip("delve")
from torch import nn  # noqa: E402

import delve_swift  # noqa: E402
from delve_swift import BadBatchError, SaturationTracker  # noqa: E402

STATS = ["lsat", "idim", "trc", "dtrc", "det"]


def read_delve_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = rows[0][1:]
    return [{key: float(value) for key, value in zip(header, row[1:]) if value != ""} for row in rows[1:]]


def delve_tracker(tmp_path, model, **kwargs):
    return delve.SaturationTracker(str(tmp_path / "delve"), "csv", model, device="cpu", **kwargs)


def swift_tracker(tmp_path, model, **kwargs):
    return SaturationTracker(str(tmp_path / "swift"), "csv", model, device="cpu", **kwargs)


def assert_same(ours, theirs, features):
    assert theirs, "Delve wrote no values"
    for key, expected in theirs.items():
        assert key in ours, f"{key} missing; have {sorted(ours)}"
        value = ours[key]
        if "saturation" in key or "intrinsic-dimensionality" in key:
            assert value == expected, f"{key}: {value} != Delve's {expected}"
        elif "determinant" in key:
            scale = abs(ours[key.replace("covariance-determinant", "covariance-trace")]) / features[key.split("_", 1)[1]]
            assert abs(value - expected) <= 1e-6 * max(abs(value), abs(expected)) + 1e-10 * scale ** features[key.split("_", 1)[1]], \
                f"{key}: {value} vs Delve's {expected}"
        else:
            assert value == pytest.approx(expected, rel=1e-6), f"{key}: {value} vs Delve's {expected}"


def single_batch_epoch(tmp_path, model, batch, features, **kwargs):
    """One forward pass per epoch in train mode, recorded by both trackers; returns (ours, Delve's) values."""
    theirs_tracker = delve_tracker(tmp_path, model, stats=STATS, **kwargs)
    ours_tracker = swift_tracker(tmp_path, model, stats=STATS, convention="delve", **kwargs)
    model.train()
    with torch.no_grad():
        model(batch)
    theirs_tracker.add_saturations()
    ours = ours_tracker.add_saturations()
    theirs_tracker.close()
    ours_tracker.close()
    theirs = read_delve_csv(str(tmp_path / "delve") + ".csv")[0]
    assert read_delve_csv(str(tmp_path / "swift") + ".csv")[0] == pytest.approx(
        {k: v for k, v in ours.items()}, rel=1e-15)
    assert_same(ours, theirs, features)
    return ours, theirs


def test_linear_single_batch_equals_delve(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 4))
    ours, _ = single_batch_epoch(tmp_path, model, torch.randn(64, 6), {"0": 5, "2": 4})
    assert "train-saturation_0" in ours and "train-saturation_2" in ours


@pytest.mark.parametrize("conv_method", ["channelwise", "mean", "max", "median", "flatten"])
def test_conv2d_single_batch_equals_delve(tmp_path, conv_method):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Tanh(), nn.Conv2d(4, 3, 3))
    features = {"0": 4, "2": 3} if conv_method != "flatten" else {"0": 4 * 6 * 6, "2": 3 * 4 * 4}
    single_batch_epoch(tmp_path, model, torch.randn(40, 3, 8, 8), features, conv_method=conv_method)


class SequenceModel(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(5, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def test_lstm_batch_first_single_batch_equals_delve(tmp_path):
    torch.manual_seed(2)
    model = SequenceModel(nn.LSTM)
    single_batch_epoch(tmp_path, model, torch.randn(50, 7, 5), {"rnn": 6, "head": 3})


def test_several_batches_equal_two_pass_reference_and_delve_does_not(tmp_path):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 5))
    outputs = []
    model[0].register_forward_hook(lambda m, i, o: outputs.append(o.detach().double().numpy().copy()))
    theirs_tracker = delve_tracker(tmp_path, model, stats=["lsat", "idim", "trc"])
    ours_tracker = swift_tracker(tmp_path, model, stats=["lsat", "idim", "trc"])
    with torch.no_grad():
        for k in range(4):
            model(torch.randn(32, 6) * (1 + k) + k)
    theirs_tracker.add_saturations()
    ours = ours_tracker.add_saturations()
    theirs = read_delve_csv(str(tmp_path / "delve") + ".csv")[0]
    x = np.concatenate(outputs)
    reference = np.cov(x, rowvar=False, bias=True)
    trc = np.trace(reference)
    eigenvalues = np.sort(np.linalg.eigvalsh(reference))[::-1]
    idim = int(np.searchsorted(np.cumsum(eigenvalues) / eigenvalues.sum(), 0.99) + 1)
    assert ours["train-covariance-trace_0"] == pytest.approx(trc, rel=1e-12)
    assert ours["train-intrinsic-dimensionality_0"] == idim
    assert ours["train-saturation_0"] == idim / 5
    assert abs(theirs["train-covariance-trace_0"] - trc) > 1e-3 * trc, "Delve saw every batch?"
    assert ours_tracker._engine.last_samples("0", "train") == 128


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
@pytest.mark.parametrize("method", ["last_timestep", "timestepwise", "timestep_observations"])
def test_batch_first_and_time_first_give_identical_statistics(tmp_path, cell, method):
    torch.manual_seed(4)
    first = cell(5, 6, batch_first=True)
    second = cell(5, 6, batch_first=False)
    second.load_state_dict(first.state_dict())
    x = torch.randn(20, 9, 5)
    values = []
    for k, (module, data) in enumerate([(first, x), (second, x.transpose(0, 1).contiguous())]):
        tracker = SaturationTracker(str(tmp_path / f"run{k}"), "csv", nn.Sequential(module), device="cpu",
                                    stats=["lsat", "idim", "trc", "erank"], timeseries_method=method)
        with torch.no_grad():
            module(data)
        values.append(tracker.add_saturations())
        tracker.close()
    assert values[0].keys() == values[1].keys()
    for key in values[0]:
        assert values[0][key] == pytest.approx(values[1][key], rel=1e-12), key


def test_nan_activations_fail_naming_the_layer_or_are_skipped(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3))
    tracker = swift_tracker(tmp_path, model)
    bad = torch.ones(8, 4)
    bad[2, 1] = float("nan")
    with torch.no_grad(), pytest.raises(BadBatchError, match="layer '0'"):
        model(bad)
    tracker.close()   # removes its hooks
    skipping = SaturationTracker(str(tmp_path / "skip"), "csv", model, device="cpu", bad_batch_policy="skip")
    with torch.no_grad():
        model(torch.randn(8, 4))
        model(bad)
    values = skipping.add_saturations()
    assert "train-saturation_0" in values
    assert skipping._engine.last_samples("0", "train") == 8


def test_unknown_writer_or_statistic_is_a_value_error_naming_it(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match="parquet"):
        SaturationTracker(str(tmp_path / "w"), "parquet", model)
    with pytest.raises(ValueError, match="sharpness"):
        SaturationTracker(str(tmp_path / "s"), "csv", model, stats=["lsat", "sharpness"])


def test_paper_convention_is_one_more_than_delve(tmp_path):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(8, 8))
    paper = SaturationTracker(str(tmp_path / "p"), "csv", model, device="cpu", stats=["idim"])
    delve_convention = SaturationTracker(str(tmp_path / "d"), "csv", model, device="cpu", stats=["idim"],
                                         convention="delve")
    with torch.no_grad():
        model(torch.randn(100, 8))
    p = paper.add_saturations()["train-intrinsic-dimensionality_0"]
    d = delve_convention.add_saturations()["train-intrinsic-dimensionality_0"]
    assert p == min(d + 1, 8)


def test_layers_are_found_and_named_as_delve_does(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv1d(2, 2, 1))
            self.rnn = nn.GRU(2, 2)
            self.up = nn.ConvTranspose2d(2, 2, 2)
            self.fc = nn.Linear(2, 2)

    net = Net()
    tracker = SaturationTracker(str(tmp_path / "n"), "csv", net)
    assert list(tracker.layers) == ["features-0", "features-2", "rnn", "up", "fc"]
    reference = delve.SaturationTracker(str(tmp_path / "dn"), "csv", net, device="cpu")
    assert set(reference.layers) <= set(tracker.layers)


@pytest.mark.parametrize("conv_method", ["channelwise", "mean", "max", "flatten"])
def test_moments_path_equals_pointer_path(tmp_path, conv_method):
    torch.manual_seed(6)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    stats = ["lsat", "idim", "trc", "erank", "logdet"]
    pointer = SaturationTracker(str(tmp_path / "p"), "csv", model, device="cpu", stats=stats, conv_method=conv_method)
    moments = SaturationTracker(str(tmp_path / "m"), "csv", model, device="cpu", stats=stats, conv_method=conv_method,
                                moments_on_device=True)
    with torch.no_grad():
        for k in range(3):
            model(torch.randn(16, 3, 8, 8) + k)
    a, b = pointer.add_saturations(), moments.add_saturations()
    assert a.keys() == b.keys()
    # Mean pooling: the pointer path pools in float32 inside the engine, the moments path in float64.
    rel = 1e-6 if conv_method == "mean" else 1e-12
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=rel, abs=1e-12), key
    assert moments._engine.last_samples("0", "train") == pointer._engine.last_samples("0", "train")


def _distributed_worker(rank, world, init_file, out_dir, data):
    import torch.distributed as dist
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
    dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank, world_size=world)
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    tracker = SaturationTracker(out_dir + "/dist", "csv", model, device="cpu", stats=["lsat", "idim", "trc"])
    sampler = DistributedSampler(TensorDataset(data), num_replicas=world, rank=rank, shuffle=False)
    with torch.no_grad():
        for (batch,) in DataLoader(TensorDataset(data), batch_size=10, sampler=sampler):
            model(batch)
    values = tracker.add_saturations()
    samples = tracker._engine.last_samples("0", "train")
    torch.save((values, samples), f"{out_dir}/rank{rank}.pt")
    tracker.close()
    dist.destroy_process_group()


def test_distributed_two_gloo_processes_equal_one_process(tmp_path):
    import torch.multiprocessing as mp
    torch.manual_seed(8)
    data = torch.randn(80, 6)
    mp.spawn(_distributed_worker, args=(2, str(tmp_path / "init"), str(tmp_path), data), nprocs=2, join=True)
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    single = SaturationTracker(str(tmp_path / "single"), "csv", model, device="cpu", stats=["lsat", "idim", "trc"])
    with torch.no_grad():   # the same batches (so the same float32 outputs), one process
        for shard in (data[0::2], data[1::2]):
            for i in range(0, 40, 10):
                model(shard[i:i + 10].contiguous())
    expected = single.add_saturations()
    ranks = [torch.load(str(tmp_path / f"rank{r}.pt")) for r in range(2)]
    assert ranks[0] == ranks[1], "ranks differ"
    values, samples = ranks[0]
    assert samples == 80
    assert values.keys() == expected.keys()
    for key, value in expected.items():
        if "covariance-trace" in key:
            assert values[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert values[key] == value, key
    assert (tmp_path / "dist.csv").exists()


def test_float64_model_is_exact(tmp_path):
    torch.manual_seed(9)
    model = nn.Sequential(nn.Linear(6, 5)).double()
    outputs = []
    model[0].register_forward_hook(lambda m, i, o: outputs.append(o.detach().numpy().copy()))
    tracker = swift_tracker(tmp_path, model, stats=["trc", "idim"])
    with torch.no_grad():
        for k in range(3):
            model(torch.randn(20, 6, dtype=torch.float64) * 1e3 + 1e6 * k)
    values = tracker.add_saturations()
    x = np.concatenate(outputs)
    assert values["train-covariance-trace_0"] == pytest.approx(np.trace(np.cov(x, rowvar=False, bias=True)), rel=1e-12)


def test_blas_threads_default_one_and_settable(tmp_path):
    """The tracker sets the engine's BLAS to one thread by default (PyTorch's threads use the cores);
    blas_threads=None leaves the setting alone; a bad count is a ValueError naming it."""
    import delve_swift
    model = torch.nn.Sequential(torch.nn.Linear(4, 3))
    delve_swift.set_blas_threads(2)
    assert delve_swift.blas_threads() == 2
    tracker = delve_swift.SaturationTracker(str(tmp_path / "a"), "csv", model, device="cpu", blas_threads=None)
    assert delve_swift.blas_threads() == 2
    tracker.close()
    tracker = delve_swift.SaturationTracker(str(tmp_path / "b"), "csv", model, device="cpu")
    assert delve_swift.blas_threads() == 1
    tracker.close()
    with pytest.raises(ValueError, match="threads must be at least 1, got 0"):
        delve_swift.set_blas_threads(0)
    with pytest.raises(ValueError, match="blas_threads must be an int"):
        delve_swift.set_blas_threads(1.5)
