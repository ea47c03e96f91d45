"""A small training run recorded by Delve 0.1.50 itself (the reference package, `delve`), with its CSV and
NPY writers: `<savefile>.csv` beside the folder `<savefile>/` of `.npy` files.

The pytest suite writes a fresh one per test; the committed fixture Tests/Fixtures/delve-0.1.50-run/ (read by
scripts/cli-tests.sh without Python) was made by

    python python/tests/delve_reference_run.py Tests/Fixtures/delve-0.1.50-run

with the test environment's interpreter (scripts/python-tests.sh describes it).
"""
import os
import sys


def write_delve_run(directory, name="tiny", epochs=2, stats=("lsat", "idim", "cov")):
    """Trains a 4→6→3 MLP (layers fc1, fc2) for `epochs` epochs on fixed-seed data under Delve 0.1.50's SaturationTracker
    (train and eval phases, save_to=["csv", "npy"]); returns the savefile path `<directory>/<name>`."""
    from collections import OrderedDict

    import torch
    from delve import SaturationTracker

    torch.manual_seed(7)
    model = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(4, 6), act=torch.nn.ReLU(), fc2=torch.nn.Linear(6, 3)))
    x = torch.randn(40, 4)
    y = torch.randint(0, 3, (40,))
    savefile = os.path.join(directory, name)
    os.makedirs(directory, exist_ok=True)
    tracker = SaturationTracker(savefile, save_to=["csv", "npy"], modules=model, stats=list(stats),
                                device="cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for batch in range(2):
            xb, yb = x[batch * 20:(batch + 1) * 20], y[batch * 20:(batch + 1) * 20]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            eval_loss = torch.nn.functional.cross_entropy(model(x), y)
        tracker.add_scalar("train-loss", float(loss.detach()))
        tracker.add_scalar("eval-loss", float(eval_loss))
        tracker.add_saturations()
    tracker.close()
    return savefile


if __name__ == "__main__":
    print(write_delve_run(sys.argv[1]))
