import numpy as np
import keras
import tensorflow as tf

from animegan.losses.r1 import r1_penalty


def test_linear_discriminator_penalty_is_its_squared_weight_norm():
    """D(x) = sum(a * x): dD/dx = a for every image, so R1 = ||a||^2."""
    a = np.random.default_rng(0).normal(size=(1, 4, 4, 3)).astype("float32")
    images = np.random.default_rng(1).normal(size=(5, 4, 4, 3)).astype("float32")
    penalty, logits = r1_penalty(lambda x, training: tf.reduce_sum(x * a, axis=[1, 2, 3])[:, None], images)
    np.testing.assert_allclose(float(penalty), float((a.astype("float64") ** 2).sum()), rtol=1e-5)
    np.testing.assert_allclose(logits[:, 0], (images * a).sum((1, 2, 3)), rtol=1e-5)


def test_quadratic_discriminator_penalty_is_the_batch_mean():
    """D(x) = sum(x^2): dD/dx = 2x, so R1 = mean over images of 4 * sum(x^2)."""
    images = np.random.default_rng(2).normal(size=(3, 2, 2, 3)).astype("float32")
    penalty, _ = r1_penalty(lambda x, training: tf.reduce_sum(x**2, axis=[1, 2, 3])[:, None], images)
    np.testing.assert_allclose(float(penalty), (4 * images.astype("float64") ** 2).sum((1, 2, 3)).mean(), rtol=1e-5)


def test_penalty_gradient_reaches_the_discriminator_weights():
    layers = [keras.layers.Conv2D(2, 3, activation="tanh"), keras.layers.Flatten(), keras.layers.Dense(1)]
    discriminator = keras.Sequential([keras.Input((4, 4, 3)), *layers])
    images = np.random.default_rng(3).normal(size=(2, 4, 4, 3)).astype("float32")
    with tf.GradientTape() as tape:
        penalty, _ = r1_penalty(discriminator, images)
    kernels = [layers[0].kernel, layers[2].kernel]  # the output bias does not change dD/dx
    gradients = tape.gradient(penalty, kernels)
    assert float(penalty) > 0
    assert all(np.isfinite(g.numpy()).all() and float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)
