"""Reflection padding (exported to TFLite as the builtin MIRROR_PAD)."""

from __future__ import annotations

import keras
from keras import ops

from animegan.layers.serialization import register


def _pairs(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    (top, bottom), (left, right) = padding
    return (int(top), int(bottom)), (int(left), int(right))


@register
class ReflectionPadding2D(keras.layers.Layer):
    """Pads H and W by reflection. ``padding`` is an int or ``((top, bottom), (left, right))``."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding)

    def call(self, x):
        (top, bottom), (left, right) = self.padding
        return ops.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        (top, bottom), (left, right) = self.padding
        height = None if height is None else height + top + bottom
        width = None if width is None else width + left + right
        return batch, height, width, channels

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
