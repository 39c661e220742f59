"""The KL divergence of a diagonal Gaussian posterior from the standard normal prior (closed form)."""

from __future__ import annotations

from keras import ops


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per sample, summed over the latent axis: shape (B,)."""
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return 0.5 * ops.sum(ops.square(mean) + ops.exp(log_var) - 1.0 - log_var, axis=-1)
