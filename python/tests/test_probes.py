"""delve_swift's linear probes (SaturationTracker(probes=True), set_labels) against a closed-form ridge in numpy."""
import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from delve_swift import BadBatchError, SaturationTracker  # noqa: E402


def blobs(n, seed):
    """n samples of 4 well separated classes in 8 features (class c centred at 3·e_c), float32."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 4
    x = torch.randn(n, 8, generator=g) * 0.5
    x[torch.arange(n), y] += 3.0
    return x, y


def images(n, seed):
    """n 1×6×6 images of 2 classes: class 1 has a bright upper half, float32."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 1, 6, 6, generator=g) * 0.3
    x[y == 1, :, :3, :] += 2.0
    return x, y


def ridge_probe(train_rows, train_labels, eval_rows, eval_labels, ridge=None):
    """The probe in closed form from the rows (float64): centred one-hot targets, W = (XcᵀXc/N + λI)⁻¹ XcᵀYc/N
    with λ = ridge or 1e-3·tr Σ/D; R² = 1 − Σ‖y − ŷ‖²/Σ‖y − p‖² over the train rows (ŷ = (x − μ)W + p),
    and the share of eval rows whose arg-max score is their label."""
    x = np.asarray(train_rows, dtype=np.float64)
    n, d = x.shape
    k = int(max(train_labels.max(), eval_labels.max())) + 1
    y = np.eye(k)[train_labels]
    mu, p = x.mean(axis=0), y.mean(axis=0)
    xc = x - mu
    sigma = xc.T @ xc / n
    lam = ridge if ridge is not None else 1e-3 * np.trace(sigma) / d
    w = np.linalg.solve(sigma + lam * np.eye(d), xc.T @ (y - p) / n)
    fitted = xc @ w + p
    r2 = 1 - ((y - fitted) ** 2).sum() / ((y - p) ** 2).sum()
    scores = (np.asarray(eval_rows, dtype=np.float64) - mu) @ w + p
    return r2, float((scores.argmax(axis=1) == eval_labels).mean())


class Rows:
    """Keeps the per-sample rows a layer's hook sees in one epoch, per phase (conv: the spatial mean per
    channel, computed as the engine does: a float64 mean of the float32 values, rounded to float32)."""

    def __init__(self, module):
        self.rows = {"train": [], "eval": []}
        module.register_forward_hook(self.hook)

    def hook(self, module, inputs, output):
        out = output.detach().numpy().astype(np.float32, copy=False)   # the engine reads float32
        if out.ndim == 4:
            out = out.astype(np.float64).mean(axis=(2, 3)).astype(np.float32)
        self.rows["train" if module.training else "eval"].append(out.astype(np.float64))

    def take(self, phase):
        rows, self.rows[phase] = np.concatenate(self.rows[phase]), []
        return rows


