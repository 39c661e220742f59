"""The one normalization factory every model uses.

``instance`` and ``layer`` are both Keras ``GroupNormalization``: one group per channel is instance norm
(statistics over H and W per channel), a single group is TF1 ``layer_norm`` over H, W and C as AnimeGANv2
uses it (and PyTorch ``GroupNorm(1, C)``).
"""

from __future__ import annotations

import keras

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
