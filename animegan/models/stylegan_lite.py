"""StyleGAN-lite: a small StyleGAN2 (mapping network, modulated synthesis, skip toRGB) for 16-256 px.

Every size and width comes from one frozen ``StyleGANLiteConfig``. The generator is a functional
z-in, image-out model made of the mapping network (z -> w), the truncation layer (which holds the
running mean of w that truncation pulls toward) and the synthesis network (one w per layer -> image).

Layer layout follows StyleGAN2: ``num_ws = 2 * log2(resolution) - 2`` latents; the 4x4 block uses w[0]
for its conv and w[1] for its toRGB, every later block uses w[i], w[i+1] for its two convs and w[i+2]
for its toRGB (which the next block's first conv shares).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
from keras import ops

from animegan.errors import AnimeGANError
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
from animegan.layers.serialization import register
from animegan.models.configured import ConfiguredModel, DictConfig


@dataclass(frozen=True)
class StyleGANLiteConfig(DictConfig):
    """Sizes and widths of StyleGAN-lite.

    Feature maps at resolution r have ``clip(channel_base // r, channel_min, channel_max)`` channels.
    """

    resolution: int = 64
    z_dim: int = 256
    w_dim: int = 256
    mapping_layers: int = 4
    mapping_lr_multiplier: float = 0.01
    channel_base: int = 8192
    channel_max: int = 256
    channel_min: int = 8
    seed: int = 0  # for the inference-time noise images

    def __post_init__(self):
        if self.resolution < 8 or self.resolution & (self.resolution - 1):
            raise AnimeGANError(f"resolution must be a power of two >= 8, got {self.resolution}")
        if not 1 <= self.mapping_layers <= 8:
            raise AnimeGANError(f"mapping_layers must be 1 to 8, got {self.mapping_layers}")
        if min(self.z_dim, self.w_dim, self.channel_base, self.channel_max, self.channel_min) <= 0:
            raise AnimeGANError("z_dim, w_dim and channel sizes must be positive")

    @property
    def resolutions(self) -> tuple[int, ...]:
        return tuple(2**i for i in range(2, int(math.log2(self.resolution)) + 1))

    @property
    def num_ws(self) -> int:
        return 2 * int(math.log2(self.resolution)) - 2

    def channels(self, resolution: int) -> int:
        return max(self.channel_min, min(self.channel_base // resolution, self.channel_max))


@register
class SelectLatent(keras.layers.Layer):
    """ws (B, num_ws, w_dim) -> ws[:, index]."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, ws):
        return ws[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@register
class Truncation(keras.layers.Layer):
    """Repeats w for every synthesis layer and pulls it toward the running mean: w_avg + psi (w - w_avg).

    ``psi`` is fixed per layer instance (1 = no truncation); ``cutoff`` truncates only the first
    ``cutoff`` latents (the coarse layers). ``w_avg`` is updated by the trainer (``update``).
    """

    def __init__(self, num_ws: int, psi: float = 1.0, cutoff: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.num_ws = int(num_ws)
        self.psi = float(psi)
        self.cutoff = None if cutoff is None else int(cutoff)

    def build(self, input_shape):
        self.w_avg = self.add_weight(name="w_avg", shape=(int(input_shape[-1]),), initializer="zeros", trainable=False)

    def call(self, w, psi=None, cutoff=None):
        psi = self.psi if psi is None else float(psi)
        cutoff = self.cutoff if cutoff is None else int(cutoff)
        ws = ops.repeat(w[:, None, :], self.num_ws, axis=1)
        if psi == 1.0:
            return ws
        w_avg = ops.cast(self.w_avg, w.dtype)
        truncated = w_avg + psi * (ws - w_avg)
        if cutoff is None:
            return truncated
        keep = ops.reshape(ops.arange(self.num_ws) < cutoff, (1, self.num_ws, 1))
        return ops.where(keep, truncated, ws)

    def update(self, w, beta: float):
        """w_avg <- lerp(mean of the batch's w, w_avg, beta)."""
        batch_mean = ops.mean(ops.cast(w, "float32"), axis=0)
        self.w_avg.assign(batch_mean + beta * (self.w_avg - batch_mean))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_ws, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws, "psi": self.psi, "cutoff": self.cutoff}


class _StyleGANLiteModel(ConfiguredModel, keras.Model):
    """A functional model whose only argument is a ``StyleGANLiteConfig``."""

    config_class = StyleGANLiteConfig


@register
class MappingNetwork(_StyleGANLiteModel):
    """z -> pixel norm -> ``mapping_layers`` equalized dense layers (lr multiplier) -> w."""

    def __init__(self, config=None, **kwargs):
        # === Config ===
        config = self.as_config(config)
        # === Layers and Functional Model ===
        z = keras.Input(shape=(config.z_dim,), name="z")
        x = PixelNorm(name="pixel_norm")(z)
        for i in range(config.mapping_layers):
            x = EqualizedDense(
                config.w_dim, lr_multiplier=config.mapping_lr_multiplier, activation="lrelu", name=f"fc{i}"
            )(x)
        kwargs.setdefault("name", "mapping")
        super().__init__(inputs=z, outputs=x, **kwargs)
        self.config = config


@register
class SynthesisNetwork(_StyleGANLiteModel):
    """ws (B, num_ws, w_dim) -> image (B, R, R, 3), about [-1, 1] (linear output, float32)."""

    def __init__(self, config=None, **kwargs):
        # === Config ===
        config = self.as_config(config)
        # === Layers and Functional Model ===
        ws = keras.Input(shape=(config.num_ws, config.w_dim), name="ws")
        latent = [SelectLatent(i, name=f"w{i}")(ws) for i in range(config.num_ws)]
        seed = iter(range(config.seed * 1000, config.seed * 1000 + 1000))

        def layer(x, w, res, name, upsample=False):
            if upsample:
                x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}.up")(x)
            x = ModulatedConv2D(config.channels(res), 3, name=f"{name}.conv")([x, w])
            x = NoiseInjection(seed=next(seed), name=f"{name}.noise")(x)
            return ScaledLeakyReLU(name=f"{name}.act")(x)

        def to_rgb(x, w, name):
            rgb = ModulatedConv2D(3, 1, demodulate=False, name=f"{name}.conv")([x, w])
            return Bias(name=f"{name}.bias")(rgb)

        x = ConstantInput(config.channels(4), 4, name="b4.const")(ws)
        x = layer(x, latent[0], 4, "b4.conv1")
        image = to_rgb(x, latent[1], "b4.torgb")
        index = 1
        for res in config.resolutions[1:]:
            x = layer(x, latent[index], res, f"b{res}.conv0", upsample=True)
            x = layer(x, latent[index + 1], res, f"b{res}.conv1")
            image = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"b{res}.skip_up")(image)
            image = keras.layers.Add(name=f"b{res}.skip")([image, to_rgb(x, latent[index + 2], f"b{res}.torgb")])
            index += 2
        image = keras.layers.Activation("linear", dtype="float32", name="image")(image)
        kwargs.setdefault("name", "synthesis")
        super().__init__(inputs=ws, outputs=image, **kwargs)
        self.config = config


