"""The one normalization factory every model uses.

``instance`` and ``layer`` are both Keras ``GroupNormalization``: one group per channel is instance norm
(statistics over H and W per channel), a single group is TF1 ``layer_norm`` over H, W and C as AnimeGANv2
uses it (and PyTorch ``GroupNorm(1, C)``).

Tiled inference needs those two to normalize with statistics it hands them (the whole image's) instead
of the tile's own: ``needs_statistics`` tells which layers, ``weighted_moments`` measures a picture's
statistics with a per-pixel weight (a tile counts only the pixels it owns), and ``normalize_with``
is the layer's own arithmetic with given statistics. Batch norm already uses fixed (moving) statistics.
"""

from __future__ import annotations

import keras
from keras import ops

from animegan.choices import NORMS
from animegan.errors import AnimeGANError


# TF1 instance_norm in the official ops and PyTorch GroupNorm both use 1e-5; Keras defaults to 1e-3.
DEFAULT_EPSILON = 1e-5


def check_norm(kind: str) -> str:
    if kind not in NORMS:
        raise AnimeGANError(f"unknown normalization {kind!r}; choose one of {', '.join(NORMS)}")
    return kind


def make_norm(kind: str, name: str | None = None, epsilon: float = DEFAULT_EPSILON) -> keras.layers.Layer:
    """Returns a fresh normalization layer of ``kind`` (one of ``NORMS``)."""
    check_norm(kind)
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=epsilon, name=name)
    if kind == "layer":
        return keras.layers.GroupNormalization(groups=1, epsilon=epsilon, name=name)
    if kind == "batch":
        return keras.layers.BatchNormalization(epsilon=epsilon, momentum=0.9, name=name)
    return keras.layers.Identity(name=name)


def needs_statistics(layer) -> bool:
    """True for a layer that normalizes with statistics of its input picture (instance and layer norm)."""
    return isinstance(layer, keras.layers.GroupNormalization) and layer.axis in (-1, 3)


def has_statistics_norms(model) -> bool:
    """True when ``model`` or any layer inside it is an instance or layer norm (``needs_statistics``)."""
    return any(needs_statistics(layer) for layer in model._flatten_layers(include_self=True))


def _grouped(x, groups: int):
    shape = ops.shape(x)
    channels = x.shape[-1]
    return ops.reshape(x, (-1, shape[1], shape[2], groups, channels // groups))


def weighted_moments(x, weights, groups: int):
    """Mean and variance, each (N, groups), of NHWC ``x`` with pixels weighted by ``weights`` (N, H, W, 1).

    Float32 whatever the input dtype (as GroupNormalization computes); all-zero weights give zeros.
    """
    grouped = ops.cast(_grouped(x, groups), "float32")
    w = ops.cast(_grouped(weights, 1), "float32")  # (N, H, W, 1, 1)
    count = ops.sum(w, axis=(1, 2, 3, 4)) * (x.shape[-1] // groups)
    count = ops.reshape(ops.maximum(count, 1e-12), (-1, 1))
    mean = ops.sum(grouped * w, axis=(1, 2, 4)) / count
    variance = ops.sum(ops.square(grouped - _broadcastable(mean, groups)) * w, axis=(1, 2, 4)) / count
    return mean, variance


def _broadcastable(values, groups: int):
    # A reshape, not values[:, None, None, :, None]: a 5-D strided slice is beyond the TFLite GPU delegate.
    return ops.reshape(values, (-1, 1, 1, groups, 1))


def normalize_with(layer, x, mean, variance):
    """What GroupNormalization ``layer`` computes, with given ``mean`` and ``variance`` (N, groups)."""
    groups, channels = layer.groups, x.shape[-1]
    grouped = ops.cast(_grouped(x, groups), "float32")
    inv = _broadcastable(ops.rsqrt(variance + layer.epsilon), groups)
    shape = (1, 1, 1, groups, channels // groups)
    if layer.scale:
        inv = inv * ops.reshape(ops.cast(layer.gamma, "float32"), shape)
    offset = -_broadcastable(mean, groups) * inv
    if layer.center:
        offset = offset + ops.reshape(ops.cast(layer.beta, "float32"), shape)
    out = ops.reshape(grouped * inv + offset, ops.shape(x))
    return ops.cast(out, layer.compute_dtype)
