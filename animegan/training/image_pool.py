"""The history of generated images that CycleGAN shows its discriminators (Shrivastava et al. 2017).

A Keras layer whose state is three variables (the stored images, how many are stored, the random
seed), so it runs inside a compiled ``train_step`` and is saved and restored with the trainer's other
variables: a resumed run draws exactly the images an uninterrupted one would.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from animegan.layers.serialization import register


@register
class ImagePool(keras.layers.Layer):
    """Query with a batch of generated images; returns a batch of the same shape.

    While fewer than ``pool_size`` images are stored, each image is stored and returned as it is.
    Once full, each image is, with probability ``swap_probability``, swapped for a random stored one
    (the new image takes its slot), else returned as it is. Images are handled one after another, as
    in the reference implementation, so a batch behaves like the same images queried singly.
    ``pool_size=0`` returns every batch unchanged.
    """

    def __init__(
        self,
        pool_size: int = 50,
        image_shape: tuple[int, int, int] = (256, 256, 3),
        swap_probability: float = 0.5,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")  # stored images stay float32 under mixed precision
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.image_shape = tuple(int(n) for n in image_shape)
        self.swap_probability = float(swap_probability)
        self.seed = seed
        # The pool's image shape is fixed (the training crop) so its storage exists before tracing.
        self.images = self.add_weight(
            shape=(max(self.pool_size, 1), *self.image_shape), initializer="zeros", trainable=False, name="images"
        )
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="count")
        self.seed_generator = keras.random.SeedGenerator(seed, name=f"{self.name}_seed")
        self.built = True

    def call(self, batch):
        if self.pool_size == 0:
            return batch
        batch = tf.cast(batch, self.images.dtype)
        size = tf.shape(batch)[0]
        swap = keras.random.uniform((size,), seed=self.seed_generator) < self.swap_probability
        slot = keras.random.randint((size,), 0, self.pool_size, seed=self.seed_generator)

        # The pool is carried through the loop as a tensor and assigned once at the end: no variable
        # slicing inside the loop, so the step also compiles with XLA (``--xla``).
        def query(i, images, count, out):
            image = batch[i]
            filling = count < self.pool_size
            index = tf.where(filling, count, slot[i])
            stored = tf.gather(images, index)
            returned = tf.where(tf.logical_and(swap[i], tf.logical_not(filling)), stored, image)
            kept = tf.where(tf.logical_or(filling, swap[i]), image, stored)  # what the slot holds afterwards
            images = tf.tensor_scatter_nd_update(images, [[index]], kept[None])
            return i + 1, images, tf.minimum(count + 1, self.pool_size), out.write(i, returned)

        out = tf.TensorArray(batch.dtype, size=size, element_shape=self.image_shape)
        _, images, count, out = tf.while_loop(
            lambda i, *_: i < size,
            query,
            (tf.constant(0), tf.convert_to_tensor(self.images), tf.convert_to_tensor(self.count), out),
        )
        self.images.assign(images)
        self.count.assign(count)
        return tf.ensure_shape(out.stack(), (None, *self.image_shape))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "image_shape": self.image_shape,
            "swap_probability": self.swap_probability,
            "seed": self.seed,
        }
