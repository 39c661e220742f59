"""The AnimeGAN discriminator: 3x3 convs with spectral normalization, a patch of real/fake logits.

With ``n_dis=3`` and ``ch=64`` (the official setting) the patch is H/4 x W/4.
"""

from __future__ import annotations

import keras

from animegan.layers.norms import check_norm, make_norm
from animegan.layers.serialization import register


def _conv(filters: int, strides: int, spectral_norm: bool, name: str):
    layer = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name)
    return keras.layers.SpectralNormalization(layer, name=f"{name}.sn") if spectral_norm else layer


@register
class AnimeGANDiscriminator(keras.Model):
    def __init__(self, ch: int = 64, n_dis: int = 3, norm: str = "layer", spectral_norm: bool = True, **kwargs):
        # === Layers and Functional Model ===
        check_norm(norm)
        inputs = keras.Input(shape=(None, None, 3), name="image")
        channels = ch // 2
        x = _conv(channels, 1, spectral_norm, "conv_0")(inputs)
        x = keras.layers.LeakyReLU(0.2)(x)
        for i in range(1, n_dis):
            x = _conv(channels * 2, 2, spectral_norm, f"conv_s2_{i}")(x)
            x = keras.layers.LeakyReLU(0.2)(x)
            x = _conv(channels * 4, 1, spectral_norm, f"conv_s1_{i}")(x)
            x = make_norm(norm, name=f"norm_{i}")(x)
            x = keras.layers.LeakyReLU(0.2)(x)
            channels *= 2
        x = _conv(channels * 2, 1, spectral_norm, "last_conv")(x)
        x = make_norm(norm, name="last_norm")(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        logits = _conv(1, 1, spectral_norm, "logit")(x)
        logits = keras.layers.Activation("linear", dtype="float32", name="patch_logits")(logits)
        kwargs.setdefault("name", "animegan_discriminator")
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        # === Config ===
        self.ch = ch
        self.n_dis = n_dis
        self.norm = norm
        self.spectral_norm = spectral_norm

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "ch": self.ch,
            "n_dis": self.n_dis,
            "norm": self.norm,
            "spectral_norm": self.spectral_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
