"""A Keras generator run on a photo of any size in bounded memory, stage by stage: the whole image's picture.

Tiles that normalize with their own statistics change the picture, and estimating the whole image's
statistics (``whole_statistics``) converges slowly on deep instance-norm models (AnimeGANv1 stays near
16 dB in 512-pixel tiles). Here nothing is estimated. The graph is cut at its normalization sites:
a node's *level* is the number of sites on its longest path from the photo, and stage L runs every node
of level L. A site of level L needs the statistics of its input over the whole image, and that input
was finished by an earlier stage. Each stage runs over the image in full-width strips of rows, each
with a halo of rows its own convolutions need (recomputed, then dropped). The tensors later stages
read go to temporary files, float32 row by row. Each site's input statistics are summed as its strips
are written (Chan's merge in float64). So every norm uses the whole image's exact statistics, and memory
is what one strip of one stage needs. Disk use is the largest set of tensors alive at once.

A model whose layers do not fit this scheme is refused on construction: a probe photo run this way
must match the model run whole (``streamable``). Examples are a resize to another tensor's global
size (align_corners) or an unpadded valid convolution, whose rows do not line up strip by strip.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from animegan.errors import AnimeGANError
from animegan.layers.norms import needs_statistics, normalize_with
from animegan.inference.memory import tensorflow_call
from animegan.inference.tiles import _padded_index, min_side, model_input, padded_length

Finished = Callable[[int, np.ndarray], None]
PROBE_TOLERANCE = 1e-3  # max abs difference, in [-1, 1], between the probe run this way and whole
_PROBE_STRIPS = 3
_log = logging.getLogger(__name__)


@dataclass
class _Tensor:
    """A tensor of the graph: image rows per tensor row, channels, the stage that makes it, the last that reads it."""

    scale: int
    channels: int
    level: int
    last_read: int = -1
    on_grid: bool = True  # its rows are image rows / scale (a padded tensor's are not)


@dataclass
class _Stage:
    level: int
    nodes: list = field(default_factory=list)
    reads: list[int] = field(default_factory=list)  # ids of tensors made by earlier stages (or the photo)
    keeps: list[int] = field(default_factory=list)  # ids of tensors later stages read (or the picture)
    measures: list[str] = field(default_factory=list)  # the sites whose input is among ``keeps``
    halo: int = 0  # image rows each strip adds above and below
    bytes_per_pixel: float = 0.0  # float32 bytes of every tensor the stage holds, per image pixel


class _NotStreamable(Exception):
    """The model's graph cannot be run in strips (the message says where)."""


