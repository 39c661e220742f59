"""The training temporal term: zero for a stylizer that moves with its input, positive for one that does not."""

import keras
import numpy as np
import pytest
from keras import ops

from animegan.inference.video_clips import texture
from animegan.losses.temporal import motion_transforms, random_motions, temporal_loss


def photos(seed=0):
    """Two smooth random 32x24 pictures in [-1, 1] (photo-like: bilinear resampling barely changes them)."""
    return np.stack([texture(32, 24, seed + i) for i in range(2)]).astype(np.float32) / 127.5 - 1


def shifts(dx, dy, batch=2):
    zeros = np.zeros(batch, np.float32)
    moves = np.tile(np.array([[dx, dy]], np.float32), (batch, 1))
    return motion_transforms(zeros, zeros + 1, moves, 24, 32)


def pointwise(x, training=False):
    """A "stylizer" that treats every pixel alike and alone: it commutes with any motion."""
    return ops.tanh(2 * x)


def placed(x, training=False):
    """One that paints a fixed pattern on the frame: it does not move with the picture."""
    ramp = ops.reshape(ops.linspace(-1.0, 1.0, x.shape[2]), (1, 1, -1, 1))
    return 0.5 * x + ramp


def test_a_whole_pixel_shift_moves_the_picture_and_masks_what_comes_in():
    x = photos()
    moved = np.asarray(ops.image.affine_transform(x, shifts(3, 1), fill_value=0))
    np.testing.assert_allclose(moved[:, 1:, 3:], x[:, :-1, :-3], atol=1e-6)  # content moved right 3, down 1
    assert float(temporal_loss(pointwise, x, transforms=shifts(3, 1))) == pytest.approx(0, abs=1e-6)


def test_a_stylizer_that_moves_with_the_picture_scores_near_zero_and_one_that_does_not_scores_high():
    x = photos(1)
    motions = random_motions(2, 24, 32, seed=3)
    assert float(temporal_loss(pointwise, x, transforms=motions)) < 0.01  # interpolation only (0.003)
    assert float(temporal_loss(placed, x, transforms=motions)) > 0.08  # 0.14
    assert float(temporal_loss(placed, x, transforms=shifts(0, 0))) == pytest.approx(0, abs=1e-6)


def test_random_motions_are_small_and_seeded():
    first, again = (np.asarray(random_motions(16, 24, 32, seed=7)) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    linear = first[:, [0, 1, 3, 4]]
    assert np.abs(linear - [1, 0, 0, 1]).max() < 0.06  # turns of 2 degrees, zooms of 2 %
    assert np.abs(first[:, 6:]).max() == 0


def test_the_term_has_gradients_for_the_generator():
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((24, 32, 3)), keras.layers.Conv2D(3, 3, padding="same")])
    generator.layers[0].bias.assign(np.linspace(-1, 1, 3).astype(np.float32))
    x = photos(2)
    with tf.GradientTape() as tape:
        value = temporal_loss(generator, x, seed=5)
    gradients = tape.gradient(value, generator.trainable_variables)
    assert float(value) > 0 and all(g is not None for g in gradients)
    assert float(tf.reduce_sum(tf.abs(gradients[0]))) > 0
