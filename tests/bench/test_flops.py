import keras
import pytest

from animegan.bench.flops import generator_gflops


def test_counts_two_flops_per_multiply_add_of_each_conv_kind():
    x = keras.Input((None, None, 3))
    y = keras.layers.Conv2D(4, 3, padding="same")(x)  # 8*8 pixels * 3*3*3 taps * 4 filters
    y = keras.layers.DepthwiseConv2D(3, padding="same")(y)  # 8*8 * 4 channels * 3*3
    y = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(y)  # 8*8 input pixels * 4 * 3*3 * 2
    y = keras.layers.ReLU()(y)  # not counted
    model = keras.Model(x, y)
    macs = 8 * 8 * 27 * 4 + 8 * 8 * 4 * 9 + 8 * 8 * 4 * 9 * 2
    assert generator_gflops(model, 8, 8) == pytest.approx(2 * macs / 1e9)
    assert generator_gflops(model, 16, 8) == pytest.approx(2 * 2 * macs / 1e9)  # linear in the pixel count
