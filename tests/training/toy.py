"""The parts of the smallest ``TrainingTask``, shared by the fit tests and the multi-worker tests.

A one-conv generator and a two-layer discriminator on seeded random 8x8 "photos"; epoch ``e``'s photos
are a stateless function of (seed, e), so an interrupted and resumed run sees the same data.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

SIZE = 8


def toy_networks(seed: int) -> tuple[keras.Model, keras.Model]:
    """The generator and the discriminator, their weights drawn from ``seed``."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((SIZE, SIZE, 3))
    generator = keras.Model(x, keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(x), name="toy_g")
    y = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.LeakyReLU(0.2)(keras.layers.Conv2D(8, 3, strides=2, padding="same")(y))
    discriminator = keras.Model(y, keras.layers.Conv2D(1, 3, padding="same")(h), name="toy_d")
    return generator, discriminator


class SeededPhotos:
    """``dataset`` and ``validation_photos`` of a toy task with ``seed``, ``steps_per_epoch`` and ``batch_size``."""

    seed: int
    steps_per_epoch: int
    batch_size: int

    def dataset(self, first_epoch: int, end_epoch: int):
        count = self.steps_per_epoch * self.batch_size

        def epoch_images(epoch):
            seed = tf.stack([tf.constant(self.seed, tf.int64), epoch])
            images = tf.random.stateless_uniform([count, SIZE, SIZE, 3], seed, minval=-1.0, maxval=1.0)
            return tf.data.Dataset.from_tensor_slices({"photo": images})

        return tf.data.Dataset.range(first_epoch, end_epoch).flat_map(epoch_images).batch(self.batch_size)

    def validation_photos(self) -> np.ndarray:
        return np.random.default_rng(self.seed).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
