"""Delve's PCA layers (`delve.pca_layers`) with the eigenbasis from the Swift engine.

In training mode a layer passes its input through unchanged and accumulates its covariance in the engine
(float64, exact over every batch); in eval mode it projects the input onto the eigenvectors that explain
δ (`threshold`) of the variance — the paper's count k (smallest k explaining ≥ δ; `convention="delve"`
gives Delve's one less) — around the accumulated mean when `centering` (Delve 0.1.50 centres on a mean
that it never updates, i.e. on zero).
"""
import numpy as np
import torch
from torch.nn import Module
from torch.nn.functional import interpolate

from .accumulator import Accumulator


def rvs(dim=3):
    """A random orthonormal dim×dim matrix (Stewart 1980), as Delve's."""
    H = np.eye(dim)
    D = np.ones((dim,))
    for n in range(1, dim):
        x = np.random.normal(size=(dim - n + 1,))
        D[n - 1] = np.sign(x[0])
        x[0] -= D[n - 1] * np.sqrt((x * x).sum())
        Hx = (np.eye(dim - n + 1) - 2. * np.outer(x, x) / (x * x).sum())
        mat = np.eye(dim)
        mat[n - 1:, n - 1:] = Hx
        H = np.dot(H, mat)
    D[-1] = (-1) ** (1 - (dim % 2)) * D.prod()
    return (D * H.T).T


def _dimension(eigenvalues, threshold, convention):
    total = eigenvalues.sum()
    if total <= 0:
        return 1
    shares = np.cumsum(eigenvalues) / total
    below = int(np.sum(shares < threshold - 1e-12))
    k = below if convention == "delve" else below + 1
    return max(1, min(k, len(eigenvalues)))


class LinearPCALayer(Module):
    """Delve's LinearPCALayer: identity while training (accumulating), PCA projection in eval mode."""
    num = 0

    def __init__(self, in_features, threshold=.99, keepdim=True, verbose=False, gradient_epoch_start=20,
                 centering=True, *, convention="paper"):
        super().__init__()
        self.register_buffer("eigenvalues", torch.zeros(in_features, dtype=torch.float64))
        self.register_buffer("eigenvectors", torch.zeros((in_features, in_features), dtype=torch.float64))
        self.register_buffer("mean", torch.zeros(in_features, dtype=torch.float32))
        self._threshold = float(threshold)
        self.keepdim = keepdim
        self.verbose = verbose
        self.gradient_epoch = gradient_epoch_start
        self.convention = convention
        self.pca_computed = True
        self.epoch = 0
        self.name = f"pca{LinearPCALayer.num}"
        LinearPCALayer.num += 1
        self._centering = centering
        self._accumulator = Accumulator(in_features, self.name)
        self.transformation_matrix = torch.eye(in_features)
        self.reduced_transformation_matrix = torch.eye(in_features)
        self.sat, self.in_dim, self.fs_dim = 100.0, in_features, in_features

    @property
    def threshold(self):
        return self._threshold

    @threshold.setter
    def threshold(self, threshold):
        self._threshold = float(threshold)
        self._compute_pca_matrix()

    @property
    def centering(self):
        return self._centering

    @centering.setter
    def centering(self, centering):
        self._centering = centering
        self._compute_pca_matrix()

    def _update_autorcorrelation(self, x):
        rows = x.detach().reshape(-1, x.shape[-1])
        if rows.device.type != "cpu" or rows.dtype not in (torch.float32, torch.float64):
            rows = rows.double().cpu()
        self._accumulator.update(rows.contiguous().numpy())

    def _compute_eigenspace(self):
        values, vectors = self._accumulator.eigenvectors()
        self.eigenvalues.data = torch.from_numpy(values)
        self.eigenvectors.data = torch.from_numpy(vectors)
        self.mean.data = torch.from_numpy(self._accumulator.mean).float()
        self._accumulator.reset()

    def _compute_pca_matrix(self):
        values = self.eigenvalues.numpy()
        k = _dimension(values, self._threshold, self.convention)
        space = self.eigenvectors[:, :k]
        self.sat = round(k / len(values) * 100, 4)
        self.fs_dim, self.in_dim = space.shape
        self.transformation_matrix = (space @ space.t()).float()
        self.reduced_transformation_matrix = space.float()

    def _observe_or_prepare(self, x):
        """In training mode: accumulate `x` and return True (the layer passes `x` through). In eval mode:
        compute the projection once after each training phase and return False."""
        if self.training:
            self.pca_computed = False
            self._update_autorcorrelation(x)
            return True
        if not self.pca_computed:
            self._compute_eigenspace()
            self._compute_pca_matrix()
            self.pca_computed = True
            self.epoch += 1
        return False

    def forward(self, x):
        if self._observe_or_prepare(x):
            return x
        matrix = (self.transformation_matrix.t() if self.keepdim else self.reduced_transformation_matrix).to(x.device, x.dtype)
        if not self.centering:
            return x @ matrix
        mean = self.mean.to(x.device, x.dtype)
        return (x - mean) @ matrix + (mean if self.keepdim else 0)


