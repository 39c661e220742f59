import keras
import numpy as np
import tensorflow as tf

from animegan.layers.padding import ReflectionPadding2D


def test_matches_numpy_reflect_with_asymmetric_padding():
    x = np.arange(2 * 5 * 6 * 3, dtype="float32").reshape(2, 5, 6, 3)
    y = np.asarray(ReflectionPadding2D(((0, 1), (2, 3)))(x))
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (0, 1), (2, 3), (0, 0)], mode="reflect"))


def test_dynamic_shape_and_output_shape():
    layer = ReflectionPadding2D(3)
    assert layer.compute_output_shape((None, None, 8, 3)) == (None, None, 14, 3)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    assert fn(tf.zeros((1, 9, 11, 3))).shape == (1, 15, 17, 3)


def test_config_round_trip():
    layer = ReflectionPadding2D(((1, 2), (3, 4)), name="pad")
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(clone, ReflectionPadding2D) and clone.padding == ((1, 2), (3, 4))
