"""A convolutional VAE: strided-conv encoder to (mean, log-variance), reparameterised sampling, upsampling decoder.

Images are RGB in [-1, 1] (the project's convention); the decoder ends in tanh. The encoder halves
the size down to 4x4 and the decoder doubles it back, so ``image_size`` is a power of two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
from keras import ops

from animegan.errors import AnimeGANError
from animegan.layers.norms import check_norm, make_norm
from animegan.layers.serialization import register
from animegan.losses.reconstruction import RECONSTRUCTION_LOSSES
from animegan.models.configured import ConfiguredModel, DictConfig


@dataclass(frozen=True)
class VAEConfig(DictConfig):
    """Sizes of the VAE; stage i (from the image side) has min(base_width * 2**i, max_width) channels."""

    image_size: int = 64
    latent_dim: int = 128
    base_width: int = 32
    max_width: int = 256
    norm: str = "none"
    # The decoder's likelihood: what training's reconstruction loss and the anomaly score measure.
    reconstruction: str = "mse"

    def __post_init__(self):
        if self.image_size < 8 or self.image_size & (self.image_size - 1):
            raise AnimeGANError(f"image_size must be a power of two >= 8, got {self.image_size}")
        if self.latent_dim <= 0 or self.base_width <= 0 or self.max_width <= 0:
            raise AnimeGANError("latent_dim and widths must be positive")
        check_norm(self.norm)
        if self.reconstruction not in RECONSTRUCTION_LOSSES:
            choices = ", ".join(RECONSTRUCTION_LOSSES)
            raise AnimeGANError(f"unknown reconstruction loss {self.reconstruction!r}; choose one of {choices}")

    @property
    def stages(self) -> int:
        return int(math.log2(self.image_size)) - 2

    def width(self, stage: int) -> int:
        return min(self.base_width * 2**stage, self.max_width)


@register
class ReparameterizedSampling(keras.layers.Layer):
    """``call([mean, log_var])`` -> mean + exp(log_var / 2) * eps, eps ~ N(0, I) (gradients flow to both)."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class _VAENetwork(ConfiguredModel, keras.Model):
    """A functional VAE network whose only argument is a ``VAEConfig``."""

    config_class = VAEConfig


def _conv_norm_lrelu(x, filters: int, strides: int, norm: str, name: str):
    x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}.conv")(x)
    x = make_norm(norm, name=f"{name}.norm")(x)
    return keras.layers.LeakyReLU(0.2, name=f"{name}.act")(x)


@register
class VAEEncoder(_VAENetwork):
    """image (B, S, S, 3) -> [mean (B, latent_dim), log_var (B, latent_dim)]."""

    def __init__(self, config=None, **kwargs):
        config = self.as_config(config)
        image = keras.Input(shape=(config.image_size, config.image_size, 3), name="image")
        x = image
        for stage in range(config.stages):
            x = _conv_norm_lrelu(x, config.width(stage), 2, config.norm, f"down{stage}")
        x = keras.layers.Flatten(name="flatten")(x)
        mean = keras.layers.Dense(config.latent_dim, dtype="float32", name="mean")(x)
        log_var = keras.layers.Dense(config.latent_dim, dtype="float32", name="log_var")(x)
        kwargs.setdefault("name", "encoder")
        super().__init__(inputs=image, outputs=[mean, log_var], **kwargs)
        self.config = config


@register
class VAEDecoder(_VAENetwork):
    """latent (B, latent_dim) -> image (B, S, S, 3) in [-1, 1]."""

    def __init__(self, config=None, **kwargs):
        config = self.as_config(config)
        latent = keras.Input(shape=(config.latent_dim,), name="latent")
        top = config.width(config.stages - 1) if config.stages else config.base_width
        x = keras.layers.Dense(4 * 4 * top, name="project")(latent)
        x = keras.layers.Reshape((4, 4, top), name="reshape")(x)
        x = keras.layers.LeakyReLU(0.2, name="project.act")(x)
        for stage in reversed(range(config.stages)):
            # bilinear is one RESIZE op with static sizes; nearest (a repeat) loses them and TFLite refuses it
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"up{stage}.upsample")(x)
            x = _conv_norm_lrelu(x, config.width(stage), 1, config.norm, f"up{stage}")
        x = keras.layers.Conv2D(3, 3, padding="same", name="to_rgb")(x)
        image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
        kwargs.setdefault("name", "decoder")
        super().__init__(inputs=latent, outputs=image, **kwargs)
        self.config = config


@register
class ConvVAE(ConfiguredModel, keras.Model):
    """Encoder, sampling layer and decoder. ``call(x)`` reconstructs: sampled z when training, the mean otherwise."""

    config_class = VAEConfig

    def __init__(self, config=None, seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "conv_vae")
        super().__init__(**kwargs)
        # === Config ===
        self.config = self.as_config(config)
        self.seed = seed
        # === Layers ===
        self.encoder = VAEEncoder(self.config)
        self.sampling = ReparameterizedSampling(seed, name="sampling")
        self.decoder = VAEDecoder(self.config)
        self.built = True

    def encode(self, images, training=None):
        return self.encoder(images, training=training)

    def decode(self, latents, training=None):
        return self.decoder(latents, training=training)

    def call(self, images, training=None):
        mean, log_var = self.encode(images, training=training)
        latent = self.sampling([mean, log_var]) if training else mean
        return self.decode(latent, training=training)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
