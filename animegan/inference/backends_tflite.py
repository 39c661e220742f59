"""The ``.tflite`` backend: LiteRT with XNNPACK, without importing TensorFlow.

Runtimes, first found wins: ``ai_edge_litert`` (the maintained LiteRT wheel), ``tflite_runtime`` (older
devices; numpy<2, Python <= 3.11), then ``tf.lite`` from a full TensorFlow. The first two never import
TensorFlow, which keeps the CLI's start-up short. XNNPACK is applied by default by all three.

A dynamic-shape export (``--dynamic``) runs any H and W: the input is resized in the interpreter when
the shape changes. A fixed-shape export (``[1, H, W, 3]``, what the GPU delegate wants) runs smaller
images padded up to its size and larger ones in overlapping tiles of its size; its normalization
layers then see statistics of the padded or tiled picture, so use ``--dynamic`` exports for exact
whole-image results. A latent-input export (``metadata.is_latent``) takes ``(batch, latent_dim)``; one
exported for batch 1 runs a larger batch one latent at a time.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.tiles import pad_to_multiple, run_tiled
from animegan.inference.metadata import ExportMetadata, read_metadata


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
        if h <= height and w <= width:
            return self._invoke(_pad_to_size(image, height, width)[None])[0, :h, :w]
        tile = min(height, width) - min(height, width) % self.stride
        overlap = min(32, tile // 4) // self.stride * self.stride
        padded, _ = pad_to_multiple(image, self.stride)
        out = run_tiled(lambda tiles: np.stack([self._run_fixed(t) for t in tiles]), padded, tile, overlap, self.stride)
        return out[:h, :w]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if self.dynamic or batch.shape == self._shape:
            return self._invoke(batch)
        if self.latent:
            return np.concatenate([self._invoke(row[None]) for row in batch])
        return np.stack([self._run_fixed(image) for image in batch])
