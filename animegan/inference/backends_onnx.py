"""The ``.onnx`` backend: ONNX Runtime on the CPU, without importing TensorFlow.

Runs what ``animegan export --format onnx`` writes (float32 or int8; any size, or one fixed size) and
reads the sidecar ``FILE.onnx.json`` for the stride, like the TFLite backend. A fixed-shape model runs
smaller images padded up to its size and larger ones in overlapping tiles, exactly as a fixed-shape
``.tflite`` does (the same code). ONNX Runtime is the ``onnx`` extra: ``pip install 'animegan[onnx]'``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.backends_tflite import TFLiteBackend
from animegan.inference.metadata import ExportMetadata, read_metadata

MISSING = "cannot run .onnx models: pip install 'animegan[onnx]' (onnxruntime)"


def session_options(threads: int | None, profile_prefix: str | None = None):
    """ONNX Runtime options: ``threads`` intra-op threads (default: all cores), one inter-op thread."""
    try:
        import onnxruntime
    except ImportError:
        raise AnimeGANError(MISSING) from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1  # the generators are one chain of layers: nothing runs side by side
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return options


class OnnxBackend:
    """An exported ``.onnx`` generator on ONNX Runtime's CPU provider (NHWC float32 in [-1, 1] in and out)."""

    name = "onnx"
    runtime = "onnxruntime"
    _run_fixed = TFLiteBackend._run_fixed  # pads up or tiles to the model's one input size

    def __init__(
        self,
        path: str | Path | None = None,
        threads: int | None = None,
        *,
        model_content: bytes | None = None,
        metadata: ExportMetadata | None = None,
        profile_prefix: str | None = None,
    ):
        options = session_options(threads, profile_prefix)
        import onnxruntime

        self.metadata = metadata if metadata is not None else read_metadata(path)
        self.stride = int(self.metadata.stride)
        self.threads = options.intra_op_num_threads
        try:
            model = model_content if model_content is not None else str(path)
            self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph/... types for a bad file
            reason = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
            raise AnimeGANError(f"cannot load ONNX model {path or '(in memory)'}: {reason}") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise AnimeGANError(f"{path} takes {len(inputs)} inputs; an animegan export takes one")
        self._input = inputs[0].name
        shape = inputs[0].shape
        self.latent = self.metadata.is_latent
        fixed = not self.latent and all(isinstance(d, int) for d in shape[1:3])
        self.input_size = (int(shape[1]), int(shape[2])) if fixed else None
        self._shape = (1, *self.input_size, 3) if fixed else None
        # No statistics signature in ONNX exports yet: tiles use their own statistics (stylize says so),
        # and the memory budget uses memory.FALLBACK_ACTIVATION_BYTES (no ONNX Runtime factor measured).
        self.statistics = None

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: batch})[0]

    def end_profiling(self) -> str:
        """Ends the profile of a backend made with ``profile_prefix`` and returns the JSON file's path."""
        return self.session.end_profiling()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if self.input_size is None or batch.shape == self._shape:
            return self._invoke(batch)
        return np.stack([self._run_fixed(image) for image in batch])
