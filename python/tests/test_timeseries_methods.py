"""The two meanings of `timestepwise`: Delve's (each sequence flattened, N×(T·F): `timestepwise`,
`flattened_sequence`) and every step an observation ((N·T)×F: `timestep_observations`), done by the engine
for either time-axis order, against numpy on the same batch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from delve_swift import SaturationTracker  # noqa: E402


def reference(rows):
    """trc and the paper's idim (δ = 0.99) of the float64 covariance of `rows`."""
    cov = np.cov(rows, rowvar=False, bias=True)
    eigenvalues = np.clip(np.linalg.eigvalsh(cov), 0, None)[::-1]
    idim = int(np.searchsorted(np.cumsum(eigenvalues) / eigenvalues.sum(), 0.99 - 1e-12) + 1)
    return np.trace(cov), idim, cov.shape[0]


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("method,rows_of", [
    ("timestepwise", lambda x: x.reshape(x.shape[0], -1)),
    ("flattened_sequence", lambda x: x.reshape(x.shape[0], -1)),
    ("timestep_observations", lambda x: x.reshape(-1, x.shape[2])),
])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])   # float64: the moments path
def test_sequence_rows_equal_numpy(tmp_path, batch_first, method, rows_of, dtype):
    torch.manual_seed(11)
    lstm = nn.LSTM(3, 4, batch_first=batch_first).to(dtype)
    x = torch.randn(25, 6, 3, dtype=dtype)            # N=25, T=6, F_in=3
    data = x if batch_first else x.transpose(0, 1).contiguous()
    outputs = []
    lstm.register_forward_hook(lambda m, i, o: outputs.append(o[0].detach().double().numpy().copy()))
    tracker = SaturationTracker(str(tmp_path / "run"), "csv", nn.Sequential(lstm), device="cpu",
                                stats=["trc", "idim"], timeseries_method=method)
    with torch.no_grad():
        lstm(data)
    values = tracker.add_saturations()
    tracker.close()
    out = outputs[0] if batch_first else outputs[0].transpose(1, 0, 2)   # N×T×F as numpy sees it
    trc, idim, features = reference(rows_of(out))
    assert features == (24 if "observations" not in method else 4)
    assert values["train-covariance-trace_0"] == pytest.approx(trc, rel=1e-5 if dtype == torch.float32 else 1e-12)
    assert values["train-intrinsic-dimensionality_0"] == idim
    assert tracker._engine.last_samples("0", "train") == (25 * 6 if "observations" in method else 25)


def test_unknown_timeseries_method_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match="flattened_sequence"):
        SaturationTracker(str(tmp_path / "x"), "csv", nn.Sequential(nn.LSTM(2, 2)), timeseries_method="flatten")


def test_timestepwise_gives_delves_values(tmp_path):
    """One batch (Delve keeps only the last), batch-first: Delve 0.1.50's own timestepwise and ours agree."""
    delve = pytest.importorskip("delve")
    torch.manual_seed(12)
    lstm = nn.LSTM(3, 4, batch_first=True)
    theirs = delve.SaturationTracker(str(tmp_path / "delve"), "csv", nn.Sequential(lstm), device="cpu",
                                     stats=["lsat", "idim"], timeseries_method="timestepwise")
    ours = SaturationTracker(str(tmp_path / "ours"), "csv", nn.Sequential(lstm), device="cpu",
                             stats=["lsat", "idim"], timeseries_method="timestepwise", convention="delve")
    with torch.no_grad():
        lstm(torch.randn(40, 5, 3))
    theirs.add_saturations()
    values = ours.add_saturations()
    ours.close()
    import csv
    with open(str(tmp_path / "delve") + ".csv") as f:
        rows = list(csv.reader(f, delimiter=";"))
    delve_values = dict(zip(rows[0][1:], map(float, rows[1][1:])))
    assert delve_values["train-intrinsic-dimensionality_0"] > 4    # more than F: the T·F flattening
    assert values["train-intrinsic-dimensionality_0"] == delve_values["train-intrinsic-dimensionality_0"]
    assert values["train-saturation_0"] == delve_values["train-saturation_0"]