@register
class StyleGANLiteGenerator(_StyleGANLiteModel):
    """z (B, z_dim) -> image (B, R, R, 3): a plain functional model (mapping, truncation, synthesis).

    ``truncation_psi`` < 1 (and ``truncation_cutoff``) are fixed in the graph, so the model exports with
    them; ``sample`` and ``with_truncation`` use another psi with the same weights.
    """

    def __init__(self, config=None, truncation_psi: float = 1.0, truncation_cutoff: int | None = None, **kwargs):
        # === Config ===
        config = self.as_config(config)
        # === Layers ===
        mapping = MappingNetwork(config)
        truncation = Truncation(config.num_ws, truncation_psi, truncation_cutoff, name="truncation")
        synthesis = SynthesisNetwork(config)
        # === Functional Model ===
        z = keras.Input(shape=(config.z_dim,), name="z")
        image = synthesis(truncation(mapping(z)))
        kwargs.setdefault("name", "stylegan_lite_generator")
        super().__init__(inputs=z, outputs=image, **kwargs)
        self.config = config
        self.mapping, self.truncation, self.synthesis = mapping, truncation, synthesis

    def map(self, z, truncation_psi: float | None = None, truncation_cutoff: int | None = None, training=None):
        """z -> ws (B, num_ws, w_dim), truncated toward the running mean of w (default: the model's psi)."""
        return self.truncation(self.mapping(z, training=training), psi=truncation_psi, cutoff=truncation_cutoff)

    def sample(self, z, truncation_psi: float | None = None, truncation_cutoff: int | None = None, training=None):
        """Images for z at any truncation, without building a new model."""
        return self.synthesis(self.map(z, truncation_psi, truncation_cutoff, training), training=training)

    def with_truncation(self, truncation_psi: float, truncation_cutoff: int | None = None) -> keras.Model:
        """A functional z -> image model sharing these weights, with another psi fixed in its graph (for export)."""
        z = keras.Input(shape=(self.config.z_dim,), name="z")
        ws = self.truncation(self.mapping(z), psi=truncation_psi, cutoff=truncation_cutoff)
        return keras.Model(z, self.synthesis(ws), name=f"{self.name}_psi{truncation_psi:g}")

    def get_config(self):
        truncation = {"truncation_psi": self.truncation.psi, "truncation_cutoff": self.truncation.cutoff}
        return {**super().get_config(), **truncation}


