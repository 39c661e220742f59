"""The SavedModel backend: a directory written by ``animegan export --format savedmodel``.

It calls the SavedModel's ``float`` signature (NHWC float32 in [-1, 1]); the stride comes from
``assets/animegan.json``. The ``serving_default`` signature (uint8 in and out, pre- and
post-processing inside the graph) is for TensorFlow Serving and other clients. The ``statistics``
signature, where the export has one, runs tiles with whole-image normalization statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.metadata import STATISTICS_SIGNATURE, read_metadata, statistics_feed, statistics_results
from animegan.inference.whole_statistics import NoSites

FLOAT_SIGNATURE = "float"
class SavedModelStatistics:
    """The ``statistics`` signature as a ``whole_statistics.StatisticsRunner``."""

    max_size = None

    def __init__(self, signature, sites):
        self.sites = tuple(sites)
        self._run = signature

    def __call__(self, batch, mask, own, means, variances):
        import tensorflow as tf

        from animegan.inference.memory import tensorflow_call

        feed = {name: tf.constant(value) for name, value in statistics_feed(batch, mask, own, means, variances).items()}
        outputs = tensorflow_call(lambda: self._run(**feed))
        return statistics_results({k: v.numpy() for k, v in outputs.items()}, len(self.sites))


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
        self.statistics = None  # an export older than the statistics signature: tiles use their own
        sites = self.metadata.norm_sites
        if sites == ():
            self.statistics = NoSites()
        elif sites and STATISTICS_SIGNATURE in self._loaded.signatures:
            self.statistics = SavedModelStatistics(self._loaded.signatures[STATISTICS_SIGNATURE], sites)

    @property
    def memory_per_pixel(self) -> float:
        from animegan.inference.memory import FALLBACK_ACTIVATION_BYTES, RUNTIME_FACTORS

        return (self.metadata.activation_bytes or FALLBACK_ACTIVATION_BYTES) * RUNTIME_FACTORS["tensorflow"]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        from animegan.inference.memory import tensorflow_call

        outputs = tensorflow_call(self._run, self._tensor(np.asarray(batch, dtype=np.float32)))
        return next(iter(outputs.values())).numpy()
