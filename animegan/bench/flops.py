"""FLOPs of one image through a generator, counted from its convolution layers' shapes.

Shapes come from calling the functional graph on a symbolic input of the given size, so nothing is
computed. Counted: 2 FLOPs per multiply-add of Conv2D, DepthwiseConv2D, SeparableConv2D (both parts)
and Conv2DTranspose; norms, activations, pads and resizes add a few percent and are left out.
"""

from __future__ import annotations

import math


def _macs(layer, in_shape, out_shape) -> int:
    import keras

    kh, kw = layer.kernel_size
    cin = in_shape[-1]
    out_pixels = out_shape[1] * out_shape[2]
    if isinstance(layer, keras.layers.SeparableConv2D):
        depth = cin * layer.depth_multiplier
        return out_pixels * depth * kh * kw + out_pixels * depth * layer.filters
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return out_pixels * cin * layer.depth_multiplier * kh * kw
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return in_shape[1] * in_shape[2] * cin * kh * kw * layer.filters
    return out_pixels * cin * kh * kw * layer.filters // getattr(layer, "groups", 1)


def conv_kinds() -> tuple[type, ...]:
    import keras

    return (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D, keras.layers.Conv2DTranspose)


def generator_gflops(model, height: int, width: int) -> float:
    """GFLOPs (2 x multiply-adds of the convolutions) for one ``height x width`` image."""
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, conv_kinds())]
    probe = keras.Model(model.inputs, [t for layer in layers for t in (layer.input, layer.output)])
    shapes = [t.shape for t in probe(keras.Input(batch_shape=(1, height, width, 3)))]
    total = sum(_macs(layer, shapes[2 * i], shapes[2 * i + 1]) for i, layer in enumerate(layers))
    return 2.0 * total / 1e9 if not math.isnan(total) else float("nan")
