"""Per-image reconstruction losses for images in [-1, 1], summed over pixels and channels (a log-likelihood scale)."""

from __future__ import annotations

from keras import ops

from animegan.choices import RECONSTRUCTION_LOSSES
_EPSILON = 1e-6


def reconstruction_error(target, prediction, kind: str = "mse"):
    """Shape (B,). ``bce`` treats (x + 1) / 2 as Bernoulli probabilities."""
    target = ops.cast(target, "float32")
    prediction = ops.cast(prediction, "float32")
    if kind == "l1":
        per_pixel = ops.abs(target - prediction)
    elif kind == "mse":
        per_pixel = ops.square(target - prediction)
    elif kind == "bce":
        t = (target + 1.0) / 2.0
        p = ops.clip((prediction + 1.0) / 2.0, _EPSILON, 1.0 - _EPSILON)
        per_pixel = -(t * ops.log(p) + (1.0 - t) * ops.log(1.0 - p))
    else:
        raise ValueError(f"reconstruction loss must be one of {RECONSTRUCTION_LOSSES}, got {kind!r}")
    return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=-1)
