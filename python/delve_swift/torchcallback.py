"""Delve 0.1.50's `SaturationTracker` for PyTorch, on the Swift engine.

A script written for `delve` runs with only its import changed (`from delve_swift import SaturationTracker`).
Differences to Delve 0.1.50 (its bugs, fixed): the covariance covers every recorded batch of the epoch
(Delve keeps only the last); the intrinsic dimensionality follows the paper (`convention="delve"` gives
Delve's, one less); LSTM and GRU outputs are read along their real time axis (`batch_first` honoured);
Conv1d, ConvTranspose2d and GRU layers are tracked too.
"""
import os

import numpy as np
import torch
from torch.nn import GRU, LSTM, Conv1d, Conv2d, ConvTranspose2d, Linear, Module
from torch.nn.functional import interpolate

from . import _native
from .engine import EngineTracker
from .writers import PROBE_KEYS, STATMAP, DelveCSV, DelveNPY, make_writer

SUPPORTED_LAYERS = (Linear, Conv1d, Conv2d, ConvTranspose2d, LSTM, GRU)
CONV_LAYERS = (Conv1d, Conv2d, ConvTranspose2d)
RECURRENT_LAYERS = (LSTM, GRU)
SUPPORTED_STATS = ["lsat", "idim", "cov", "det", "trc", "dtrc", "logdet", "erank", "pr", "srank"]
# Delve's timeseries methods (Delve's meanings), and names that say what they do; the values are the
# engine's layouts (it reads either time-axis order without a copy of the batch).
TIMESERIES_METHODS = {
    "last_timestep": "last",                          # N×F, the last step along the time axis
    "timestepwise": "flattened-sequence",             # Delve's meaning: each sequence flattened, N×(T·F)
    "flattened_sequence": "flattened-sequence",       # the same, by what it does
    "timestep_observations": "timestep-observations", # every step an observation, (N·T)×F
}
CONV_METHODS = ["channelwise", "mean", "max", "median", "flatten"]