def _downsample(x, name):
    return keras.layers.AveragePooling2D(2, name=name)(x)


@register
class MinibatchStdDev(keras.layers.Layer):
    """Appends one feature map: the mean over features of the batch's standard deviation (group = whole batch)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        std = ops.sqrt(ops.var(x, axis=0) + self.epsilon)
        feature = ops.ones_like(x[..., :1]) * ops.mean(std)
        return ops.concatenate([x, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@register
class StyleGANLiteDiscriminator(_StyleGANLiteModel):
    """StyleGAN2's residual discriminator: image (B, R, R, 3) -> one real/fake logit per image."""

    def __init__(self, config=None, **kwargs):
        # === Config ===
        config = self.as_config(config)
        # === Layers and Functional Model ===
        image = keras.Input(shape=(config.resolution, config.resolution, 3), name="image")
        x = EqualizedConv2D(config.channels(config.resolution), 1, activation="lrelu", name="from_rgb")(image)
        for res in reversed(config.resolutions[1:]):
            out_channels = config.channels(res // 2)
            skip = _downsample(x, f"b{res}.skip_down")
            skip = EqualizedConv2D(out_channels, 1, use_bias=False, name=f"b{res}.skip")(skip)
            h = EqualizedConv2D(config.channels(res), 3, activation="lrelu", name=f"b{res}.conv0")(x)
            h = _downsample(h, f"b{res}.down")
            h = EqualizedConv2D(out_channels, 3, activation="lrelu", name=f"b{res}.conv1")(h)
            x = keras.layers.Add(name=f"b{res}.add")([skip, h])
            x = keras.layers.Rescaling(1 / math.sqrt(2), name=f"b{res}.scale")(x)
        x = MinibatchStdDev(name="b4.mbstd")(x)
        x = EqualizedConv2D(config.channels(4), 3, activation="lrelu", name="b4.conv")(x)
        x = keras.layers.Flatten(name="b4.flatten")(x)
        x = EqualizedDense(config.channels(4), activation="lrelu", name="b4.fc")(x)
        logit = EqualizedDense(1, name="b4.out")(x)
        logit = keras.layers.Activation("linear", dtype="float32", name="logit")(logit)
        kwargs.setdefault("name", "stylegan_lite_discriminator")
        super().__init__(inputs=image, outputs=logit, **kwargs)
        self.config = config
