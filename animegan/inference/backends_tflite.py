"""The ``.tflite`` backend: LiteRT with XNNPACK, without importing TensorFlow.

Runtimes, first found wins: ``ai_edge_litert`` (the maintained LiteRT wheel), ``tflite_runtime`` (older
devices; numpy<2, Python <= 3.11), then ``tf.lite`` from a full TensorFlow. The first two never import
TensorFlow, which keeps the CLI's start-up short. XNNPACK is applied by default by all three.

A dynamic-shape export (``--dynamic``) runs any H and W: the input is resized in the interpreter when
the shape changes. A fixed-shape export (``[1, H, W, 3]``, what the GPU delegate wants) runs smaller
images padded up to its size and larger ones in overlapping tiles of its size. Through the export's
``statistics`` signature, padded pixels are left out of the normalization statistics and tiles
normalize with the whole image's (``inference.whole_statistics``), so both give the picture the
whole image gives; an export without that signature (older ones) falls back to the padded or tiled
picture's own statistics. A latent-input export (``metadata.is_latent``) takes ``(batch, latent_dim)``;
one exported for batch 1 runs a larger batch one latent at a time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.metadata import STATISTICS_SIGNATURE, ExportMetadata, read_metadata, statistics_feed, statistics_results
from animegan.inference.tiles import pad_to_multiple, run_tiled
from animegan.inference.whole_statistics import NoSites, Statistics, run_with_whole_statistics


def interpreter_class() -> tuple[type, str]:
    """(Interpreter class, runtime name), trying ai-edge-litert, tflite-runtime, then TensorFlow."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "ai-edge-litert"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter, "tflite-runtime"
    except ImportError:
        pass
    try:
        import tensorflow as tf
    except ImportError:
        raise AnimeGANError("cannot run .tflite models: pip install ai-edge-litert") from None
    return tf.lite.Interpreter, "tensorflow"


