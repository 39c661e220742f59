"""The SavedModel backend: a directory written by ``animegan export --format savedmodel``.

It calls the SavedModel's ``float`` signature (NHWC float32 in [-1, 1]); the stride comes from
``assets/animegan.json``. The ``serving_default`` signature (uint8 in and out, pre- and
post-processing inside the graph) is for TensorFlow Serving and other clients.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.metadata import read_metadata

FLOAT_SIGNATURE = "float"


class SavedModelBackend:
    name = "savedmodel"

    def __init__(self, path: str | Path):
        import tensorflow as tf

        self.metadata = read_metadata(path)
        self.stride = int(self.metadata.stride)
        try:
            self._loaded = tf.saved_model.load(str(path))
        except (OSError, ValueError) as error:
            raise AnimeGANError(f"cannot load SavedModel {path}: {str(error).splitlines()[0]}") from None
        if FLOAT_SIGNATURE not in self._loaded.signatures:
            raise AnimeGANError(f"{path} has no '{FLOAT_SIGNATURE}' signature; re-export it with 'animegan export'")
        self._run = self._loaded.signatures[FLOAT_SIGNATURE]
        self._tensor = tf.constant

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        outputs = self._run(self._tensor(np.asarray(batch, dtype=np.float32)))
        return next(iter(outputs.values())).numpy()
