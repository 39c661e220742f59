"""The official AnimeGANv2 generator: layer norm, 7x7 stem and tail, 4 inverted residual blocks.

Exactly 2,143,552 parameters at ``width=1.0``. Layer names follow the official ``G_MODEL`` scopes (A..E,
out_layer). ``width`` scales every layer's channel count (same names, same graph): 0.5 gives a net with
about a quarter of the parameters and FLOPs, used for the small bundled default model.
"""

from __future__ import annotations

from animegan.errors import AnimeGANError
from animegan.layers.blocks import conv, conv_norm_lrelu, inverted_residual
from animegan.layers.resize import BilinearResize
from animegan.layers.serialization import register
from animegan.models.generator_base import ImageGenerator, tanh_output


@register
class AnimeGANv2Generator(ImageGenerator):
    architecture = "animegan-v2"
    default_norm = "layer"
    default_upsample = "legacy"

    def __init__(self, norm: str | None = None, upsample: str | None = None, width: float = 1.0, **kwargs):
        if not 0.0 < float(width) <= 4.0:
            raise AnimeGANError(f"width multiplier must be in (0, 4], got {width}")
        # Read by _build, which the base class calls while building the functional graph.
        self._width = float(width)
        super().__init__(norm=norm, upsample=upsample, **kwargs)
        self.width = float(width)

    def _channels(self, official: int) -> int:
        # Multiples of 8 (at least 8) keep the channel counts friendly to SIMD and GPU kernels.
        return official if self._width == 1.0 else max(8, int(round(official * self._width / 8)) * 8)

    def _build(self, inputs, norm, upsample):
        c = self._channels

        def up(x, like, scope):
            layer = BilinearResize(2.0, upsample, name=f"{scope}.upsample")
            # The PyTorch port's align_corners mode resizes to the saved feature's size.
            return layer(x, size_like=like) if upsample == "align_corners" else layer(x)

        x = conv_norm_lrelu(inputs, c(32), "A.Conv", "A.Norm", norm, kernel_size=7)
        x = conv_norm_lrelu(x, c(64), "A.Conv_1", "A.Norm_1", norm, strides=2)
        x = conv_norm_lrelu(x, c(64), "A.Conv_2", "A.Norm_2", norm)
        half = x

        x = conv_norm_lrelu(x, c(128), "B.Conv", "B.Norm", norm, strides=2)
        x = conv_norm_lrelu(x, c(128), "B.Conv_1", "B.Norm_1", norm)

        x = conv_norm_lrelu(x, c(128), "C.Conv", "C.Norm", norm)
        for i in range(1, 5):
            x = inverted_residual(x, c(256), f"C.r{i}", norm, depthwise_bias=True)
        x = conv_norm_lrelu(x, c(128), "C.Conv_1", "C.Norm_1", norm)

        x = up(x, half, "D")
        x = conv_norm_lrelu(x, c(128), "D.Conv", "D.Norm", norm)
        x = conv_norm_lrelu(x, c(128), "D.Conv_1", "D.Norm_1", norm)

        x = up(x, inputs, "E")
        x = conv_norm_lrelu(x, c(64), "E.Conv", "E.Norm", norm)
        x = conv_norm_lrelu(x, c(64), "E.Conv_1", "E.Norm_1", norm)
        x = conv_norm_lrelu(x, c(32), "E.Conv_2", "E.Norm_2", norm, kernel_size=7)
        return tanh_output(conv(x, 3, "out_layer.Conv", kernel_size=1))

    def get_config(self):
        config = super().get_config()
        if self.width != 1.0:  # the official net's config stays exactly what it was
            config["width"] = self.width
        return config
