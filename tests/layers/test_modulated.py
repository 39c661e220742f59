import numpy as np
import pytest
import keras

from animegan.layers.modulated import (
    Bias,
    ConstantInput,
    EqualizedConv2D,
    EqualizedDense,
    ModulatedConv2D,
    NoiseInjection,
    PixelNorm,
    ScaledLeakyReLU,
)


def reference_modulated_conv(x, w, affine_kernel, affine_bias, kernel, demodulate, eps=1e-8):
    """StyleGAN2's definition, written out: a modulated (and demodulated) kernel per sample, zero 'same' padding."""
    batch, height, width, in_channels = x.shape
    k = kernel.shape[0]
    styles = w @ (affine_kernel / np.sqrt(w.shape[1])) + affine_bias  # (B, C_in)
    base = kernel / np.sqrt(in_channels * k * k)  # (k, k, C_in, C_out)
    out = np.zeros((batch, height, width, kernel.shape[3]))
    pad = k // 2
    for b in range(batch):
        weight = base * styles[b][None, None, :, None]
        if demodulate:
            weight = weight / np.sqrt((weight**2).sum(axis=(0, 1, 2), keepdims=True) + eps)
        padded = np.pad(x[b], ((pad, pad), (pad, pad), (0, 0)))
        for i in range(height):
            for j in range(width):
                out[b, i, j] = np.einsum("hwc,hwco->o", padded[i : i + k, j : j + k], weight)
    return out


@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("kernel_size", [1, 3])
def test_modulated_conv_matches_reference(demodulate, kernel_size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 4)).astype("float32")
    w = rng.normal(size=(2, 7)).astype("float32")
    layer = ModulatedConv2D(3, kernel_size, demodulate=demodulate)
    layer([x, w])
    affine_bias = rng.normal(size=(4,)).astype("float32") + 1.0  # exercise the bias too
    layer.affine_bias.assign(affine_bias)
    expected = reference_modulated_conv(
        x.astype("float64"), w.astype("float64"), layer.affine_kernel.numpy(), affine_bias, layer.kernel.numpy(), demodulate
    )
    np.testing.assert_allclose(np.asarray(layer([x, w])), expected, rtol=1e-4, atol=1e-4)


def test_demodulation_keeps_unit_variance():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 24, 24, 64)).astype("float32")
    w = rng.normal(size=(8, 32)).astype("float32")
    layer = ModulatedConv2D(64, 3, demodulate=True)
    layer([x, w])
    layer.affine_kernel.assign(rng.normal(size=(32, 64)) * 3.0)  # styles far from 1
    y = np.asarray(layer([x, w]))[:, 1:-1, 1:-1]  # away from the zero padding
    assert abs(y.var() - 1.0) < 0.05
    per_channel = y.reshape(-1, 64).var(axis=0)
    assert np.all(np.abs(per_channel - 1.0) < 0.2)
    # without demodulation the variance follows the styles instead
    plain = ModulatedConv2D(64, 3, demodulate=False)
    plain([x, w])
    plain.set_weights(layer.get_weights())
    assert abs(np.asarray(plain([x, w]))[:, 1:-1, 1:-1].var() - 1.0) > 0.5


def test_equalized_dense_lr_multiplier():
    x = np.random.default_rng(2).normal(size=(16, 8)).astype("float32")
    fast, slow = EqualizedDense(4, lr_multiplier=1.0), EqualizedDense(4, lr_multiplier=0.01)
    fast(x), slow(x)
    # stored weights ~ N(0, 1/lr_multiplier); the effective ones start alike: N(0, 1/fan_in)
    assert np.std(slow.kernel.numpy()) > 20 * np.std(fast.kernel.numpy())
    slow.kernel.assign(fast.kernel.numpy() / 0.01)
    np.testing.assert_allclose(slow.effective_kernel().numpy(), fast.effective_kernel().numpy(), rtol=1e-5)
    np.testing.assert_allclose(slow(x), fast(x), rtol=1e-4, atol=1e-5)
    deltas = []
    for layer in (fast, slow):
        before = layer.effective_kernel().numpy()
        optimizer = keras.optimizers.Adam(0.1)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(layer(x) - 1.0))
        optimizer.apply_gradients(zip(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights))
        deltas.append(np.abs(layer.effective_kernel().numpy() - before).mean())
    # Adam's first step moves each stored weight by ~lr; the effective step scales with lr_multiplier
    np.testing.assert_allclose(deltas[1] / deltas[0], 0.01, rtol=0.05)


def test_equalized_dense_bias_init_and_activation():
    layer = EqualizedDense(3, lr_multiplier=0.01, bias_init=1.0, activation="linear")
    y = layer(np.zeros((2, 5), "float32"))
    np.testing.assert_allclose(y, np.ones((2, 3)), rtol=1e-6)
    act = ScaledLeakyReLU()(np.array([[-1.0, 2.0]], "float32"))
    np.testing.assert_allclose(act, [[-0.2 * np.sqrt(2), 2 * np.sqrt(2)]], rtol=1e-6)


def test_equalized_conv_unit_gain():
    x = np.random.default_rng(3).normal(size=(4, 16, 16, 32)).astype("float32")
    y = np.asarray(EqualizedConv2D(32, 3)(x))[:, 1:-1, 1:-1]
    assert abs(y.var() - 1.0) < 0.15


def test_pixel_norm_unit_rms():
    x = np.random.default_rng(4).normal(size=(5, 10)).astype("float32") * 7
    y = np.asarray(PixelNorm()(x))
    np.testing.assert_allclose(np.sqrt((y**2).mean(axis=-1)), 1.0, rtol=1e-5)


def test_noise_injection_learned_strength_and_modes():
    x = np.zeros((2, 4, 4, 3), "float32")
    layer = NoiseInjection(seed=5)
    np.testing.assert_array_equal(layer(x, training=True), x)  # strength starts at 0
    layer.strength.assign(2.0)
    a, b = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    assert not np.allclose(a, b)  # fresh noise while training
    assert np.allclose(a[..., 0], a[..., 1])  # one noise image per sample, shared by the channels
    c, d = np.asarray(layer(x)), np.asarray(layer(x))
    np.testing.assert_array_equal(c, d)  # fixed noise at inference
    np.testing.assert_allclose(c[0], 2.0 * layer.const_noise.numpy()[0].repeat(3, -1), rtol=1e-6)


def test_constant_input_repeats_for_batch():
    layer = ConstantInput(6, 4)
    y = np.asarray(layer(np.zeros((3, 2, 8), "float32")))
    assert y.shape == (3, 4, 4, 6)
    np.testing.assert_array_equal(y[0], y[2])


@pytest.mark.parametrize(
    "layer",
    [
        PixelNorm(epsilon=1e-6),
        ScaledLeakyReLU(),
        EqualizedDense(5, lr_multiplier=0.01, bias_init=1.0, use_bias=True, activation="lrelu"),
        EqualizedConv2D(4, 1, lr_multiplier=0.5, use_bias=False, activation="lrelu"),
        ModulatedConv2D(4, 1, demodulate=False, epsilon=1e-6),
        NoiseInjection(seed=3, use_bias=False),
        ConstantInput(7, 4),
        Bias(),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_get_config_round_trips(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == config
