"""StyleGAN2 building blocks: pixel norm, equalized-lr dense/conv, modulated conv, noise, learned constant.

Equalized learning rate (Karras et al.): weights are stored as N(0, 1/lr_multiplier) and scaled at run
time by ``lr_multiplier / sqrt(fan_in)``, so every layer learns at the same speed under Adam and a
layer's effective learning rate is the optimizer's times ``lr_multiplier`` (0.01 in the mapping network).

The modulated convolution is the "non-fused" StyleGAN2 form: scale the input channels by the style,
run one ordinary convolution with the shared kernel, then scale the output channels by the
demodulation coefficients. It equals the per-sample modulated-kernel convolution, needs no grouped
convolution (which TensorFlow lacks on CPU) and exports to TFLite as plain ops.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from animegan.layers.serialization import register

ACTIVATIONS = ("linear", "lrelu")
LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)  # keeps unit variance through a leaky ReLU, as in StyleGAN's bias_act


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def apply_activation(x, activation: str):
    if activation == "lrelu":
        return ops.leaky_relu(x, negative_slope=LRELU_SLOPE) * LRELU_GAIN
    return x


@register
class PixelNorm(keras.layers.Layer):
    """Scales each feature vector to unit root mean square over the last axis."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@register
class ScaledLeakyReLU(keras.layers.Layer):
    """Leaky ReLU (slope 0.2) times sqrt(2)."""

    def call(self, x):
        return apply_activation(x, "lrelu")

    def compute_output_shape(self, input_shape):
        return input_shape


@register
class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate; ``bias_init`` is the effective initial bias."""

    def __init__(
        self,
        units: int,
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
        use_bias: bool = True,
        activation: str = "linear",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = int(units)
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = float(bias_init)
        self.use_bias = bool(use_bias)
        self.activation = _check_activation(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
            )

    def effective_kernel(self):
        return self.kernel * self.weight_gain

    def call(self, x):
        y = ops.matmul(x, ops.cast(self.effective_kernel(), x.dtype))
        if self.use_bias:
            y = y + ops.cast(self.bias * self.lr_multiplier, x.dtype)
        return apply_activation(y, self.activation)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "lr_multiplier": self.lr_multiplier,
            "bias_init": self.bias_init,
            "use_bias": self.use_bias,
            "activation": self.activation,
        }


@register
class EqualizedConv2D(keras.layers.Layer):
    """Stride-1 'same' convolution with equalized learning rate (the StyleGAN discriminator's conv)."""

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        lr_multiplier: float = 1.0,
        use_bias: bool = True,
        activation: str = "linear",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.activation = _check_activation(activation)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.weight_gain = self.lr_multiplier / math.sqrt(in_channels * self.kernel_size**2)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x):
        y = ops.conv(x, ops.cast(self.kernel * self.weight_gain, x.dtype), padding="same")
        if self.use_bias:
            y = y + ops.cast(self.bias * self.lr_multiplier, x.dtype)
        return apply_activation(y, self.activation)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "activation": self.activation,
        }


@register
class ModulatedConv2D(keras.layers.Layer):
    """StyleGAN2 modulated convolution: ``call([x, w])`` with x (B, H, W, C_in) and w (B, w_dim).

    A built-in equalized affine maps w to one scale per input channel (initial bias 1, so a fresh
    layer starts as a plain convolution). With ``demodulate`` each output channel of the per-sample
    kernel is rescaled to unit L2 norm, so unit-variance inputs give unit-variance outputs. The
    output has no bias: add it after the noise (``NoiseInjection``).
    """

    def __init__(self, filters: int, kernel_size: int = 3, demodulate: bool = True, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.demodulate = bool(demodulate)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        in_channels, w_dim = int(x_shape[-1]), int(w_shape[-1])
        self.affine_gain = 1.0 / math.sqrt(w_dim)
        self.weight_gain = 1.0 / math.sqrt(in_channels * self.kernel_size**2)
        self.affine_kernel = self.add_weight(
            name="affine_kernel", shape=(w_dim, in_channels), initializer=keras.initializers.RandomNormal(0.0, 1.0)
        )
        self.affine_bias = self.add_weight(name="affine_bias", shape=(in_channels,), initializer="ones")
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )

    def styles(self, w):
        """The per-sample, per-input-channel scales (B, C_in)."""
        affine = ops.cast(self.affine_kernel * self.affine_gain, w.dtype)
        return ops.matmul(w, affine) + ops.cast(self.affine_bias, w.dtype)

    def call(self, inputs):
        x, w = inputs
        styles = ops.cast(self.styles(ops.cast(w, "float32")), x.dtype)
        weight = ops.cast(self.kernel * self.weight_gain, x.dtype)
        y = ops.conv(x * styles[:, None, None, :], weight, padding="same")
        if self.demodulate:
            # sum over taps and inputs of (weight * style)^2, without building the per-sample kernels.
            squared = ops.matmul(ops.square(styles), ops.sum(ops.square(weight), axis=(0, 1)))
            y = y * ops.rsqrt(squared + self.epsilon)[:, None, None, :]
        return y

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (*x_shape[:-1], self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "demodulate": self.demodulate,
            "epsilon": self.epsilon,
        }


@register
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise times a learned strength (initially 0), then a learned bias.

    Training draws fresh noise per call; inference uses one fixed noise image made at build from
    ``seed``, so a latent always gives the same picture (StyleGAN's ``noise_mode='const'``) and the
    exported graph has no random op. Needs static H and W.
    """

    def __init__(self, seed: int | None = None, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.use_bias = bool(use_bias)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if height is None or width is None:
            raise ValueError("NoiseInjection needs static height and width")
        self.strength = self.add_weight(name="strength", shape=(), initializer="zeros")
        self.const_noise = self.add_weight(
            name="const_noise",
            shape=(1, int(height), int(width), 1),
            initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=self.seed),
            trainable=False,
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(int(channels),), initializer="zeros")

    def call(self, x, training=None):
        if training:
            shape = ops.shape(x)
            noise = keras.random.normal((shape[0], shape[1], shape[2], 1), seed=self.seed_generator, dtype=x.dtype)
        else:
            noise = ops.cast(self.const_noise, x.dtype)
        y = x + noise * ops.cast(self.strength, x.dtype)
        if self.use_bias:
            y = y + ops.cast(self.bias, x.dtype)
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "use_bias": self.use_bias}


@register
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned constant (size x size x channels), repeated for the batch of ``call(w)``."""

    def __init__(self, channels: int, size: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.size = int(size)

    def build(self, input_shape):
        self.const = self.add_weight(
            name="const",
            shape=(1, self.size, self.size, self.channels),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )

    def call(self, w):
        return ops.tile(ops.cast(self.const, w.dtype), (ops.shape(w)[0], 1, 1, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@register
class Bias(keras.layers.Layer):
    """Adds a learned per-channel bias (after a ``ModulatedConv2D``, which has none)."""

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(int(input_shape[-1]),), initializer="zeros")

    def call(self, x):
        return x + ops.cast(self.bias, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
