import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.models.vae import ConvVAE, ReparameterizedSampling, VAEConfig

TINY = VAEConfig(image_size=16, latent_dim=6, base_width=8, max_width=16)


def test_shapes_and_latent_size_option():
    vae = ConvVAE(TINY)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    mean, log_var = vae.encode(images)
    assert mean.shape == (2, 6) and log_var.shape == (2, 6)
    out = np.asarray(vae(images))
    assert out.shape == (2, 16, 16, 3) and out.min() >= -1 and out.max() <= 1
    assert vae.decode(np.zeros((5, 6), "float32")).shape == (5, 16, 16, 3)
    assert ConvVAE(VAEConfig(image_size=32, latent_dim=3, base_width=4, norm="layer")).encode(
        np.zeros((1, 32, 32, 3), "float32")
    )[0].shape == (1, 3)


@pytest.mark.parametrize("kwargs", [{"image_size": 24}, {"latent_dim": 0}, {"norm": "weird"}])
def test_bad_config_is_a_user_error(kwargs):
    with pytest.raises(AnimeGANError):
        VAEConfig(**kwargs)


def test_sampling_layer_statistics_and_gradients():
    import tensorflow as tf

    mean = tf.constant(np.tile([[2.0, -1.0, 0.0]], (20_000, 1)), tf.float32)
    log_var = tf.constant(np.tile([[0.0, np.log(4.0), np.log(0.01)]], (20_000, 1)), tf.float32)
    layer = ReparameterizedSampling(seed=3)
    with tf.GradientTape() as tape:
        tape.watch([mean, log_var])
        z = layer([mean, log_var])
        total = tf.reduce_sum(z)
    z = z.numpy()
    np.testing.assert_allclose(z.mean(0), [2.0, -1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [1.0, 2.0, 0.1], rtol=0.03)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.03
    grad_mean, grad_log_var = tape.gradient(total, [mean, log_var])
    np.testing.assert_allclose(grad_mean.numpy(), 1.0)  # the reparameterisation passes gradients to both
    assert np.abs(grad_log_var.numpy()).sum() > 0
    again = ReparameterizedSampling(seed=3)([mean[:4], log_var[:4]])
    np.testing.assert_array_equal(again, ReparameterizedSampling(seed=3)([mean[:4], log_var[:4]]))


def test_inference_reconstruction_uses_the_mean(harness):
    vae = harness.model("vae/none")  # the harness reloads it in a fresh process with the same outputs
    size = vae.config.image_size
    images = np.random.default_rng(3).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    np.testing.assert_array_equal(vae(images), vae(images))
    np.testing.assert_allclose(vae(images), vae.decode(vae.encode(images)[0]), rtol=1e-6)
