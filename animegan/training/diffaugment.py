"""Differentiable augmentation (Zhao et al. 2020, "DiffAugment") for GANs trained on few images.

The same random colour, translation and cutout transforms are applied to real and generated images
before the discriminator; being differentiable, the generator learns through them, and the
discriminator cannot memorise the small training set. Images are NHWC in [-1, 1].
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from animegan.errors import AnimeGANError

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str | None) -> tuple[str, ...]:
    """"color,translation,cutout" -> ("color", "translation", "cutout"); "" or None -> ()."""
    names = tuple(name.strip() for name in (policy or "").split(",") if name.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise AnimeGANError(f"unknown DiffAugment policy {', '.join(unknown)}; choose from {', '.join(POLICIES)}")
    return names


def _uniform(shape, seed, low=0.0, high=1.0):
    return keras.random.uniform(shape, minval=low, maxval=high, seed=seed)


def color(x, seed):
    batch = ops.shape(x)[0]
    x = x + _uniform((batch, 1, 1, 1), seed, -0.5, 0.5)  # brightness
    mean = ops.mean(x, axis=-1, keepdims=True)
    x = (x - mean) * _uniform((batch, 1, 1, 1), seed, 0.0, 2.0) + mean  # saturation
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * _uniform((batch, 1, 1, 1), seed, 0.5, 1.5) + mean  # contrast


def translation(x, seed, ratio: float = 0.125):
    """Shifts each image by up to ``ratio`` of its size, filling with zeros."""
    batch, height, width = x.shape[0], x.shape[1], x.shape[2]
    batch = tf.shape(x)[0] if batch is None else batch
    pad_h, pad_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    shift_h = tf.cast(tf.floor(_uniform((batch, 1), seed) * (2 * pad_h + 1)), tf.int32)
    shift_w = tf.cast(tf.floor(_uniform((batch, 1), seed) * (2 * pad_w + 1)), tf.int32)
    padded = tf.pad(x, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]])
    rows = tf.range(height)[None, :] + shift_h  # (B, H) into the padded image
    cols = tf.range(width)[None, :] + shift_w
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def cutout(x, seed, ratio: float = 0.5):
    """Zeroes one square of ``ratio`` times the image size at a random place per image."""
    batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
    size_h, size_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    centre_h = tf.floor(_uniform((batch, 1, 1), seed) * (height + 1 - size_h % 2))
    centre_w = tf.floor(_uniform((batch, 1, 1), seed) * (width + 1 - size_w % 2))
    rows = tf.range(height, dtype=tf.float32)[None, :, None]
    cols = tf.range(width, dtype=tf.float32)[None, None, :]
    inside = (tf.abs(rows - centre_h) < size_h / 2) & (tf.abs(cols - centre_w) < size_w / 2)
    return x * tf.cast(~inside, x.dtype)[..., None]


_OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x, policy: tuple[str, ...] | str, seed):
    """Applies the transforms of ``policy`` in order; ``seed`` is a ``keras.random.SeedGenerator``."""
    for name in parse_policy(policy) if isinstance(policy, str) else policy:
        x = _OPS[name](x, seed)
    return x
