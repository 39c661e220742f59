"""AnimeGAN's colour loss: keep the photo's colours in YUV space, tolerating small chroma shifts."""

from __future__ import annotations

from keras import ops

# tf.image.rgb_to_yuv's matrix (RGB in [0, 1] -> Y in [0, 1], U and V centred on 0), which the official
# ``rgb2yuv`` calls.
RGB_TO_YUV = (
    (0.299, -0.14714119, 0.61497538),
    (0.587, -0.28886916, -0.51496512),
    (0.114, 0.43601035, -0.10001026),
)


def rgb_to_yuv(images):
    """NHWC RGB in [-1, 1] -> YUV, exactly as the official ``rgb2yuv`` (which rescales to [0, 1] first)."""
    rgb = (ops.cast(images, "float32") + 1.0) / 2.0
    return ops.tensordot(rgb, ops.convert_to_tensor(RGB_TO_YUV, "float32"), axes=[[-1], [0]])


def huber(target, prediction, delta: float = 1.0):
    """Mean Huber loss: 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta) (``tf.losses.huber_loss``)."""
    error = ops.abs(ops.cast(prediction, "float32") - ops.cast(target, "float32"))
    quadratic = ops.minimum(error, delta)
    return ops.mean(0.5 * ops.square(quadratic) + delta * (error - quadratic))


def colour_loss(photo, generated):
    """L1 on Y plus Huber on U and on V between the photo and its stylization (both RGB in [-1, 1])."""
    a = rgb_to_yuv(photo)
    b = rgb_to_yuv(generated)
    return (
        ops.mean(ops.abs(a[..., 0] - b[..., 0]))
        + huber(a[..., 1], b[..., 1])
        + huber(a[..., 2], b[..., 2])
    )
