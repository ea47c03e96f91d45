"""Delve's writers (`delve.writers`), mapped onto the Swift engine's writers.

Delve's names and constructor arguments are kept. The CSV writers write Delve's `<savepath>.csv`
(';'-separated, one row per epoch, Delve's column names) from Python; the others are the engine's writers,
which write into the run folder `<savefile>/`: `npy` (Delve's NPYWriter layout, see `DelveNPY`, plus the
engine's npy/<phase>/<layer>/… that `delve rethreshold` reads),
`print` (console), `tensorboard`/`tb` (event files), `plot`/`csvplot` (CSV plus the engine's plots), and
this project's `jsonl` (statistics.jsonl) and `report` (report.html).
"""
import os

STATMAP = {
    "idim": "intrinsic-dimensionality",
    "lsat": "saturation",
    "cov": "covariance-matrix",
    "det": "covariance-determinant",
    "trc": "covariance-trace",
    "dtrc": "diagonal-trace",
    "logdet": "covariance-log-determinant",
    "erank": "effective-rank",
    "pr": "participation-ratio",
    "srank": "stable-rank",
}
# The linear probes' per-layer values (this project's, `SaturationTracker(probes=True)`), spelt like the
# statistics: `train-probe-r2_<layer>`, `eval-probe-accuracy_<layer>`.
PROBE_KEYS = ("probe-r2", "probe-accuracy")


class AbstractWriter:
    """A writer: `engine_writers` names the engine's writers it stands for; `delve_csv` whether it writes
    Delve's `<savepath>.csv`."""
    engine_writers = ()
    delve_csv = False
    delve_npy = False

    def __init__(self, savepath=None, **kwargs):
        self.savepath = savepath
        self.kwargs = kwargs

    def writers(self):
        return [self]


class CSVWriter(AbstractWriter):
    """Delve's `<savepath>.csv`: one row per epoch, one ';'-separated column per value."""
    delve_csv = True

    def __init__(self, savepath, **kwargs):
        super().__init__(savepath, **kwargs)


class NPYWriter(AbstractWriter):
    """Delve's NPYWriter files (`DelveNPY`: every value and covariance matrix of every epoch under
    `<savepath>/`, Delve's names), plus the engine's covariance matrices and eigenvalues under
    `<savefile>/npy/<phase>/<layer>/`. `zip` is accepted and ignored."""
    engine_writers = ("npy",)
    delve_npy = True

    def __init__(self, savepath, zip=False, **kwargs):
        super().__init__(savepath, **kwargs)
        self.zip = zip


class PrintWriter(AbstractWriter):
    """The values of every epoch on standard output (the engine's console writer)."""
    engine_writers = ("console",)

    def __init__(self, **kwargs):
        super().__init__(kwargs.pop("savepath", None), **kwargs)


class TensorBoardWriter(AbstractWriter):
    """TensorBoard event files in `<savefile>/` (the engine writes them; no tensorboardX needed)."""
    engine_writers = ("tensorboard",)

    def __init__(self, savepath, **kwargs):
        super().__init__(savepath, **kwargs)


class CSVandPlottingWriter(CSVWriter):
    """Delve's CSV plus the engine's saturation plots (`<savefile>/plots/`)."""
    engine_writers = ("plot",)

    def __init__(self, savepath, plot_manipulation_func=None, **kwargs):
        super().__init__(savepath, **kwargs)
        self.plot_manipulation_func = plot_manipulation_func


class JSONLWriter(AbstractWriter):
    """`<savefile>/statistics.jsonl`: one JSON object per epoch with every value and spectrum."""
    engine_writers = ("jsonl",)

    def __init__(self, savepath=None, **kwargs):
        super().__init__(savepath, **kwargs)


class ReportWriter(AbstractWriter):
    """`<savefile>/report.html`, a self-contained report page."""
    engine_writers = ("report",)

    def __init__(self, savepath=None, **kwargs):
        super().__init__(savepath, **kwargs)


class CompositWriter(AbstractWriter):
    """Several writers as one (Delve's spelling)."""

    def __init__(self, writers):
        super().__init__(None)
        self._writers = list(writers)

    def writers(self):
        return [w for writer in self._writers for w in writer.writers()]


CompositeWriter = CompositWriter

