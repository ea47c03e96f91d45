"""The tracking overhead in PyTorch, side by side in one run: the overhead benchmark's MLP and CNN
(2560 random samples, batch 128, SGD with momentum) untracked, tracked by Delve 0.1.50, and tracked by
delve_swift in float64 and float32 mode (lsat and idim on every Linear/Conv2d, every batch); the four take
turns epoch by epoch and each one's best epoch counts.

Prints each tracker's extra epoch time as a ratio to Delve's extra time (goal: ≤ 0.40 in float64 and
≤ 0.30 in float32 mode). Needs torch, delve==0.1.50 and delve_swift (DELVE_SWIFT_LIBRARY or a wheel).
Usage: python bench/pytorch_overhead.py [--epochs N]
"""
import argparse
import tempfile
import time

import torch
from torch import nn

SAMPLES, BATCH = 2560, 128


def make(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        shape = (784,)
    else:
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(), nn.Linear(256, 10))
        shape = (3, 32, 32)
    x = torch.randn((SAMPLES,) + shape)
    y = torch.randint(0, 10, (SAMPLES,))
    return model, x, y


class Run:
    """One variant: its own model, optimizer, data and tracker."""

    def __init__(self, kind, tracker_factory, folder):
        self.model, self.x, self.y = make(kind)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss_fn = nn.CrossEntropyLoss()
        self.tracker = tracker_factory(folder, self.model)

    def epoch(self):
        start = time.perf_counter()
        for i in range(0, SAMPLES, BATCH):
            self.optimizer.zero_grad()
            self.loss_fn(self.model(self.x[i:i + BATCH]), self.y[i:i + BATCH]).backward()
            self.optimizer.step()
        if self.tracker is not None:
            self.tracker.add_saturations()
        return time.perf_counter() - start


def epoch_seconds(kind, variants, epochs):
    """The best epoch time of each variant; the variants take turns epoch by epoch (the first round warms up)."""
    with tempfile.TemporaryDirectory() as folder:
        runs = {name: Run(kind, factory, f"{folder}/{name}") for name, factory in variants.items()}
        best = {name: float("inf") for name in runs}
        for round in range(epochs + 1):
            for name, run in runs.items():
                seconds = run.epoch()
                if round > 0:
                    best[name] = min(best[name], seconds)
        for run in runs.values():
            if run.tracker is not None:
                run.tracker.close()
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    import delve
    import delve_swift

    variants = {
        "untracked": lambda folder, model: None,
        "delve": lambda folder, model: delve.SaturationTracker(folder, "csv", model, stats=["lsat", "idim"],
                                                               device="cpu"),
        "swift-float64": lambda folder, model: delve_swift.SaturationTracker(
            folder, "csv", model, stats=["lsat", "idim"], device="cpu", precision="float64"),
        "swift-float32": lambda folder, model: delve_swift.SaturationTracker(
            folder, "csv", model, stats=["lsat", "idim"], device="cpu", precision="float32"),
    }
    for kind in ("mlp", "cnn"):
        times = epoch_seconds(kind, variants, args.epochs)
        base = times["untracked"]
        delve_extra = times["delve"] - base
        line = [f"{kind}: untracked {base:.3f} s"]
        for name in ("delve", "swift-float64", "swift-float32"):
            line.append(f"{name} {times[name]:.3f} s (×{times[name] / base:.2f})")
        print(", ".join(line))
        for name in ("swift-float64", "swift-float32"):
            print(f"  {kind} {name}: extra time / Delve's extra time = {(times[name] - base) / delve_extra:.2f}")


if __name__ == "__main__":
    main()
