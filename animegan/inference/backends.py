"""Model backends for inference: each loads one kind of model file and runs batches of images.

A backend is called with float32 NHWC RGB in [-1, 1] (H and W multiples of ``stride``) and returns the
same. ``load_backend`` picks the backend from the path; later formats add one entry to ``_BACKENDS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from animegan.errors import AnimeGANError


class Backend(Protocol):
    name: str
    stride: int

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class KerasBackend:
    """A ``.keras`` generator, run through one ``tf.function`` that accepts any batch, H and W."""

    name = "keras"

    def __init__(self, path: Path):
        import keras
        import tensorflow as tf

        import animegan.models  # noqa: F401  (registers the classes a .keras file names)

        try:
            self.model = keras.saving.load_model(path, compile=False)
        except (ValueError, TypeError, OSError) as error:
            raise AnimeGANError(f"cannot load Keras model {path}: {str(error).splitlines()[0]}") from None
        self.stride = int(getattr(self.model, "stride", 4))
        self._run = tf.function(
            lambda x: self.model(x, training=False),
            input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)],
            reduce_retracing=True,
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._run(np.asarray(batch, np.float32)).numpy()


def _is_keras(path: Path) -> bool:
    return path.suffix == ".keras" and path.is_file()


# (test on the path, backend class), tried in order.
_BACKENDS: list[tuple[Callable[[Path], bool], Callable[[Path], Backend]]] = [
    (_is_keras, KerasBackend),
]


def load_backend(model: str | Path) -> Backend:
    """The backend for a model path; a one-line error when nothing can run it."""
    path = Path(model)
    if not path.exists():
        raise AnimeGANError(f"model not found: {model}")
    for accepts, backend in _BACKENDS:
        if accepts(path):
            return backend(path)
    raise AnimeGANError(f"cannot run {model}: expected a .keras file")