class Conv2DPCALayer(LinearPCALayer):
    """Delve's Conv2DPCALayer: channelwise covariance while training, a 1×1 projection in eval mode."""

    def __init__(self, in_filters, threshold=0.99, verbose=True, gradient_epoch_start=20, centering=False,
                 downsampling=None, *, convention="paper"):
        super().__init__(in_filters, threshold=threshold, keepdim=True, verbose=verbose,
                         gradient_epoch_start=gradient_epoch_start, centering=centering, convention=convention)
        self.convolution = torch.nn.Conv2d(in_filters, in_filters, kernel_size=1, stride=1, bias=True)
        self.downsampling = downsampling

    def _update_autorcorrelation(self, x):
        x = x.detach()
        if self.downsampling is not None:
            x = interpolate(x, size=self.downsampling, mode="nearest")
        if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
            x = x.double().cpu()
        self._accumulator.update_channelwise(x.contiguous().numpy())

    def _compute_pca_matrix(self):
        super()._compute_pca_matrix()
        p = self.transformation_matrix
        self.convolution.weight = torch.nn.Parameter(p.unsqueeze(2).unsqueeze(3))
        bias = self.mean - p @ self.mean if self.centering else torch.zeros_like(self.mean)
        self.convolution.bias = torch.nn.Parameter(bias.float())

    def forward(self, x):
        if self._observe_or_prepare(x):
            return x
        return self.convolution(x)


def change_all_pca_layer_thresholds(threshold, network, verbose=False):
    """Sets δ of every PCA layer; returns (saturations in %, in_dims, fs_dims, names) as Delve."""
    sat, in_dims, fs_dims, names = [], [], [], []
    counts = {"lin": 0, "conv": 0}
    for module in network.modules():
        if isinstance(module, LinearPCALayer):
            module.threshold = threshold
            in_dims.append(module.in_dim)
            fs_dims.append(module.fs_dim)
            sat.append(module.sat)
            if isinstance(module, Conv2DPCALayer):
                names.append(f"Conv-{counts['conv']}")
                counts["conv"] += 1
            else:
                names.append(f"Lin-{counts['lin']}")
                counts["lin"] += 1
    return sat, in_dims, fs_dims, names


def change_all_pca_layer_thresholds_and_inject_random_directions(threshold, network, verbose=False, device="cpu",
                                                                 include_names=False):
    """Sets δ, then replaces each layer's projection by one onto as many random directions (Delve's control)."""
    sat, in_dims, fs_dims, names = [], [], [], []
    counts = {"lin": 0, "conv": 0}
    for module in network.modules():
        if isinstance(module, LinearPCALayer):
            module.threshold = threshold
            base = rvs(module.fs_dim)[:, :module.in_dim]
            projection = torch.from_numpy((base @ base.T).astype("float32")).to(device)
            module.transformation_matrix = projection
            in_dims.append(module.in_dim)
            fs_dims.append(module.fs_dim)
            sat.append(module.sat)
            if isinstance(module, Conv2DPCALayer):
                module.convolution.weight = torch.nn.Parameter(projection.unsqueeze(2).unsqueeze(3))
                names.append(f"Conv-{counts['conv']}")
                counts["conv"] += 1
            else:
                names.append(f"Linear-{counts['lin']}")
                counts["lin"] += 1
    if include_names:
        return sat, in_dims, fs_dims, names
    return sat, in_dims, fs_dims
