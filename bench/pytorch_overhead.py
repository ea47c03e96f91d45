"""The tracking overhead in PyTorch, side by side in one run: the overhead benchmark's MLP and CNN
(2560 random samples, batch 128, SGD with momentum), one epoch untracked, tracked by Delve 0.1.50, and
tracked by delve_swift in float64 and float32 mode (lsat and idim on every Linear/Conv2d, every batch).

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


def epoch_seconds(kind, tracker_factory, epochs):
    model, x, y = make(kind)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    with tempfile.TemporaryDirectory() as folder:
        tracker = tracker_factory(folder, model)
        best = float("inf")
        for epoch in range(epochs + 1):   # the first epoch warms up
            start = time.perf_counter()
            for i in range(0, SAMPLES, BATCH):
                optimizer.zero_grad()
                loss_fn(model(x[i:i + BATCH]), y[i:i + BATCH]).backward()
                optimizer.step()
            if tracker is not None:
                tracker.add_saturations()
            if epoch > 0:
                best = min(best, time.perf_counter() - start)
        if tracker is not None:
            tracker.close()
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    import delve
    import delve_swift

    variants = {
        "untracked": lambda folder, model: None,
        "delve": lambda folder, model: delve.SaturationTracker(folder + "/d", "csv", model, stats=["lsat", "idim"],
                                                               device="cpu"),
        "swift-float64": lambda folder, model: delve_swift.SaturationTracker(
            folder + "/s", "csv", model, stats=["lsat", "idim"], device="cpu", precision="float64"),
        "swift-float32": lambda folder, model: delve_swift.SaturationTracker(
            folder + "/s", "csv", model, stats=["lsat", "idim"], device="cpu", precision="float32"),
    }
    for kind in ("mlp", "cnn"):
        times = {name: epoch_seconds(kind, factory, args.epochs) for name, factory in variants.items()}
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
