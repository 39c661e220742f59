"""Bilinear x2 up- and /2 down-sampling that stays one builtin RESIZE_BILINEAR op with dynamic H and W.

Keras' ``UpSampling2D(interpolation="bilinear")`` and ``keras.ops.image.resize`` need static sizes when
traced for LiteRT export; this layer computes the size from ``tf.shape`` instead and declares its
output shape, so it traces and exports at any size.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from animegan.choices import UPSAMPLE_MODES
from animegan.errors import AnimeGANError
from animegan.layers.serialization import register



def check_upsample_mode(mode: str) -> str:
    if mode not in UPSAMPLE_MODES:
        raise AnimeGANError(f"unknown upsample mode {mode!r}; choose one of {', '.join(UPSAMPLE_MODES)}")
    return mode


@register
class BilinearResize(keras.layers.Layer):
    """Resizes by ``scale`` (2 or 0.5, floor for odd sizes) or to the H and W of ``size_like``."""

    def __init__(self, scale: float = 2.0, mode: str = "half_pixel", **kwargs):
        super().__init__(**kwargs)
        if scale not in (2.0, 0.5):
            raise ValueError(f"scale must be 2 or 0.5, got {scale}")
        self.scale = float(scale)
        self.mode = check_upsample_mode(mode)

    def _target(self, hw):
        return hw * 2 if self.scale == 2.0 else hw // 2

    def call(self, x, size_like=None):
        size = tf.shape(size_like)[1:3] if size_like is not None else self._target(tf.shape(x)[1:3])
        y = tf.raw_ops.ResizeBilinear(
            images=x,
            size=size,
            align_corners=self.mode == "align_corners",
            half_pixel_centers=self.mode == "half_pixel",
        )
        return tf.cast(y, x.dtype)

    def compute_output_shape(self, x_shape, size_like_shape=None):
        if size_like_shape is not None:
            return (x_shape[0], size_like_shape[1], size_like_shape[2], x_shape[3])
        height, width = (None if d is None else int(self._target(d)) for d in x_shape[1:3])
        return (x_shape[0], height, width, x_shape[3])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode}
