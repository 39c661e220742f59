"""Functional building blocks of the AnimeGAN generators.

Each helper applies freshly made layers to a Keras tensor and names them after the official TF1
variable scopes ('/' becomes '.', and the norm scope is called ``Norm`` whatever its kind), so the
weight importers map checkpoint variables to layers by name.
"""

from __future__ import annotations

import keras

from animegan.layers.norms import make_norm
from animegan.layers.padding import ReflectionPadding2D


def _official_padding(kernel_size: int, strides: int):
    """The official reflect padding: k//2 on all sides at stride 1, bottom/right by one at stride 2."""
    if strides == 2:
        return ((0, 1), (0, 1))
    return kernel_size // 2


def lrelu(x, name: str | None = None):
    return keras.layers.LeakyReLU(negative_slope=0.2, name=name)(x)


def conv(x, filters: int, name: str, kernel_size: int = 3, strides: int = 1, use_bias: bool = False):
    """Reflect-padded VALID convolution (no bias, as in the official generators)."""
    padding = _official_padding(kernel_size, strides)
    if padding:
        x = ReflectionPadding2D(padding, name=f"{name}.pad")(x)
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias, name=name
    )(x)


def conv_norm_lrelu(x, filters: int, name: str, norm_name: str, norm: str, kernel_size: int = 3, strides: int = 1):
    x = conv(x, filters, name, kernel_size=kernel_size, strides=strides)
    x = make_norm(norm, name=norm_name)(x)
    return lrelu(x)


def separable_conv_norm_lrelu(x, filters: int, name: str, norm: str, strides: int = 1):
    """Depthwise 3x3 then pointwise 1x1 (one ``SeparableConv2D``), norm and LeakyReLU (AnimeGAN v1)."""
    x = ReflectionPadding2D(_official_padding(3, strides), name=f"{name}.pad")(x)
    x = keras.layers.SeparableConv2D(
        filters, 3, strides=strides, padding="valid", depth_multiplier=1, use_bias=False, name=name
    )(x)
    x = make_norm(norm, name=f"{name}.Norm")(x)
    return lrelu(x)


def inverted_residual(x, filters: int, name: str, norm: str, expansion: int = 2, depthwise_bias: bool = False):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, linear 1x1 project; residual when shapes match."""
    in_channels = x.shape[-1]
    h = conv_norm_lrelu(x, round(expansion * in_channels), f"{name}.Conv", f"{name}.Norm", norm, kernel_size=1)
    h = ReflectionPadding2D(1, name=f"{name}.dw.pad")(h)
    h = keras.layers.DepthwiseConv2D(3, padding="valid", use_bias=depthwise_bias, name=f"{name}.{name.split('.')[-1]}")(h)
    h = make_norm(norm, name=f"{name}.1")(h)
    h = lrelu(h)
    h = conv(h, filters, f"{name}.Conv_1", kernel_size=1)
    h = make_norm(norm, name=f"{name}.2")(h)
    if in_channels == filters:
        h = keras.layers.Add(name=f"{name}.add")([x, h])
    return h
