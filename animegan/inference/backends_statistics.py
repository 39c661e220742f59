"""The Keras model as a ``whole_statistics.StatisticsRunner``: one ``tf.function`` of the statistics graph."""

from __future__ import annotations

import numpy as np

from animegan.inference.memory import tensorflow_call
from animegan.models.norm_statistics import norm_sites, statistics_function


class KerasStatistics:
    """Runs ``models.norm_statistics.statistics_function`` of a Keras generator on numpy arrays."""

    max_size = None

    def __init__(self, model):
        import tensorflow as tf

        self.sites = norm_sites(model)
        run = statistics_function(model, self.sites)
        groups = [tf.TensorSpec([None, site.groups], tf.float32) for site in self.sites]
        self._run = tf.function(
            run,
            input_signature=[
                tf.TensorSpec([None, None, None, 3], tf.float32),
                tf.TensorSpec([None, None, None, 1], tf.float32),
                tf.TensorSpec([None, 1], tf.float32),
                groups,
                groups,
            ],
            reduce_retracing=True,
        )

    def __call__(self, batch, mask, own, means, variances):
        batch = np.asarray(batch, np.float32)
        own = np.full((batch.shape[0], 1), own, np.float32)
        stylized, measured_means, measured_variances = tensorflow_call(
            self._run,
            batch, np.asarray(mask, np.float32), own, [np.asarray(m, np.float32) for m in means],
            [np.asarray(v, np.float32) for v in variances],
        )
        return stylized.numpy(), [m.numpy() for m in measured_means], [v.numpy() for v in measured_variances]