def train_epochs(model, tracker, optimizer, train, test, epochs, batch=32, watched=()):
    """Trains `epochs` epochs with labels set before every forward pass; returns per epoch the tracker's values
    and, per watched layer name, (train rows, eval rows)."""
    (x, y), (xt, yt) = train, test
    results = []
    for _ in range(epochs):
        model.train()
        for start in range(0, len(x), batch):
            tracker.set_labels(y[start:start + batch])
            loss = nn.functional.cross_entropy(model(x[start:start + batch]), y[start:start + batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for start in range(0, len(xt), batch):
                tracker.set_labels(yt[start:start + batch].numpy())
                model(xt[start:start + batch])
        rows = {name: (hook.take("train"), hook.take("eval")) for name, hook in watched}
        results.append((tracker.add_saturations(), rows))
    return results


def test_dense_probes_match_the_closed_form_ridge(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 4))
    hooks = [("0", Rows(model[0])), ("2", Rows(model[2]))]
    tracker = SaturationTracker(str(tmp_path / "run"), ["csv", "npy"], model, stats=["lsat"], device="cpu",
                                probes=True)
    train, test = blobs(256, 1), blobs(96, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    results = train_epochs(model, tracker, optimizer, train, test, epochs=3, watched=hooks)
    tracker.close()
    for values, rows in results:
        for layer in ("0", "2"):
            train_rows, eval_rows = rows[layer]
            r2, accuracy = ridge_probe(train_rows, train[1].numpy(), eval_rows, test[1].numpy())
            assert values[f"train-probe-r2_{layer}"] == pytest.approx(r2, abs=1e-9)
            assert values[f"eval-probe-accuracy_{layer}"] == pytest.approx(accuracy, abs=1e-12)
            assert f"eval-probe-r2_{layer}" not in values and f"train-probe-accuracy_{layer}" not in values
        assert "train-probe-r2_4" in values    # the output layer has a probe too
    last = results[-1][0]
    assert last["eval-probe-accuracy_2"] >= 0.98, last   # the last hidden layer separates the classes
    # Delve's CSV carries the probe columns like the statistics
    with open(str(tmp_path / "run") + ".csv") as f:
        table = list(csv.reader(f, delimiter=";"))
    header = table[0]
    column = header.index("eval-probe-accuracy_2")
    assert float(table[3][column]) == last["eval-probe-accuracy_2"]
    assert "train-saturation_2" in header and "train-probe-r2_0" in header
    # and Delve's NPY files, named like the statistics' ('_' prefix, epochs counted from 0)
    saved = np.load(tmp_path / "run" / "_train-probe-r2_2" / "_train-probe-r2_2_epoch2.npy")
    assert float(saved) == last["train-probe-r2_2"]


def test_conv_probe_rows_are_spatial_means_and_ridge_is_used(tmp_path):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 2))
    hooks = [("0", Rows(model[0]))]
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, stats=["lsat"], device="cpu",
                                probes=True, probe_ridge=0.25)
    train, test = images(64, 4), images(32, 5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    results = train_epochs(model, tracker, optimizer, train, test, epochs=2, batch=16, watched=hooks)
    tracker.close()
    for values, rows in results:
        train_rows, eval_rows = rows["0"]
        r2, accuracy = ridge_probe(train_rows, train[1].numpy(), eval_rows, test[1].numpy(), ridge=0.25)
        default_r2, _ = ridge_probe(train_rows, train[1].numpy(), eval_rows, test[1].numpy())
        assert abs(r2 - default_r2) > 1e-6          # the test can tell the two ridges apart
        assert values["train-probe-r2_0"] == pytest.approx(r2, abs=1e-9)
        assert values["eval-probe-accuracy_0"] == pytest.approx(accuracy, abs=1e-12)
        assert values["eval-probe-accuracy_0"] == 1.0


def test_float64_model_batches_go_to_the_probes_as_float32_rows(tmp_path):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(8, 10), nn.Tanh(), nn.Linear(10, 4)).double()
    hooks = [("0", Rows(model[0]))]
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, device="cpu", probes=True)
    (x, y), (xt, yt) = blobs(128, 9), blobs(64, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    values, rows = train_epochs(model, tracker, optimizer, (x.double(), y), (xt.double(), yt), epochs=1,
                                watched=hooks)[0]
    tracker.close()
    train_rows, eval_rows = rows["0"]
    r2, accuracy = ridge_probe(train_rows, y.numpy(), eval_rows, yt.numpy())
    assert values["train-probe-r2_0"] == pytest.approx(r2, abs=1e-9)
    assert values["eval-probe-accuracy_0"] == pytest.approx(accuracy, abs=1e-12)


class SequenceClassifier(nn.Module):
    """A time-first LSTM (T×N×F outputs) and a linear layer on its last step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 6)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][-1])


def test_sequence_probe_rows_are_the_last_step_along_the_time_axis(tmp_path):
    torch.manual_seed(6)
    model = SequenceClassifier()
    seen = {"train": [], "eval": []}
    model.rnn.register_forward_hook(lambda m, i, out: seen["train" if m.training else "eval"].append(
        out[0][-1].detach().numpy().astype(np.float64)))
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, device="cpu", probes=True)
    g = torch.Generator().manual_seed(11)
    y = torch.arange(96) % 2
    x = torch.randn(5, 96, 3, generator=g)
    x[:, :, 0] += (2.0 * y - 1.0)              # the class shifts feature 0 at every step
    model.train()
    for start in range(0, 64, 16):
        tracker.set_labels(y[start:start + 16])
        model(x[:, start:start + 16])
    model.eval()
    with torch.no_grad():
        tracker.set_labels(y[64:])
        model(x[:, 64:])
    values = tracker.add_saturations()
    tracker.close()
    r2, accuracy = ridge_probe(np.concatenate(seen["train"]), y[:64].numpy(), np.concatenate(seen["eval"]),
                               y[64:].numpy())
    assert values["train-probe-r2_rnn"] == pytest.approx(r2, abs=1e-9)
    assert values["eval-probe-accuracy_rnn"] == pytest.approx(accuracy, abs=1e-12)
    assert accuracy > 0.9


def test_set_labels_errors(tmp_path):
    model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4))
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, device="cpu", probes=True)
    x, y = blobs(16, 7)
    model.train()
    with pytest.raises(ValueError, match=r"'0' \(train\).*set_labels\(y\) before the forward pass"):
        model(x)
    with pytest.raises(ValueError, match="1-D array of class indices"):
        tracker.set_labels(torch.nn.functional.one_hot(y))
    with pytest.raises(ValueError, match="integer class indices, got dtype float32"):
        tracker.set_labels(y.float())
    with pytest.raises(ValueError, match=r"labels\[2\] is -1"):
        tracker.set_labels(np.array([0, 1, -1, 2]))
    with pytest.raises(ValueError, match="phase must be 'train', 'eval' or None"):
        tracker.set_labels(y, phase="test")
    tracker.set_labels(y[:5])
    with pytest.raises(BadBatchError, match=r"'0'.*5 label\(s\) for a batch of 16 sample\(s\)"):
        model(x)
    tracker.set_labels(y)
    model(x)
    with pytest.raises(ValueError, match="no labels of its own"):
        model(x)
    model[0].eval()
    with pytest.raises(ValueError, match="partly in train and partly in eval mode"):
        tracker.set_labels(y)
    tracker.set_labels(y, phase="eval")
    tracker.close()
    with pytest.raises(ValueError, match="probe_ridge must be a finite number > 0"):
        SaturationTracker(str(tmp_path / "r2"), "csv", model, device="cpu", probes=True, probe_ridge=0.0)
    with pytest.raises(ValueError, match="moments_on_device"):
        SaturationTracker(str(tmp_path / "r3"), "csv", model, device="cpu", probes=True, moments_on_device=True)
    with pytest.raises(ValueError, match="reset_covariance"):
        SaturationTracker(str(tmp_path / "r4"), "csv", model, device="cpu", probes=True, reset_covariance=False)


class Shared(nn.Module):
    """One Linear applied twice in a forward pass (a shared module), then a head."""

    def __init__(self):
        super().__init__()
        self.block = nn.Linear(8, 8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        return self.head(torch.relu(self.block(torch.relu(self.block(x)))))


def test_a_shared_module_records_twice_per_forward_pass_with_its_labels(tmp_path):
    model = Shared()
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, device="cpu", probes=True)
    x, y = blobs(16, 9)
    model.train()
    for _ in range(3):                       # both calls of `block` take the pass's labels
        tracker.set_labels(y)
        model(x)
    with pytest.raises(ValueError, match="'block' \\(train\\): this batch has no labels of its own"):
        model(x)                             # a new pass without set_labels is still refused
    values = tracker.add_saturations()
    tracker.close()
    assert 0 <= values["train-probe-r2_block"] <= 1
    assert 0 <= values["train-probe-r2_head"] <= 1


def test_labels_are_ignored_with_probes_off(tmp_path):
    model = nn.Sequential(nn.Linear(8, 6))
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", model, device="cpu")
    x, y = blobs(16, 8)
    tracker.set_labels(y[:3])          # checked, then ignored: no count check, no probe values
    model(x)
    with pytest.raises(ValueError, match=r"labels\[0\] is -3"):
        tracker.set_labels(np.array([-3]))
    values = tracker.add_saturations()
    tracker.close()
    assert "train-saturation_0" in values
    assert not any("probe" in key for key in values)
