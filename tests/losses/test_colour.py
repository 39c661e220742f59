"""The YUV colour loss against numpy (and tf.image.rgb_to_yuv, which the official code calls)."""

import numpy as np
import pytest
import tensorflow as tf

from animegan.losses import colour_loss, huber, rgb_to_yuv

RNG = np.random.default_rng(1)
PHOTO = RNG.uniform(-1, 1, (2, 5, 6, 3)).astype(np.float32)
FAKE = RNG.uniform(-1, 1, (2, 5, 6, 3)).astype(np.float32)


def np_yuv(x):
    rgb = (x.astype(np.float64) + 1) / 2
    m = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512], [0.114, 0.43601035, -0.10001026]])
    return rgb @ m


def np_huber(a, b, delta=1.0):
    e = np.abs(b - a)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)))


def test_rgb_to_yuv_matches_tensorflow():
    expected = tf.image.rgb_to_yuv((PHOTO + 1) / 2).numpy()
    np.testing.assert_allclose(np.asarray(rgb_to_yuv(PHOTO)), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(rgb_to_yuv(PHOTO)), np_yuv(PHOTO), atol=1e-6)


def test_huber_both_branches():
    a = np.array([0.0, 0.0, 0.0, 0.0], np.float32)
    b = np.array([0.5, -0.5, 3.0, -2.0], np.float32)  # two quadratic, two linear
    assert float(huber(a, b)) == pytest.approx(np.mean([0.125, 0.125, 2.5, 1.5]))
    assert float(huber(a, b)) == pytest.approx(float(tf.keras.losses.Huber()(a, b)), rel=1e-6)


def test_colour_loss_is_l1_on_y_plus_huber_on_u_and_v():
    y1, y2 = np_yuv(PHOTO), np_yuv(FAKE)
    expected = (
        np.mean(np.abs(y1[..., 0] - y2[..., 0])) + np_huber(y1[..., 1], y2[..., 1]) + np_huber(y1[..., 2], y2[..., 2])
    )
    assert float(colour_loss(PHOTO, FAKE)) == pytest.approx(expected, rel=1e-5)
    assert float(colour_loss(PHOTO, PHOTO)) == 0.0
