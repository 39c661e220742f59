import numpy as np
import pytest
import keras

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


def test_inference_reconstruction_uses_the_mean_and_reloads(tmp_path):
    vae = ConvVAE(TINY, seed=1)
    images = np.random.default_rng(3).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(vae(images), vae(images))
    np.testing.assert_allclose(vae(images), vae.decode(vae.encode(images)[0]), rtol=1e-6)
    vae.save(tmp_path / "vae.keras")
    restored = keras.saving.load_model(tmp_path / "vae.keras")
    assert isinstance(restored, ConvVAE) and restored.config == TINY
    np.testing.assert_allclose(restored(images), vae(images), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_decoder_exports_to_tflite_with_parity(tmp_path):
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    decoder = ConvVAE(TINY).decoder
    decoder.export(str(tmp_path / "decoder"), format="tf_saved_model", verbose=False)
    interpreter = Interpreter(
        model_content=tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "decoder")).convert()
    )
    interpreter.allocate_tensors()
    z = np.random.default_rng(0).normal(size=(1, 6)).astype("float32")
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], z)
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), decoder(z), atol=1e-5)
