"""Small Keras layers shared by every model family; importing this package registers them."""

from animegan.layers.blocks import conv_norm_lrelu, inverted_residual, separable_conv_norm_lrelu
from animegan.layers.norms import NORMS, make_norm
from animegan.layers.padding import ReflectionPadding2D
from animegan.layers.resize import UPSAMPLE_MODES, BilinearResize

__all__ = [
    "NORMS",
    "UPSAMPLE_MODES",
    "BilinearResize",
    "ReflectionPadding2D",
    "conv_norm_lrelu",
    "inverted_residual",
    "make_norm",
    "separable_conv_norm_lrelu",
]
