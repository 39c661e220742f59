"""The three bilinear modes against hand-written reference formulas."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from animegan.errors import AnimeGANError
from animegan.layers.resize import BilinearResize


def _reference(x, out_h, out_w, mode):
    """Bilinear resize of NHWC ``x`` written out from the coordinate mappings."""
    in_h, in_w = x.shape[1:3]

    def coords(out_n, in_n):
        i = np.arange(out_n, dtype=np.float64)
        if mode == "align_corners":
            src = i * ((in_n - 1) / (out_n - 1) if out_n > 1 else 0.0)
        elif mode == "half_pixel":
            src = np.maximum((i + 0.5) * in_n / out_n - 0.5, 0.0)
        else:  # legacy TF1: no half-pixel centres
            src = i * in_n / out_n
        lo = np.minimum(np.floor(src).astype(int), in_n - 1)
        hi = np.minimum(lo + 1, in_n - 1)
        return lo, hi, src - lo

    y0, y1, fy = coords(out_h, in_h)
    x0, x1, fx = coords(out_w, in_w)
    fy = fy[None, :, None, None]
    fx = fx[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
    bottom = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy


@pytest.mark.parametrize("mode", ["legacy", "half_pixel", "align_corners"])
def test_upsample_x2_matches_reference(mode):
    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype("float32")
    y = np.asarray(BilinearResize(2.0, mode)(x))
    assert y.shape == (2, 10, 14, 3)
    np.testing.assert_allclose(y, _reference(x, 10, 14, mode), atol=1e-5)


@pytest.mark.parametrize("mode", ["legacy", "half_pixel"])
def test_downsample_floors_odd_sizes(mode):
    x = np.random.default_rng(1).normal(size=(1, 9, 6, 2)).astype("float32")
    y = np.asarray(BilinearResize(0.5, mode)(x))
    assert y.shape == (1, 4, 3, 2)
    np.testing.assert_allclose(y, _reference(x, 4, 3, mode), atol=1e-5)


def test_size_like_resizes_to_the_saved_feature():
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 2)).astype("float32")
    like = np.zeros((1, 9, 7, 5), "float32")
    y = np.asarray(BilinearResize(2.0, "align_corners")(x, size_like=like))
    np.testing.assert_allclose(y, _reference(x, 9, 7, "align_corners"), atol=1e-5)


def test_traces_with_unknown_height_and_width():
    layer = BilinearResize(2.0, "legacy")
    assert layer.compute_output_shape((None, None, None, 8)) == (None, None, None, 8)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    assert fn(tf.zeros((1, 3, 5, 3))).shape == (1, 6, 10, 3)


def test_config_round_trip_and_bad_mode():
    layer = BilinearResize(0.5, "half_pixel", name="down")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert (clone.scale, clone.mode) == (0.5, "half_pixel")
    with pytest.raises(AnimeGANError, match="unknown upsample mode"):
        BilinearResize(2.0, "nearest")
