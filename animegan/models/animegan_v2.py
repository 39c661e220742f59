"""The official AnimeGANv2 generator: layer norm, 7x7 stem and tail, 4 inverted residual blocks.

Exactly 2,143,552 parameters. Layer names follow the official ``G_MODEL`` scopes (A..E, out_layer).
"""

from __future__ import annotations

from animegan.layers.blocks import conv, conv_norm_lrelu, inverted_residual
from animegan.layers.resize import BilinearResize
from animegan.layers.serialization import register
from animegan.models.generator_base import ImageGenerator, tanh_output


@register
class AnimeGANv2Generator(ImageGenerator):
    architecture = "animegan-v2"
    default_norm = "layer"
    default_upsample = "legacy"

    def _build(self, inputs, norm, upsample):
        def up(x, like, scope):
            layer = BilinearResize(2.0, upsample, name=f"{scope}.upsample")
            # The PyTorch port's align_corners mode resizes to the saved feature's size.
            return layer(x, size_like=like) if upsample == "align_corners" else layer(x)

        x = conv_norm_lrelu(inputs, 32, "A.Conv", "A.Norm", norm, kernel_size=7)
        x = conv_norm_lrelu(x, 64, "A.Conv_1", "A.Norm_1", norm, strides=2)
        x = conv_norm_lrelu(x, 64, "A.Conv_2", "A.Norm_2", norm)
        half = x

        x = conv_norm_lrelu(x, 128, "B.Conv", "B.Norm", norm, strides=2)
        x = conv_norm_lrelu(x, 128, "B.Conv_1", "B.Norm_1", norm)

        x = conv_norm_lrelu(x, 128, "C.Conv", "C.Norm", norm)
        for i in range(1, 5):
            x = inverted_residual(x, 256, f"C.r{i}", norm, depthwise_bias=True)
        x = conv_norm_lrelu(x, 128, "C.Conv_1", "C.Norm_1", norm)

        x = up(x, half, "D")
        x = conv_norm_lrelu(x, 128, "D.Conv", "D.Norm", norm)
        x = conv_norm_lrelu(x, 128, "D.Conv_1", "D.Norm_1", norm)

        x = up(x, inputs, "E")
        x = conv_norm_lrelu(x, 64, "E.Conv", "E.Norm", norm)
        x = conv_norm_lrelu(x, 64, "E.Conv_1", "E.Norm_1", norm)
        x = conv_norm_lrelu(x, 32, "E.Conv_2", "E.Norm_2", norm, kernel_size=7)
        return tanh_output(conv(x, 3, "out_layer.Conv", kernel_size=1))