def _pad_to_size(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pads HxWxC at the bottom/right to exactly height x width (reflect, edge where too small)."""
    for axis, size, target in ((0, image.shape[0], height), (1, image.shape[1], width)):
        extra = target - size
        while extra > 0:  # reflect at most size - 1 pixels at a time
            step = min(extra, max(1, size - 1))
            widths = [(0, 0)] * image.ndim
            widths[axis] = (0, step)
            image = np.pad(image, widths, mode="reflect" if size > 1 else "edge")
            extra -= step
            size += step
    return image


class TFLiteStatistics:
    """The export's ``statistics`` signature as a ``whole_statistics.StatisticsRunner``.

    A fixed-shape export takes exactly its size: smaller inputs are padded up, with a zero mask over
    the padding so that it counts in no statistics, and a batch runs one image at a time.
    """

    def __init__(self, interpreter, sites, fixed_size: tuple[int, int] | None):
        self.sites = tuple(sites)
        self.max_size = fixed_size
        self._interpreter = interpreter

    def _invoke(self, batch, mask, own, means, variances):
        # A runner held between calls would keep a reference that makes the plain invoke() refuse to run.
        runner = self._interpreter.get_signature_runner(STATISTICS_SIGNATURE)
        outputs = runner(**statistics_feed(batch, mask, own, means, variances))
        return statistics_results(outputs, len(self.sites))

    def __call__(self, batch, mask, own, means, variances):
        if self.max_size is None:
            return self._invoke(batch, mask, own, means, variances)
        height, width = self.max_size
        results = []
        for n in range(batch.shape[0]):
            h, w = batch.shape[1:3]
            image = _pad_to_size(np.asarray(batch[n], np.float32), height, width)
            weights = np.zeros((height, width, 1), np.float32)
            weights[:h, :w] = mask[n]
            out, m, v = self._invoke(image[None], weights[None], own, [a[n : n + 1] for a in means], [a[n : n + 1] for a in variances])
            results.append((out[0, :h, :w], m, v))
        return (
            np.stack([r[0] for r in results]),
            [np.concatenate([r[1][k] for r in results]) for k in range(len(self.sites))],
            [np.concatenate([r[2][k] for r in results]) for k in range(len(self.sites))],
        )


class TFLiteBackend:
    """Runs a ``.tflite`` generator exported by ``animegan export`` (its sidecar JSON gives the stride)."""

    name = "tflite"

    def __init__(
        self,
        path: str | Path | None = None,
        threads: int | None = None,
        *,
        model_content: bytes | None = None,
        metadata: ExportMetadata | None = None,
    ):
        interpreter, self.runtime = interpreter_class()
        self.metadata = metadata if metadata is not None else read_metadata(path)
        self.stride = int(self.metadata.stride)
        self.threads = threads or os.cpu_count() or 1
        try:
            self.interpreter = interpreter(
                model_path=None if model_content is not None else str(path),
                model_content=model_content,
                num_threads=self.threads,
            )
        except (ValueError, RuntimeError) as error:
            raise AnimeGANError(f"cannot load TFLite model {path}: {str(error).splitlines()[0]}") from None
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        signature = tuple(int(d) for d in self._input.get("shape_signature", self._input["shape"]))
        self.latent = self.metadata.is_latent
        self.dynamic = signature[0] == -1 if self.latent else any(d == -1 for d in signature[1:3])
        self.input_size = None if self.dynamic or self.latent else (signature[1], signature[2])
        self._shape: tuple[int, ...] | None = None
        if not self.dynamic:
            self.interpreter.allocate_tensors()
            self._shape = tuple(int(d) for d in self._input["shape"])
        self.statistics = self._statistics_runner()

    def _statistics_runner(self):
        sites = None if self.latent else self.metadata.norm_sites
        if sites == ():
            return NoSites()
        if sites and STATISTICS_SIGNATURE in self.interpreter.get_signature_list():
            return TFLiteStatistics(self.interpreter, sites, self.input_size)
        return None  # an export older than the statistics signature

    @property
    def memory_per_pixel(self) -> float:
        from animegan.inference.memory import FALLBACK_ACTIVATION_BYTES, RUNTIME_FACTORS

        return (self.metadata.activation_bytes or FALLBACK_ACTIVATION_BYTES) * RUNTIME_FACTORS["tflite"]

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        if batch.shape != self._shape:
            self.interpreter.resize_tensor_input(self._input["index"], batch.shape, strict=False)
            self.interpreter.allocate_tensors()
            self._shape = batch.shape
        self.interpreter.set_tensor(self._input["index"], batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"]).copy()

    def _run_fixed(self, image: np.ndarray) -> np.ndarray:
        """One HxWx3 image through the fixed-size model: padded up, or tiled when larger."""
        height, width = self.input_size
        h, w = image.shape[:2]
        sites = getattr(self.statistics, "sites", ())
        if h <= height and w <= width:
            if sites:  # its own statistics, over its own pixels only
                mask = np.ones((1, h, w, 1), np.float32)
                means, variances = Statistics.neutral(sites).batch(1)
                return self.statistics(image[None], mask, 1.0, means, variances)[0][0]
            return self._invoke(_pad_to_size(image, height, width)[None])[0, :h, :w]
        tile = min(height, width) - min(height, width) % self.stride
        overlap = min(32, tile // 4) // self.stride * self.stride
        padded, _ = pad_to_multiple(image, self.stride)
        if sites:
            out, _ = run_with_whole_statistics(self.statistics, padded, tile, overlap, self.stride, height * width)
        else:
            out = run_tiled(lambda tiles: np.stack([self._run_fixed(t) for t in tiles]), padded, tile, overlap, self.stride)
        return out[:h, :w]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if self.dynamic or batch.shape == self._shape:
            return self._invoke(batch)
        if self.latent:
            return np.concatenate([self._invoke(row[None]) for row in batch])
        return np.stack([self._run_fixed(image) for image in batch])