class _Moments:
    """Per group: count, mean and sum of squared deviations over the rows seen so far (Chan's merge)."""

    def __init__(self, groups: int):
        self.groups, self.count = groups, 0
        self.mean = np.zeros(groups)
        self.m2 = np.zeros(groups)

    def add(self, n: int, mean: np.ndarray, variance: np.ndarray) -> None:
        """One band's moments (``n`` values per group, its float32 mean and variance) merged in float64."""
        if n == 0:
            return
        mean, m2 = np.asarray(mean, np.float64), np.asarray(variance, np.float64) * n
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta**2 * (self.count * n / total)
        self.count = total

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and (population) variance, (1, groups) float32 each, as the norm takes them."""
        variance = self.m2 / max(self.count, 1)
        return self.mean[None].astype(np.float32), variance[None].astype(np.float32)


class _RowFile:
    """A tensor of (rows, width, channels) float32 in a file, written strip by strip, read by row ranges.

    Plain reads and writes, not a memory map: mapped pages would count in the process's resident size.
    """

    def __init__(self, folder: str, name: str, width: int, channels: int):
        self.path = os.path.join(folder, name)
        self.width, self.channels = width, channels
        self.row_bytes = width * channels * 4
        self.file = open(self.path, "w+b")  # noqa: SIM115 (closed by ``remove``; a scratch file, not output)
        self.rows = 0

    def write(self, rows: np.ndarray) -> None:
        self.file.seek(self.rows * self.row_bytes)
        self.file.write(memoryview(np.ascontiguousarray(rows, np.float32)).cast("B"))
        self.rows += rows.shape[0]

    def read(self, first: int, last: int) -> np.ndarray:
        out = np.empty((last - first, self.width, self.channels), np.float32)
        self.file.seek(first * self.row_bytes)
        if self.file.readinto(memoryview(out).cast("B")) != out.nbytes:
            raise AnimeGANError(f"scratch file {self.path} was cut short (is the disk full?)")
        return out

    def remove(self) -> None:
        self.file.close()
        os.unlink(self.path)


class LayerwiseRunner:
    """Runs ``model`` on one photo in strips, stage by stage, normalizing with the whole image's statistics."""

    def __init__(self, model):
        self.model = model
        self.stride = int(getattr(model, "stride", 4))
        self.photo = id(model.inputs[0])
        self.picture = id(model.outputs[0])
        self._functions: dict = {}
        try:
            self.tensors, self.stages, self.sites = _analyse(model, self.stride)
        except _NotStreamable as reason:
            self.tensors, self.stages, self.sites, self.streamable, self.reason = {}, [], {}, False, str(reason)
            return
        self.streamable = self._probe()
        self.reason = "" if self.streamable else "a probe photo run stage by stage differs from the model run whole"

    def peak_bytes(self, width: int, rows: int) -> float:
        """What the heaviest stage holds for a strip of ``rows`` image rows (before the runtime's overhead)."""
        return max(s.bytes_per_pixel * width * (rows + 2 * s.halo) for s in self.stages)

    def strip_rows(self, width: int, budget: float) -> int:
        """The tallest strip (a multiple of the stride, at least one stride) whose stages fit ``budget`` bytes."""
        rows = self.stride
        while self.peak_bytes(width, 2 * rows) <= budget:
            rows *= 2
        return rows

    def disk_bytes(self, height: int, width: int) -> int:
        """The most scratch-file bytes alive at once for a photo of this size."""
        pixels = padded_length(height, self.stride) * padded_length(width, self.stride)
        worst = 0.0
        for stage in self.stages:
            alive = [
                t for i, t in self.tensors.items()
                if t.level <= stage.level <= t.last_read and t.level < t.last_read and i not in (self.photo, self.picture)
            ]
            worst = max(worst, sum(4.0 * t.channels / t.scale**2 for t in alive))
        return int(worst * pixels)

    @property
    def folder(self) -> str:
        """Where the scratch files go: the system's temporary folder (``TMPDIR``)."""
        return tempfile.gettempdir()

    def free_disk(self) -> int:
        return shutil.disk_usage(self.folder).free

    def __call__(self, img: np.ndarray, rows: int, finished: Finished | None = None) -> np.ndarray | None:
        """The picture of ``img`` (H, W, 3: uint8, uint16 or float in [-1, 1]), stages run in strips of ``rows``.

        With ``finished``, the picture is handed over in bands of rows (float32 in [-1, 1]) and not returned.
        """
        height, width = img.shape[:2]
        result = np.empty((height, width, 3), np.float32) if finished is None else None
        sink = finished or (lambda row, band: result.__setitem__(slice(row, row + band.shape[0]), band))
        _log.debug(
            "stage by stage: %d stages, %d-row strips, %.1f GiB scratch", len(self.stages), rows,
            self.disk_bytes(height, width) / 1024**3,
        )
        self._run(img, rows, sink)
        return result

    def _run(self, img: np.ndarray, rows: int, sink: Finished) -> None:
        height, width = img.shape[:2]
        side = min_side(self.stride)
        padded_h, padded_w = padded_length(height, self.stride, side), padded_length(width, self.stride, side)
        rows = max(self.stride, rows - rows % self.stride)
        columns = _padded_index(slice(0, padded_w), width)

        def photo_rows(first: int, last: int) -> np.ndarray:
            return model_input(img[_padded_index(slice(first, last), height)][:, columns])

        files: dict[int, _RowFile] = {}
        statistics: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        with tempfile.TemporaryDirectory(prefix="animegan-layerwise-") as folder:
            try:
                for stage in self.stages:
                    made = {t: _RowFile(folder, str(t), padded_w // self.tensors[t].scale, self.tensors[t].channels)
                            for t in stage.keeps if t != self.picture}  # fmt: skip
                    files.update(made)
                    moments = {name: _Moments(self.sites[name][1].groups) for name in stage.measures}
                    for top in range(0, padded_h, rows):
                        bottom = min(padded_h, top + rows)
                        first, last = max(0, top - stage.halo), min(padded_h, bottom + stage.halo)
                        inputs = {
                            t: photo_rows(first, last) if t == self.photo
                            else files[t].read(first // self.tensors[t].scale, last // self.tensors[t].scale)
                            for t in stage.reads
                        }  # fmt: skip
                        bands, measured = self._stage(stage, inputs, statistics, top - first, bottom - first)
                        for t, band in zip(stage.keeps, bands):
                            if t != self.picture:
                                made[t].write(band)
                            elif top < height:
                                sink(top, np.ascontiguousarray(band[: height - top, :width], np.float32))
                        for name, (mean, variance) in zip(stage.measures, measured):
                            t, op = self.sites[name]
                            n = bands[stage.keeps.index(t)][..., 0].size * (self.tensors[t].channels // op.groups)
                            moments[name].add(n, mean, variance)
                    statistics.update({name: m.result() for name, m in moments.items()})
                    for t in [t for t in files if self.tensors[t].last_read <= stage.level]:
                        files.pop(t).remove()
            finally:
                for f in files.values():
                    f.remove()

    def _stage(self, stage: _Stage, inputs: dict, statistics: dict, start: int, stop: int):
        """The stage on one strip, through one ``tf.function`` per stage: the kept tensors' rows from image
        row ``start`` to ``stop`` of the window (numpy), and the moments of the sites' inputs among them."""
        run, names = self._compiled(stage)
        bands, measured = tensorflow_call(  # a GPU's out-of-memory error becomes OutOfMemory: the caller retries
            run,
            [inputs[t][None] for t in stage.reads],
            [statistics[name][0] for name in names],
            [statistics[name][1] for name in names],
            np.int32(start),
            np.int32(stop),
        )
        return [np.asarray(b) for b in bands], [(np.asarray(m), np.asarray(v)) for m, v in measured]  # no copies

    def _compiled(self, stage: _Stage):
        if stage.level in self._functions:
            return self._functions[stage.level]
        import tensorflow as tf

        names = [n.operation.name for n in stage.nodes if needs_statistics(n.operation)]
        groups = [tf.TensorSpec([1, self.sites[name][1].groups], tf.float32) for name in names]
        reads = [tf.TensorSpec([1, None, None, self.tensors[t].channels], tf.float32) for t in stage.reads]
        row = tf.TensorSpec([], tf.int32)

        def run(inputs, means, variances, start, stop):
            values = dict(zip(stage.reads, inputs))
            given = dict(zip(names, zip(means, variances)))
            for node in stage.nodes:
                args, kwargs = node.arguments.fill_in(values)
                op = node.operation
                out = normalize_with(op, args[0], *given[op.name]) if op.name in given else op(*args, **kwargs)
                for x, y in zip(node.outputs, keras.tree.flatten(out)):
                    values[id(x)] = y
            bands = {}
            for t in stage.keeps:
                scale = self.tensors[t].scale
                bands[t] = tf.cast(values[t][0, start // scale : stop // scale], tf.float32)
            measured = []
            for name in stage.measures:
                t, op = self.sites[name]
                grouped = tf.reshape(bands[t], (-1, op.groups, self.tensors[t].channels // op.groups))
                measured.append(tf.nn.moments(grouped, axes=(0, 2)))
            return [bands[t] for t in stage.keeps], measured

        function = tf.function(run, input_signature=[reads, groups, groups, row, row])
        self._functions[stage.level] = (function, names)
        return self._functions[stage.level]

    def _probe(self) -> bool:
        """Whether this runner gives the model's own picture on a small random photo in a few strips."""
        if not self.stages:
            return False
        rows = self.stride * 4
        halo = max(s.halo for s in self.stages)
        height = _PROBE_STRIPS * (rows + 2 * halo)
        photo = np.random.default_rng(0).uniform(-1, 1, (height, 4 * self.stride * 4, 3)).astype(np.float32)
        whole = np.asarray(self.model(photo[None], training=False))[0]
        try:
            streamed = self(photo, rows)
        except (ValueError, TypeError, KeyError):
            return False
        return bool(np.max(np.abs(streamed - whole)) <= PROBE_TOLERANCE)


def _radius(op) -> int:
    """Rows at the op's input resolution by which a strip edge can spoil its output (an upper bound)."""
    kernel = getattr(op, "kernel_size", None)
    if kernel is not None:
        dilation = getattr(op, "dilation_rate", (1,))
        return (int(max(kernel)) // 2) * int(max(dilation)) + 1
    if "resiz" in type(op).__name__.lower() or "sampl" in type(op).__name__.lower() or "pool" in type(op).__name__.lower():
        return 2
    return 0


def _analyse(model, stride: int):
    """The graph's tensors, its stages in order, and its sites ({norm name: (input tensor id, layer)})."""
    probe = 16 * stride
    nodes = [n for depth in sorted(model._nodes_by_depth, reverse=True) for n in model._nodes_by_depth[depth]
             if n.operation is not None and not n.is_input]
    symbolic = {id(model.inputs[0]): keras.KerasTensor((1, probe, probe, 3))}
    tensors = {id(model.inputs[0]): _Tensor(1, 3, -1)}
    stages: dict[int, _Stage] = {}
    sites = {}
    for node in nodes:
        if any(id(x) not in symbolic for x in node.input_tensors):
            raise _NotStreamable(f"{model.name}: node {node.operation.name} is not reachable from the photo")
        args, kwargs = node.arguments.fill_in(symbolic)
        out = node.operation(*args, **kwargs)
        site = needs_statistics(node.operation)
        level = max(max(tensors[id(x)].level for x in node.input_tensors), 0) + int(site)
        if site:
            sites[node.operation.name] = (id(node.input_tensors[0]), node.operation)
        stage = stages.setdefault(level, _Stage(level))
        stage.nodes.append(node)
        scale_in = max(tensors[id(x)].scale for x in node.input_tensors)
        stage.halo += _radius(node.operation) * scale_in
        for x in node.input_tensors:
            tensors[id(x)].last_read = max(tensors[id(x)].last_read, level)
            if tensors[id(x)].level < level and id(x) not in stage.reads:
                stage.reads.append(id(x))
        for x, y in zip(node.outputs, keras.tree.flatten(out)):
            symbolic[id(x)] = y
            if len(y.shape) != 4 or y.shape[1] is None:
                raise _NotStreamable(f"{model.name}: {node.operation.name} gives {y.shape}, not a picture")
            on_grid = probe % y.shape[1] == 0 and stride % (probe // y.shape[1]) == 0
            scale = probe // int(y.shape[1]) if on_grid else max(1, round(probe / int(y.shape[1])))
            tensors[id(x)] = _Tensor(scale, int(y.shape[-1]), level, on_grid=on_grid)
            stage.bytes_per_pixel += 4.0 * int(y.shape[-1]) / scale**2
    picture = id(model.outputs[0])
    tensors[picture].last_read = max(stages) + 1
    ordered = [stages[level] for level in sorted(stages)]
    for stage in ordered:
        stage.halo = -(-stage.halo // stride) * stride
        made = {id(x) for node in stage.nodes for x in node.outputs}
        stage.keeps = [t for t in made if tensors[t].last_read > stage.level]
        stage.measures = [name for name, (t, _) in sites.items() if t in stage.keeps]
        off_grid = [t for t in stage.keeps if not tensors[t].on_grid]
        if off_grid:  # a padded tensor read by a later stage: its rows do not follow the image's
            raise _NotStreamable(f"{model.name}: a tensor of stage {stage.level} that later stages read is not on the stride grid")
        stage.bytes_per_pixel += sum(4.0 * tensors[t].channels / tensors[t].scale**2 for t in stage.reads)
    return tensors, ordered, sites
