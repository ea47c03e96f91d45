"""Delve's writers (`delve.writers`), mapped onto the Swift engine's writers.

Delve's names and constructor arguments are kept. The CSV writers write Delve's `<savepath>.csv`
(';'-separated, one row per epoch, Delve's column names) from Python; the others are the engine's writers,
which write into the run folder `<savefile>/`: `npy` (the engine's layout: npy/<phase>/<layer>/…),
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


class AbstractWriter:
    """A writer: `engine_writers` names the engine's writers it stands for; `delve_csv` whether it writes
    Delve's `<savepath>.csv`."""
    engine_writers = ()
    delve_csv = False

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
    """Covariance matrices and eigenvalues as .npy files (the engine's layout under `<savefile>/npy/`)."""
    engine_writers = ("npy",)

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
