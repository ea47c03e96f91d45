# Reference: PyTorch CPU training throughput (2 threads) for the three benchmark models that
# the Swift framework must match. Run side by side with the project's own benchmark, in one go,
# and compare ratios, never absolute numbers from different runs.
#   python3 -m venv /tmp/pt && /tmp/pt/bin/pip install torch delve   (large download, a few minutes)
#   /tmp/pt/bin/python bench/pytorch_train_reference.py mlp cnn lstm   (from the repository root)
# Models: mlp 784-512-512-10; cnn conv(3->32->64->128, 3x3, pad 1, ReLU, maxpool 2) + fc 2048-256-10;
# lstm: LSTM(28->128, batch_first) on 28 timesteps, last step -> fc 10. Batch 128, SGD momentum 0.9.
import torch, time, torch.nn as nn, sys
torch.manual_seed(0); torch.set_num_threads(2)
def cnn(): return nn.Sequential(nn.Conv2d(3,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(64,128,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2048,256), nn.ReLU(), nn.Linear(256,10))
def mlp(): return nn.Sequential(nn.Linear(784,512), nn.ReLU(), nn.Linear(512,512), nn.ReLU(), nn.Linear(512,10))
class LSTMC(nn.Module):
    def __init__(s): super().__init__(); s.l = nn.LSTM(28, 128, batch_first=True); s.f = nn.Linear(128,10)
    def forward(s, x): return s.f(s.l(x)[0][:, -1])
for kind in sys.argv[1:]:
    net = {'cnn':cnn,'mlp':mlp,'lstm':LSTMC}[kind]()
    X = {'cnn':torch.randn(2560,3,32,32),'mlp':torch.randn(2560,784),'lstm':torch.randn(2560,28,28)}[kind]; Y = torch.randint(0,10,(2560,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    def epoch():
        t=time.perf_counter()
        for i in range(0,2560,128):
            opt.zero_grad(); nn.functional.cross_entropy(net(X[i:i+128]),Y[i:i+128]).backward(); opt.step()
        return time.perf_counter()-t
    epoch(); b = min(epoch() for _ in range(3)); print(f"{kind}: {2560/b:.0f} samples/s")
