# Reference: how much Delve (PyTorch, delve 0.1.50, device cpu, stats lsat+idim on every layer)
# slows down a training epoch on this machine: epoch time with tracking / without.
#   /tmp/pt/bin/python bench/pytorch_delve_overhead.py mlp    and    ... cnn
# Same models and batch size as bench/pytorch_train_reference.py.
import torch, time, tempfile, delve, sys, torch.nn as nn
torch.manual_seed(0); torch.set_num_threads(2)
def cnn():
    return nn.Sequential(nn.Conv2d(3,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32,64,3,padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64,128,3,padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128*16,256), nn.ReLU(), nn.Linear(256,10))
def mlp():
    return nn.Sequential(nn.Linear(784,512), nn.ReLU(), nn.Linear(512,512), nn.ReLU(), nn.Linear(512,10))
kind = sys.argv[1]
net = cnn() if kind=='cnn' else mlp()
X = torch.randn(2560,3,32,32) if kind=='cnn' else torch.randn(2560,784)
Y = torch.randint(0,10,(2560,))
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
def epoch(tracker=None):
    net.train(); t=time.perf_counter()
    for i in range(0,2560,128):
        opt.zero_grad(); loss = nn.functional.cross_entropy(net(X[i:i+128]), Y[i:i+128]); loss.backward(); opt.step()
    if tracker: tracker.add_saturations(save=False)
    return time.perf_counter()-t
epoch(); base = min(epoch() for _ in range(3))
tr = delve.SaturationTracker(tempfile.mkdtemp(), save_to=[], modules=net, stats=['lsat','idim'], device='cpu')
epoch(tr); withd = min(epoch(tr) for _ in range(3))
print(f"{kind}: plain epoch {base:.3f}s  with delve {withd:.3f}s  overhead x{withd/base:.2f}  samples/s plain {2560/base:.0f}")
