import numpy as np
import pytest
import keras
import tensorflow as tf

from animegan.errors import AnimeGANError
from animegan.training.diffaugment import diff_augment, parse_policy


def test_policy_parsing():
    assert parse_policy(" color, cutout ") == ("color", "cutout")
    assert parse_policy("") == () and parse_policy(None) == ()
    with pytest.raises(AnimeGANError, match="blur"):
        parse_policy("color,blur")


def test_empty_policy_is_the_identity():
    images = tf.random.uniform((2, 8, 8, 3), -1, 1)
    np.testing.assert_array_equal(diff_augment(images, "", keras.random.SeedGenerator(0)), images)


def test_all_policies_are_differentiable():
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = diff_augment(images, "color,translation,cutout", keras.random.SeedGenerator(0))
        total = tf.reduce_sum(out)
    assert out.shape == images.shape
    assert float(tf.reduce_sum(tf.abs(tape.gradient(total, images)))) > 0


def test_translation_shifts_each_image_by_at_most_an_eighth_with_zero_fill():
    values = np.arange(1, 16 * 16 + 1, dtype=np.float32).reshape(1, 16, 16, 1)
    images = np.repeat(values, 16, axis=0)
    moved = diff_augment(tf.constant(images), "translation", keras.random.SeedGenerator(1)).numpy()
    shifts = set()
    for out in moved[..., 0]:
        padded = np.pad(values[0, ..., 0], 2)
        match = [(dy, dx) for dy in range(5) for dx in range(5) if np.array_equal(out, padded[dy : dy + 16, dx : dx + 16])]
        assert len(match) == 1  # a pure shift of at most 2 px (16 * 0.125), zeros where the image left
        shifts.add(match[0])
    assert len(shifts) > 3  # shifts differ per image


def test_cutout_zeroes_one_square_per_image():
    cut = diff_augment(tf.ones((16, 16, 16, 3)), "cutout", keras.random.SeedGenerator(2)).numpy()[..., 0]
    for image in cut:
        rows, cols = np.nonzero(image == 0)
        assert 0 < len(rows) <= 64  # an 8x8 square (half the size), clipped at the border
        assert len(rows) == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # a filled rectangle


def test_colour_moves_a_grey_image_by_one_brightness_offset():
    grey = tf.zeros((32, 4, 4, 3))
    out = diff_augment(grey, "color", keras.random.SeedGenerator(3)).numpy()
    offsets = out.reshape(32, -1)
    np.testing.assert_allclose(offsets, offsets[:, :1].repeat(48, axis=1), atol=1e-6)  # uniform per image
    assert np.all(np.abs(offsets[:, 0]) <= 0.5) and np.std(offsets[:, 0]) > 0.1
