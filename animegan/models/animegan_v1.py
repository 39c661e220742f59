"""The official AnimeGAN (v1) generator: instance norm, separable convs, 8 inverted residual blocks.

Layer names follow the official ``G_MODEL`` variable scopes so TF1 checkpoints import by name;
about 3.96M parameters.
"""

from __future__ import annotations

import keras

from animegan.layers.blocks import conv, conv_norm_lrelu, inverted_residual, separable_conv_norm_lrelu
from animegan.layers.resize import BilinearResize
from animegan.layers.serialization import register
from animegan.models.generator_base import ImageGenerator, tanh_output


def _down_block(x, filters: int, scope: str, strided: str, resized: str, norm: str, upsample: str):
    """Sum of a strided separable conv and a (bilinear /2, separable conv) branch."""
    a = separable_conv_norm_lrelu(x, filters, f"{scope}.{strided}", norm, strides=2)
    b = BilinearResize(0.5, upsample, name=f"{scope}.downsample")(x)
    b = separable_conv_norm_lrelu(b, filters, f"{scope}.{resized}", norm)
    return keras.layers.Add(name=f"{scope}.add")([a, b])


@register
class AnimeGANv1Generator(ImageGenerator):
    architecture = "animegan-v1"
    default_norm = "instance"
    default_upsample = "legacy"

    def _build(self, inputs, norm, upsample):
        def up(x, like, scope):
            layer = BilinearResize(2.0, upsample, name=f"{scope}.upsample")
            return layer(x, size_like=like) if upsample == "align_corners" else layer(x)

        x = conv_norm_lrelu(inputs, 64, "b1.Conv", "b1.Norm", norm)
        x = conv_norm_lrelu(x, 64, "b1.Conv_1", "b1.Norm_1", norm)
        x = _down_block(x, 128, "b1", "SeparableConv2d", "SeparableConv2d_1", norm, upsample)
        half = x

        x = conv_norm_lrelu(x, 128, "b2.Conv", "b2.Norm", norm)
        x = separable_conv_norm_lrelu(x, 128, "b2.SeparableConv2d", norm)
        x = _down_block(x, 256, "b2", "SeparableConv2d_1", "SeparableConv2d_2", norm, upsample)

        x = conv_norm_lrelu(x, 256, "m.Conv", "m.Norm", norm)
        for i in range(1, 9):
            x = inverted_residual(x, 256, f"m.r{i}", norm)
        x = conv_norm_lrelu(x, 256, "m.Conv_1", "m.Norm_1", norm)

        x = up(x, half, "u2")
        x = separable_conv_norm_lrelu(x, 128, "u2.SeparableConv2d", norm)
        x = separable_conv_norm_lrelu(x, 128, "u2.SeparableConv2d_1", norm)
        x = conv_norm_lrelu(x, 128, "u2.Conv", "u2.Norm", norm)

        x = up(x, inputs, "u1")
        x = separable_conv_norm_lrelu(x, 128, "u1.SeparableConv2d", norm)
        x = conv_norm_lrelu(x, 64, "u1.Conv", "u1.Norm", norm)
        x = conv_norm_lrelu(x, 64, "u1.Conv_1", "u1.Norm_1", norm)
        return tanh_output(conv(x, 3, "Conv", kernel_size=1))
