"""Total variation: a smoothness prior that AnimeGANv2 adds against high-frequency artefacts."""

from __future__ import annotations

from keras import ops


def total_variation_loss(images):
    """The official ``total_variation_loss``: l2_loss(dh) / size(dh) + l2_loss(dw) / size(dw).

    ``tf.nn.l2_loss`` is sum(x^2) / 2, so this is 0.5 * (mean(dh^2) + mean(dw^2)) with dh, dw the
    differences between vertically and horizontally adjacent pixels (NHWC).
    """
    x = ops.cast(images, "float32")
    dh = x[:, :-1, :, :] - x[:, 1:, :, :]
    dw = x[:, :, :-1, :] - x[:, :, 1:, :]
    return 0.5 * ops.mean(ops.square(dh)) + 0.5 * ops.mean(ops.square(dw))
