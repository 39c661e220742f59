import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.layers.norms import NORMS, make_norm


def _set_affine(layer, channels, rng):
    gamma = rng.uniform(0.5, 1.5, channels).astype("float32")
    beta = rng.normal(0, 0.1, channels).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return gamma, beta


def test_instance_norm_matches_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (2, 5, 7, 4)).astype("float32")
    layer = make_norm("instance")
    layer.build(x.shape)
    gamma, beta = _set_affine(layer, 4, rng)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-4)


def test_layer_norm_is_tf1_layer_norm_over_hwc():
    rng = np.random.default_rng(1)
    x = rng.normal(-1.0, 2.0, (3, 4, 6, 5)).astype("float32")
    layer = make_norm("layer")
    layer.build(x.shape)
    gamma, beta = _set_affine(layer, 5, rng)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-4)


def test_batch_norm_uses_batch_statistics_in_training():
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 2.0, (4, 3, 3, 2)).astype("float32")
    layer = make_norm("batch")
    y = np.asarray(layer(x, training=True))
    expected = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-5)
    np.testing.assert_allclose(y, expected, atol=1e-4)


def test_none_is_identity():
    x = np.random.default_rng(3).normal(size=(1, 2, 2, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(make_norm("none")(x)), x)


def test_every_choice_builds_and_unknown_is_a_user_error():
    for kind in NORMS:
        make_norm(kind)
    with pytest.raises(AnimeGANError, match="unknown normalization 'group'"):
        make_norm("group")
