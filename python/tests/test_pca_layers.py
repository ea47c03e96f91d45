"""delve_swift.pca_layers: the eigenbasis from the engine, projection in eval mode."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from delve_swift.pca_layers import (Conv2DPCALayer, LinearPCALayer,  # noqa: E402
                                    change_all_pca_layer_thresholds,
                                    change_all_pca_layer_thresholds_and_inject_random_directions)


def low_rank(n, d, rank, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, rank, generator=g) @ torch.randn(rank, d, generator=g) + 3.0


def test_linear_pca_layer_projects_onto_the_eigenbasis():
    x = low_rank(200, 6, 2, 0)
    x[:, 0] += 1e-3 * torch.randn(200, generator=torch.Generator().manual_seed(1))
    layer = LinearPCALayer(6, threshold=0.99)
    layer.train()
    assert torch.equal(layer(x[:100]), x[:100])
    layer(x[100:])
    layer.eval()
    out = layer(x)
    assert layer.in_dim == 2 and layer.fs_dim == 6 and layer.sat == round(2 / 6 * 100, 4)
    centred = x.double().numpy() - x.double().numpy().mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(x))
    top = vectors[:, np.argsort(values)[::-1][:2]]
    expected = centred @ top @ top.T + x.double().numpy().mean(axis=0)
    np.testing.assert_allclose(out.double().numpy(), expected, rtol=1e-4, atol=1e-4)
    sat, in_dims, fs_dims, names = change_all_pca_layer_thresholds(0.5, torch.nn.Sequential(layer))
    assert in_dims == [1] and fs_dims == [6] and names == ["Lin-0"]


def test_conv_pca_layer_and_random_directions():
    torch.manual_seed(2)
    maps = torch.randn(8, 2, 5, 5)
    mix = torch.randn(4, 2)
    x = torch.einsum("cd,ndhw->nchw", mix, maps)   # 4 channels of rank 2
    layer = Conv2DPCALayer(4, threshold=0.999, verbose=False)
    layer.train()
    layer(x)
    layer.eval()
    out = layer(x)
    assert layer.in_dim == 2
    torch.testing.assert_close(out, x, rtol=1e-4, atol=1e-4)   # the data lie in the kept subspace
    sat, in_dims, fs_dims = change_all_pca_layer_thresholds_and_inject_random_directions(0.999, torch.nn.Sequential(layer))
    assert in_dims == [2] and fs_dims == [4]
