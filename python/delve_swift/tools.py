"""Delve 0.1.50's `delve.tools`: `reconstruct_csv_from_npy_data`, on the files of the NPY writer.

It reads the layout Delve's NPYWriter writes — which this package's `npy` writer writes too
(`delve_swift.writers.DelveNPY`) — so a script written for delve 0.1.50 runs with only its import changed,
on runs recorded by either package:

    <path>/<name>/<name>_epoch<N>.npy    one value (or a covariance matrix) per name and epoch N

Differences to Delve 0.1.50 (its bugs, fixed): `stats` is not modified in place; a statistic asked for
without a stored file is left out with a warning also under its short name 'lsat' (Delve checked 'sat');
columns come in sorted order (Delve's follow the file system's); recomputing at a threshold uses the
paper's intrinsic dimensionality unless `convention="delve"` (Delve's, one less).
"""
import os
import re
import warnings

import numpy as np

from .writers import STATMAP

__all__ = ["reconstruct_csv_from_npy_data"]

_EPOCH = re.compile(r"_epoch(\d+)\.npy$")


def _get_files(path, filext):
    """Every `*.<filext>` file under `path`, recursively."""
    found = []
    for root, _, names in os.walk(path):
        found += [os.path.join(root, n) for n in names if n.endswith("." + filext)]
    return sorted(found)


def _group_by_directory(npy_files):
    """{folder name: [files]}, each list in epoch order."""
    groups = {}
    for file in npy_files:
        if _EPOCH.search(os.path.basename(file)) is None:
            continue
        groups.setdefault(os.path.basename(os.path.dirname(file)), []).append(file)
    for files in groups.values():
        files.sort(key=lambda f: int(_EPOCH.search(os.path.basename(f)).group(1)))
    return dict(sorted(groups.items()))


def _load(file):
    value = np.load(file)
    return value.item() if value.ndim == 0 else value


def _intrinsic_dimensionality(cov, thresh, convention):
    """idim of a covariance matrix at δ = `thresh`: the paper's smallest k whose k largest eigenvalues (negatives
    clipped to 0) explain ≥ δ of the variance, or Delve's count of k explaining less (`convention="delve"`)."""
    eigenvalues = np.clip(np.linalg.eigvalsh(np.asarray(cov, dtype=np.float64)), 0, None)[::-1]
    total = eigenvalues.sum()
    if not total > 0:
        return 0
    shares = np.cumsum(eigenvalues) / total
    below = int(np.sum(shares < thresh - 1e-12))
    return below if convention == "delve" else min(below + 1, len(eigenvalues))


def reconstruct_csv_from_npy_data(npywriter_out_path, savefile=None, thresh=None, stats=("lsat", "idim"),
                                  *, convention="paper"):
    """Delve's CSV table rebuilt from the NPY writer's files, as a pandas DataFrame (one row per epoch, one
    column per stored name); written to `savefile` (';'-separated, as Delve's CSV) when given.

    Without `thresh`, the stored values are read back as they are. With `thresh` (δ), `stats` ('lsat', 'idim')
    are recomputed at δ from the stored covariance matrices (stat 'cov'), replacing the stored ones; every other
    stored value is kept. FileNotFoundError when `thresh` is given and no covariance matrix is stored, or when
    `npywriter_out_path` holds no .npy file; ValueError naming an unknown statistic.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("delve_swift.tools.reconstruct_csv_from_npy_data returns a pandas DataFrame, as Delve's "
                          "does: install pandas") from error
    stats = list(stats)
    for stat in stats:
        if stat not in ("lsat", "idim"):
            raise ValueError(f"unknown statistic {stat!r} to reconstruct; expected 'lsat' or 'idim'")
    if convention not in ("paper", "delve"):
        raise ValueError(f"unknown convention {convention!r}; expected 'paper' or 'delve'")
    groups = _group_by_directory(_get_files(npywriter_out_path, "npy"))
    if not groups:
        raise FileNotFoundError(f"{npywriter_out_path}: no .npy files of the NPY writer "
                                "(<name>/<name>_epoch<N>.npy) found")
    covariance_names = [name for name in groups if STATMAP["cov"] in name]
    if thresh is None:
        for stat in stats:
            if not any(STATMAP[stat] in name for name in groups):
                warnings.warn(f"No .npy file was found for {STATMAP[stat]}, stat will not be included")
        columns = {name: [_load(f) for f in files] for name, files in groups.items()}
    else:
        if not covariance_names:
            raise FileNotFoundError(f"{npywriter_out_path}: Covariance Matrix was not found, recomputation impossible "
                                    "(record with stats including 'cov' and the npy writer)")
        recomputed = {STATMAP[stat] for stat in stats}
        columns = {name: [_load(f) for f in files] for name, files in groups.items()
                   if STATMAP["cov"] not in name and not any(s in name for s in recomputed)}
        for name in covariance_names:
            for stat in stats:
                values = []
                for file in groups[name]:
                    cov = np.load(file)
                    idim = _intrinsic_dimensionality(cov, thresh, convention)
                    values.append(idim if stat == "idim" else idim / cov.shape[0])
                columns[name.replace(STATMAP["cov"], STATMAP[stat])] = values
    result = pd.DataFrame.from_dict(columns)
    if savefile is not None:
        result.to_csv(savefile, sep=";")
    return result