class SaturationTracker:
    """Records layer saturation and other statistics of a PyTorch model's layers (Delve's API).

    The parameters, their order and defaults are Delve 0.1.50's; the keyword-only ones after them are this
    project's: `convention` ("paper" or "delve"), `precision` ("float64" or the faster "float32" batch
    arithmetic), `bad_batch_policy` ("fail": a NaN/inf batch raises, naming the layer; "skip": it is
    counted and noted), `moments_on_device` (reduce every batch to its count, mean and centred co-moment
    with torch in float64 on the tensor's device and pass only those; always so for tensors that are not
    on the CPU, and for float64 tensors, which the engine's layouts would read as float32), `blas_threads`
    (the engine's BLAS threads, process-wide; default 1: PyTorch's own threads already use the cores, and
    a second spinning pool beside them slows both; None leaves the setting alone), `probes` and
    `probe_ridge` (a streaming linear probe per layer, see `set_labels`: `train-probe-r2_<layer>` and
    `eval-probe-accuracy_<layer>` in every epoch's values; the ridge λ of (Σ + λI) W = M, None: the default
    1e-3·tr Σ/D).

    Under `torch.distributed` (an initialized process group when the tracker is created), every rank
    records its own batches; at each epoch end the ranks exchange their serialized states over the group,
    every rank merges them exactly in rank order, and only rank 0 writes files. The statistics are then
    identical on every rank and equal to one process that saw all the data (needs reset_covariance=True).
    """

    def __init__(self,
                 savefile,
                 save_to,
                 modules,
                 layer_filter=lambda x: x,
                 writer_args=None,
                 log_interval=1,
                 max_samples=None,
                 stats=["lsat"],
                 layerwise_sat=True,
                 reset_covariance=True,
                 average_sat=False,
                 ignore_layer_names=[],
                 include_conv=True,
                 conv_method="channelwise",
                 timeseries_method="last_timestep",
                 sat_threshold=.99,
                 nosave=False,
                 verbose=False,
                 device="cuda:0",
                 initial_epoch=0,
                 interpolation_strategy=None,
                 interpolation_downsampling=32,
                 *,
                 convention="paper",
                 precision="float64",
                 bad_batch_policy="fail",
                 moments_on_device=False,
                 blas_threads=1,
                 probes=False,
                 probe_ridge=None):
        self.savefile = savefile
        self.nosave = nosave
        self.verbose = verbose
        self.include_conv = include_conv
        self.conv_method = conv_method
        self.timeseries_method = timeseries_method
        self.threshold = sat_threshold
        self.max_samples = max_samples
        self.log_interval = log_interval
        self.reset_covariance = reset_covariance
        self.initial_epoch = initial_epoch
        self.interpolation_strategy = interpolation_strategy
        self.interpolation_downsampling = interpolation_downsampling
        self.layerwise_sat = layerwise_sat
        self.average_sat = average_sat
        self.ignore_layer_names = list(ignore_layer_names)
        self.device = device
        self.convention = convention
        self.precision = precision
        self.stats = self._check_stats(stats)
        if conv_method not in CONV_METHODS:
            raise ValueError(f"unknown conv_method {conv_method!r}; expected one of: {', '.join(CONV_METHODS)}")
        if timeseries_method not in TIMESERIES_METHODS:
            raise ValueError(f"unknown timeseries_method {timeseries_method!r}; expected one of: "
                             + ", ".join(TIMESERIES_METHODS))
        self._series = TIMESERIES_METHODS[timeseries_method]
        self.moments_on_device = moments_on_device
        if blas_threads is not None:
            _native.set_blas_threads(blas_threads)
        self._moment_passes = {}
        self._moment_samples = {}
        self._distributed = _distributed_group_size() > 1
        self.probes = bool(probes)
        self._check_probe_options(moments_on_device)
        self._label_sets = {"train": 0, "eval": 0}   # set_labels calls per phase
        self._labels_used = {}                       # (layer, phase) → (set_labels call, forward pass) it recorded with
        self._forwards = 0                           # forward passes of the tracked model(s) begun so far
        if self._distributed and not reset_covariance:
            raise ValueError("reset_covariance=False is not supported under torch.distributed "
                             "(each epoch's states are exchanged and merged)")
        if self._distributed and torch.distributed.get_rank() != 0:
            nosave, verbose = True, False   # only rank 0 writes

        writer_args = dict(writer_args or {})
        writer_args["savepath"] = savefile
        self.writer = make_writer(save_to, writer_args)
        writers = [] if nosave else self.writer.writers()
        engine_writers = []
        for w in writers:
            engine_writers += [k for k in w.engine_writers if k not in engine_writers]
        if verbose and "console" not in engine_writers:
            engine_writers.append("console")
        self._csv = [DelveCSV((w.savepath or savefile) + ".csv") for w in writers if w.delve_csv]
        self._npy = [DelveNPY(w.savepath or savefile, resume=initial_epoch != 0) for w in writers if w.delve_npy]
        os.makedirs(savefile, exist_ok=True)
        self._engine = EngineTracker(
            run_directory=savefile if engine_writers else None, writers=engine_writers, statistics=self.stats,
            threshold=sat_threshold, conv_method=conv_method,
            timeseries_method=self._series,
            convention=convention, precision=precision, log_interval=log_interval, max_samples=max_samples,
            reset_covariance=reset_covariance, average_saturation=average_sat, initial_epoch=initial_epoch,
            bad_batch_policy=bad_batch_policy, probes=self.probes, probe_ridge=probe_ridge)
        self._engine_policy = bad_batch_policy
        self.layers = layer_filter(self.get_layers_recursive(modules))
        self._handles = []
        for name, layer in self.layers.items():
            if name in self.ignore_layer_names:
                continue
            self._handles.append(layer.register_forward_hook(self._hook(name)))
        if self.probes:
            # A forward pass of the model itself starts a new batch: a layer called twice inside one pass
            # (a shared module) records twice with the same labels, a layer of the next pass needs new ones.
            for root in ([modules] if isinstance(modules, Module) else list(modules)):
                self._handles.append(root.register_forward_pre_hook(self._count_forward))

    # -- Delve's public methods ------------------------------------------------------------------------

    def __repr__(self):
        return self.layers.keys().__repr__()

    def is_recording(self):
        return self._engine.is_recording

    def stop(self):
        self._engine.stop()

    def resume(self):
        self._engine.resume()

    def close(self):
        """Closes the writers (and detaches the hooks)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._engine.close()

    def add_scalar(self, name, value, **kwargs):
        """Adds one of your metrics (accuracy, loss) to the current epoch."""
        self._engine.add_scalar(name, float(value))

    def add_scalars(self, prefix, value_dict, **kwargs):
        """Adds several metrics (as Delve's CSV writer, under their own names)."""
        for name, value in value_dict.items():
            self.add_scalar(name, value)

    def add_saturations(self, save=True):
        """Ends the epoch: computes every statistic of every recorded layer and phase and writes them."""
        if self._distributed:
            self._exchange_states()
        self._moment_passes.clear()
        self._moment_samples.clear()
        self._engine.end_epoch()
        values = self._engine.last_values()
        if not self.layerwise_sat:
            values = {k: v for k, v in values.items()
                      if not any(f"-{s}_" in k for s in (*STATMAP.values(), *PROBE_KEYS))}
        self.last_values = values
        for csv in self._csv:
            csv.add(values)
        if self._npy:
            covariances = self._covariance_files() if "cov" in self.stats else []
            for npy in self._npy:
                npy.add(values, covariances)
        if save:
            self.save()
        return values

    def save(self):
        for csv in self._csv:
            csv.save()
        for npy in self._npy:
            npy.save()

    def _covariance_files(self):
        """(layer, phase, path) of the covariance matrices the engine's npy writer wrote for the last epoch."""
        epoch = self._engine.last_epoch
        found = []
        for phase in ("train", "eval"):
            for name in self.layers:
                safe = name.replace("/", "_").replace("\\", "_")
                path = os.path.join(self.savefile, "npy", phase, safe, f"epoch{epoch}-covariance.npy")
                if os.path.exists(path):
                    found.append((name, phase, path))
        return found

    def _exchange_states(self):
        """All ranks: gather every rank's layer states, merge them in rank order, use the merge."""
        from .accumulator import Accumulator
        local = [(layer, phase, self._engine.layer_state(layer, phase)) for layer, phase in self._engine.epoch_layers()]
        gathered = [None] * torch.distributed.get_world_size()
        torch.distributed.all_gather_object(gathered, local)
        order, states = [], {}
        for rank_states in gathered:
            for layer, phase, data in rank_states:
                if (layer, phase) not in states:
                    order.append((layer, phase))
                    states[(layer, phase)] = []
                states[(layer, phase)].append(data)
        for layer, phase in order:
            merged = Accumulator.deserialize(states[(layer, phase)][0])
            for data in states[(layer, phase)][1:]:
                merged.merge(Accumulator.deserialize(data))
            self._engine.replace_layer_state(layer, phase, merged.serialize())

    # -- layers ------------------------------------------------------------------------------------------

    def _check_is_supported_layer(self, layer):
        if isinstance(layer, CONV_LAYERS) and not self.include_conv:
            return False
        return isinstance(layer, SUPPORTED_LAYERS)

    def get_layer_from_submodule(self, submodule, layers, name_prefix=""):
        """Delve's traversal: leaf modules, named by their path joined with '-'."""
        if len(submodule._modules) > 0:
            for name, child in submodule._modules.items():
                if child is None:
                    continue
                prefix = name if name_prefix == "" else name_prefix + "-" + name
                self.get_layer_from_submodule(child, layers, prefix)
            return layers
        if self._check_is_supported_layer(submodule):
            layers[name_prefix] = submodule
        return layers

    def get_layers_recursive(self, modules):
        layers = {}
        if isinstance(modules, Module) and not hasattr(modules, "out_features"):
            return self.get_layer_from_submodule(modules, layers, "")
        if isinstance(modules, Module):
            modules = [modules]
        for i, module in enumerate(modules):
            prefix = f"Module-{i}-{type(module).__name__}" if self._check_is_supported_layer(module) else ""
            self.get_layer_from_submodule(module, layers, prefix)
        return layers

    # -- recording ---------------------------------------------------------------------------------------

    def _hook(self, name):
        def record(module, inputs, output):
            if isinstance(module, RECURRENT_LAYERS):
                output = output[0]
                if not isinstance(output, torch.Tensor):
                    raise ValueError(f"layer {name!r}: packed sequences are not supported; unpack them first")
            self._record(name, module, output.detach())
        return record

    def _record(self, name, module, tensor):
        phase = "train" if module.training else "eval"
        if tensor.dim() == 3 and isinstance(module, Conv1d):
            tensor = tensor.unsqueeze(2)              # N×C×L → N×C×1×L, a view
        if tensor.dim() == 4:
            kind = "convolution"
            if self.interpolation_strategy is not None and (
                    tensor.shape[3] > self.interpolation_downsampling or tensor.shape[2] > self.interpolation_downsampling):
                tensor = interpolate(tensor, size=self.interpolation_downsampling, mode=self.interpolation_strategy)
        elif tensor.dim() == 3:
            batch_first = getattr(module, "batch_first", True) if isinstance(module, RECURRENT_LAYERS) else True
            kind = "sequence_batch_first" if batch_first else "sequence_time_first"
        elif tensor.dim() == 2:
            kind = "dense"
        else:
            raise ValueError(f"layer {name!r}: cannot track an output of shape {tuple(tensor.shape)}")
        if self.probes:
            # The probes need the per-sample rows with their labels: every batch goes to the engine as it is
            # (copied from an accelerator), never as moments.
            self._check_labels(name, phase)
            self._record_pointer(name, phase, tensor.cpu(), kind)
            return
        # float64 outputs take the moments path too: the engine's layouts read float32.
        if self.moments_on_device or tensor.device.type != "cpu" or tensor.dtype == torch.float64:
            self._record_moments(name, phase, tensor, kind)
            return
        self._record_pointer(name, phase, tensor, kind)

    def _record_pointer(self, name, phase, tensor, kind):
        """A CPU float32/float64 batch to the engine by pointer, without a copy when contiguous."""
        if tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.float()
        if not tensor.is_contiguous():
            tensor = tensor.contiguous()
        dtype = _native.FLOAT32 if tensor.dtype == torch.float32 else _native.FLOAT64
        self._engine.record_pointer(name, phase, tensor.data_ptr(), dtype, tuple(tensor.shape), kind)

    def _record_moments(self, name, phase, tensor, kind):
        """The batch's count, mean and centred co-moment, computed in float64 where the tensor lives."""
        key = (name, phase)
        passes = self._moment_passes.get(key, 0)
        self._moment_passes[key] = passes + 1
        if not self._engine.is_recording or passes % self.log_interval != 0:
            return
        if kind == "sequence_time_first":
            tensor = tensor.transpose(0, 1)
        if self.max_samples is not None:
            room = self.max_samples - self._moment_samples.get(key, 0)
            if room <= 0:
                return
            tensor = tensor[:room]
        self._moment_samples[key] = self._moment_samples.get(key, 0) + tensor.shape[0]
        rows = _rows(tensor.double(), kind, self.conv_method, self._series)
        if not bool(torch.isfinite(rows).all()):
            message = (f"layer '{name}' ({phase}): non-finite values in the batch; "
                       "the batch was rejected and the accumulated statistics are unchanged")
            if self._engine_policy == "skip":
                return
            raise _native.BadBatchError(message, _native.ERR_BAD_BATCH)
        mean = rows.mean(dim=0)
        centred = rows - mean
        comoment = centred.T @ centred
        self._engine.record_moments(name, phase, rows.shape[0], mean.cpu().numpy(), comoment.cpu().numpy())

    # -- linear probes (this project's extension of Delve's API) ----------------------------------------

    def set_labels(self, labels, phase=None):
        """The class labels of the next forward pass, for `probes=True`: a 1-D torch tensor or numpy array of
        class indices (integers ≥ 0), one per sample of the batch. Every tracked layer of that pass records
        them with its output; the probe of a layer is fitted on the epoch's train rows and scored on its eval
        rows. `phase` ("train" or "eval") defaults to the mode of the tracked layers (`model.train()` /
        `model.eval()`), as the hooks decide it. Call it before every tracked forward pass: a layer that
        records a second batch with the same labels raises. None clears the phase's labels. With probes off
        the labels are checked and ignored."""
        if phase is None:
            phase = self._current_phase()
        elif phase not in ("train", "eval"):
            raise ValueError(f"set_labels: phase must be 'train', 'eval' or None (the tracked layers' mode), got {phase!r}")
        if isinstance(labels, torch.Tensor):
            labels = labels.detach().cpu().numpy()
        self._engine.set_labels(phase, labels)   # checked; ignored by the engine with probes off
        self._label_sets[phase] += 1

    def _current_phase(self):
        modes = {layer.training for name, layer in self.layers.items() if name not in self.ignore_layer_names}
        if len(modes) != 1:
            raise ValueError("set_labels: " + ("no layer is tracked" if not modes else
                             "the tracked layers are partly in train and partly in eval mode")
                             + "; pass phase='train' or phase='eval'")
        return "train" if modes.pop() else "eval"

    def _check_labels(self, name, phase):
        """Refuses a batch that would reuse the labels this layer already recorded (a missed set_labels)."""
        if not self._engine.is_recording:
            return
        current = self._label_sets[phase]
        if current == 0:
            raise ValueError(f"layer {name!r} ({phase}): probes=True needs the labels of every batch; call "
                             "tracker.set_labels(y) before the forward pass")
        used = self._labels_used.get((name, phase))
        same_pass = used is not None and self._forwards > 0 and used[1] == self._forwards
        if used is not None and used[0] == current and not same_pass:
            raise ValueError(f"layer {name!r} ({phase}): this batch has no labels of its own (the last set_labels "
                             "call's labels were already recorded by this layer); call tracker.set_labels(y) "
                             "before every forward pass")
        self._labels_used[(name, phase)] = (current, self._forwards)

    def _count_forward(self, module, inputs):
        """Forward pre-hook of the tracked model(s): counts the forward passes (see `_check_labels`)."""
        self._forwards += 1

    def _check_probe_options(self, moments_on_device):
        if not self.probes:
            return
        if moments_on_device:
            raise ValueError("probes=True needs every batch's per-sample rows with their labels; "
                             "moments_on_device=True passes moments only")
        if self._distributed:
            raise ValueError("probes=True is not supported under torch.distributed "
                             "(the probes' statistics are not exchanged between ranks)")

    # -- statistics ------------------------------------------------------------------------------------

    def _check_stats(self, stats):
        stats = list(stats)
        for stat in stats:
            if stat not in SUPPORTED_STATS:
                raise ValueError(f"unknown statistic {stat!r}; expected any of: {', '.join(SUPPORTED_STATS)}")
        return stats


CheckLayerSat = SaturationTracker


def _distributed_group_size():
    dist = torch.distributed
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _rows(tensor, kind, conv_method, series):
    """A batch as observations × features, as the engine's layouts read it (batch-first sequences)."""
    if kind == "dense":
        return tensor.reshape(tensor.shape[0], -1)
    if kind == "convolution":
        n, c = tensor.shape[0], tensor.shape[1]
        planes = tensor.reshape(n, c, -1)
        if conv_method == "channelwise":
            return planes.permute(0, 2, 1).reshape(-1, c)
        if conv_method == "mean":
            return planes.mean(dim=2)
        if conv_method == "max":
            return planes.max(dim=2).values
        if conv_method == "median":
            return planes.median(dim=2).values
        return tensor.reshape(n, -1)
    if series == "timestep-observations":
        return tensor.reshape(-1, tensor.shape[2])
    if series == "flattened-sequence":
        return tensor.reshape(tensor.shape[0], -1)
    return tensor[:, -1, :]
