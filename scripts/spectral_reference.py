#!/usr/bin/env python3
"""Reference values for RankMe and alpha-ReQ (Tests/DelveTests/RankMeAlphaReQTests.swift) and linear
CKA (Tests/DelveTests/LinearCKATests.swift).

numpy implementations of the two formulas, independent of the Swift code:
  RankMe  (Garrido et al., ICML 2023): p = s / s.sum() + 1e-7 with s = sqrt(eigenvalues), exp(-(p*log p).sum())
  alpha-ReQ (Agrawal et al., NeurIPS 2022): polyfit(log k, log lambda_k, 1) over lambda_k > lambda_1 * 1e-12, alpha = -slope
Run `python3 scripts/spectral_reference.py` and paste its output into the test's tables.
  linear CKA (Kornblith et al. 2019): centre X and Y, ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)
The data matrices are closed formulas so the Swift test rebuilds the same float64 rows.
"""
import numpy as np

def rankme(eig):
    eig = np.clip(np.sort(np.asarray(eig, dtype=np.float64))[::-1], 0, None)
    s = np.sqrt(eig)
    if s.sum() == 0:
        return 0.0
    p = s / s.sum() + 1e-7
    return float(np.exp(-(p * np.log(p)).sum()))

def alphareq(eig):
    eig = np.clip(np.sort(np.asarray(eig, dtype=np.float64))[::-1], 0, None)
    if len(eig) == 0:
        return float("nan")
    keep = eig[(eig > eig[0] * 1e-12) & (eig > 0)]
    if len(keep) < 3:
        return float("nan")
    k = np.arange(1, len(keep) + 1, dtype=np.float64)
    slope, _ = np.polyfit(np.log(k), np.log(keep), 1)
    return float(-slope)

def data(rows, cols):
    i = np.arange(rows, dtype=np.float64)[:, None]
    j = np.arange(cols, dtype=np.float64)[None, :]
    return (np.sin(0.37 * i * (j + 1) + 0.11 * j) + 0.3 * np.cos(1.3 * i + j * j)) / (j + 1)

SPECTRA = [
    [4.0, 1.0, 0.25, 0.0625, 0.015625],
    [1.0] * 6,
    [3.0, 2.0, 1.0],
    [10.0, 1e-3, 1e-5, 1e-9, 0.0, 0.0],
    [float(k) ** -1.5 for k in range(1, 65)],
    [5.0, 0.0, 0.0, 0.0],
    [2.0, 1.0, 1e-13, 0.0],
]

def cka(x, y):
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    return float(np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))

def data_y(rows):
    """A 7-feature layer that depends on data(rows, 12) nonlinearly, plus its own part."""
    x = data(rows, 12)
    i = np.arange(rows, dtype=np.float64)[:, None]
    j = np.arange(7, dtype=np.float64)[None, :]
    return np.tanh(x[:, :7] * (j + 1) - 0.5 * x[:, 5:12]) + 0.2 * np.sin(0.05 * i * (j + 3))

def data_z(rows):
    """A 5-feature layer nearly unrelated to the others."""
    i = np.arange(rows, dtype=np.float64)[:, None]
    j = np.arange(5, dtype=np.float64)[None, :]
    return np.cos(0.731 * i * i * (j + 1) + j) + 0.1 * j

def swift(x):
    return "Double.nan" if np.isnan(x) else repr(x)

if __name__ == "__main__":
    print("// spectra: (eigenvalues, rankme, alphareq)")
    for eig in SPECTRA:
        print(f"([{', '.join(repr(e) for e in eig)}], {swift(rankme(eig))}, {swift(alphareq(eig))}),")
    x = data(300, 12)
    cov = np.cov(x, rowvar=False, bias=True)
    eig = np.linalg.eigvalsh(cov)
    print("// data(300, 12): rankme, alphareq")
    print(swift(rankme(eig)), swift(alphareq(eig)))
    y, z = data_y(300), data_z(300)
    print("// linear CKA on data(300, 12) = x, data_y(300) = y, data_z(300) = z: (x,y), (x,z), (y,z)")
    print(swift(cka(x, y)), swift(cka(x, z)), swift(cka(y, z)))