WRITERS = {
    "csv": CSVWriter,
    "npy": NPYWriter,
    "print": PrintWriter,
    "tb": TensorBoardWriter,
    "tensorboard": TensorBoardWriter,
    "csvplotting": CSVandPlottingWriter,
    "csvplot": CSVandPlottingWriter,
    "plot": CSVandPlottingWriter,
    "plotcsv": CSVandPlottingWriter,
    "jsonl": JSONLWriter,
    "report": ReportWriter,
}


def make_writer(save_to, writer_args):
    """A writer from Delve's `save_to`: a name, a writer, or a list of either; ValueError naming an unknown one."""
    if isinstance(save_to, AbstractWriter):
        return save_to
    if isinstance(save_to, (list, tuple)):
        return CompositWriter([make_writer(item, writer_args) for item in save_to])
    if isinstance(save_to, str) and save_to in WRITERS:
        return WRITERS[save_to](**writer_args)
    raise ValueError(f'Illegal argument for save_to "{save_to}": unknown writer; expected one of: '
                     + ", ".join(WRITERS) + " or a delve_swift.writers writer")


class DelveCSV:
    """Writes Delve's CSV (pandas' `to_csv(sep=';')` of a dict of columns) after every epoch."""

    def __init__(self, path):
        self.path = path
        self.columns = {}
        self.rows = 0

    def add(self, values):
        for key, value in values.items():
            if "covariance-matrix" in key:
                continue
            self.columns.setdefault(key, [None] * self.rows)
        for key, column in self.columns.items():
            column.append(values.get(key))
        self.rows += 1

    def save(self):
        def text(value):
            return "" if value is None else repr(float(value)) if value == value else ""
        lines = [";" + ";".join(self.columns)]
        for row in range(self.rows):
            lines.append(str(row) + "".join(";" + text(column[row]) for column in self.columns.values()))
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, self.path)


class DelveNPY:
    """Writes what Delve 0.1.50's NPYWriter writes, under the same names, so that loaders written for Delve's
    files (and `delve_swift.tools`, `delve report`) read them:

        <savepath>/_<phase>-<statistic>_<layer>/_<phase>-<statistic>_<layer>_epoch<N>.npy   (0-d float64)
        <savepath>/_<phase>-covariance-matrix_<layer>/…_epoch<N>.npy                       (D×D float64, stat 'cov')
        <savepath>/<scalar>/<scalar>_epoch<N>.npy                  (add_scalar values, average-<phase>-sat)
        <savepath>/epoch_counter.pkl                               ({name: last N}, pickled)

    N counts each name's epochs from 0, as Delve's does (resumed from epoch_counter.pkl when `resume`). The
    covariance matrices are the engine's `npy/<phase>/<layer>/epoch<E>-covariance.npy`, hard-linked (copied
    where links are not possible), not computed twice."""

    def __init__(self, savepath, resume=False):
        import pickle
        self.savepath = savepath
        self.epoch_counter = {}
        counter = os.path.join(savepath, "epoch_counter.pkl")
        if resume and os.path.exists(counter):
            with open(counter, "rb") as f:
                self.epoch_counter = pickle.load(f)

    def _path(self, name):
        epoch = self.epoch_counter[name] + 1 if name in self.epoch_counter else 0
        self.epoch_counter[name] = epoch
        folder = os.path.join(self.savepath, name)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{name}_epoch{epoch}.npy")

    def add(self, values, covariances=()):
        """One epoch: `values` under Delve's keys (layer statistics get Delve's '_' prefix, the other scalars
        none); `covariances` as (layer, phase, path of the engine's .npy)."""
        import numpy as np
        layer_stat = tuple(f"{phase}-{stat}_" for phase in ("train", "eval")
                           for stat in (*STATMAP.values(), *PROBE_KEYS))
        for key, value in values.items():
            name = "_" + key if key.startswith(layer_stat) else key
            np.save(self._path(name), np.float64(value))
        for layer, phase, source in covariances:
            target = self._path(f"_{phase}-covariance-matrix_{layer}")
            if os.path.exists(target):
                os.remove(target)
            try:
                os.link(source, target)
            except OSError:
                import shutil
                shutil.copyfile(source, target)

    def save(self):
        import pickle
        os.makedirs(self.savepath, exist_ok=True)
        tmp = os.path.join(self.savepath, "epoch_counter.pkl.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(self.epoch_counter, f)
        os.replace(tmp, os.path.join(self.savepath, "epoch_counter.pkl"))
