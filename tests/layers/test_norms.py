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


def test_only_instance_and_layer_norm_need_statistics():
    from animegan.layers.norms import needs_statistics

    assert [needs_statistics(make_norm(kind)) for kind in NORMS] == [True, True, False, False]


def test_a_model_has_statistics_norms_when_one_of_its_layers_is_one():
    import keras

    from animegan.layers.norms import has_statistics_norms

    def model(kind):
        x = keras.Input((8, 8, 3))
        return keras.Model(x, make_norm(kind)(keras.layers.Conv2D(4, 3)(x)))

    assert [has_statistics_norms(model(kind)) for kind in NORMS] == [True, True, False, False]


@pytest.mark.parametrize("kind,groups", [("instance", 4), ("layer", 1)])
def test_weighted_moments_are_the_moments_of_the_weighted_pixels(kind, groups):
    from animegan.layers.norms import weighted_moments

    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, (2, 6, 8, 4)).astype("float32")
    weights = np.zeros((2, 6, 8, 1), "float32")
    weights[0, :3] = 1.0  # the top half of the first picture
    weights[1] = rng.uniform(0, 1, (6, 8, 1))  # fractional weights
    mean, variance = (np.asarray(a) for a in weighted_moments(x, weights, groups))
    for n in range(2):
        g = x[n].reshape(6, 8, groups, 4 // groups)
        w = np.broadcast_to(weights[n][:, :, :, None], g.shape)
        m = (g * w).sum(axis=(0, 1, 3)) / w.sum(axis=(0, 1, 3))
        v = ((g - m[None, None, :, None]) ** 2 * w).sum(axis=(0, 1, 3)) / w.sum(axis=(0, 1, 3))
        np.testing.assert_allclose(mean[n], m, rtol=1e-5)
        np.testing.assert_allclose(variance[n], v, rtol=1e-4)


@pytest.mark.parametrize("kind", ["instance", "layer"])
def test_normalize_with_its_own_moments_is_the_layer(kind):
    from animegan.layers.norms import normalize_with, weighted_moments

    rng = np.random.default_rng(5)
    x = rng.normal(-0.5, 1.5, (2, 5, 7, 4)).astype("float32")
    layer = make_norm(kind)
    layer.build(x.shape)
    _set_affine(layer, 4, rng)
    mean, variance = weighted_moments(x, np.ones((2, 5, 7, 1), "float32"), layer.groups)
    np.testing.assert_allclose(np.asarray(normalize_with(layer, x, mean, variance)), np.asarray(layer(x)), atol=1e-5)
    shifted = np.asarray(normalize_with(layer, x, np.asarray(mean) + 1.0, variance))
    assert np.abs(shifted - np.asarray(layer(x))).min() > 0.1  # the given statistics are what it uses
