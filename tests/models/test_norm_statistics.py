"""The generators re-run with their normalization statistics handed in and measured out."""

import numpy as np
import pytest

from animegan.models import AnimeGANv1Generator, AnimeGANv2Generator, CycleGANGenerator
from animegan.models.footprint import activation_bytes
from animegan.models.norm_statistics import norm_sites, statistics_function


@pytest.fixture(scope="module")
def v2():
    import keras

    keras.utils.set_random_seed(1)
    return AnimeGANv2Generator(width=0.25)


def _neutral(sites, n):
    return [np.zeros((n, s.groups), np.float32) for s in sites], [np.ones((n, s.groups), np.float32) for s in sites]


def test_sites_of_every_norm_in_graph_order():
    v1 = norm_sites(AnimeGANv1Generator())
    assert len(v1) == 40 and v1[0].name == "b1.Norm" and v1[0].groups == 64 and v1[0].scale == 1
    assert {s.scale for s in v1} == {1, 2, 4} and all(s.groups > 1 for s in v1)  # instance norm: per channel
    v2 = norm_sites(AnimeGANv2Generator(width=0.25))
    assert len(v2) == 24 and all(s.groups == 1 for s in v2)  # layer norm: one group
    assert [s.scale for s in v2[:4]] == [1, 2, 2, 4]
    assert len(norm_sites(CycleGANGenerator(n_blocks=1, ngf=8))) == 7
    assert norm_sites(AnimeGANv2Generator(width=0.25, norm="batch")) == ()
    assert norm_sites(AnimeGANv2Generator(width=0.25, norm="none")) == ()


def test_own_statistics_are_the_model_and_fixed_ones_reproduce_it(v2):
    sites = norm_sites(v2)
    run = statistics_function(v2, sites)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 64, 3)).astype(np.float32)
    mask, ones = np.ones((2, 48, 64, 1), np.float32), np.ones((2, 1), np.float32)
    expected = np.asarray(v2(x, training=False))
    y, means, variances = run(x, mask, ones, *_neutral(sites, 2))
    np.testing.assert_allclose(np.asarray(y), expected, atol=1e-5)
    assert [np.asarray(m).shape for m in means] == [(2, s.groups) for s in sites]
    fixed, _, _ = run(x, mask, 0 * ones, [np.asarray(m) for m in means], [np.asarray(v) for v in variances])
    np.testing.assert_allclose(np.asarray(fixed), expected, atol=1e-5)
    # The second picture's statistics given to the first: another picture, so they are really used.
    swapped = [np.asarray(m)[::-1] for m in means], [np.asarray(v)[::-1] for v in variances]
    other, _, _ = run(x, mask, 0 * ones, *swapped)
    assert np.abs(np.asarray(other)[0] - expected[0]).mean() > 1e-2


def test_shifted_own_statistics_are_used_site_after_site(v2):
    """own = 1 with shifts normalizes each site with measured + shift: the same as being given those."""
    sites = norm_sites(v2)
    run = statistics_function(v2, sites)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1, 32, 48, 3)).astype(np.float32)
    mask, ones = np.ones((1, 32, 48, 1), np.float32), np.ones((1, 1), np.float32)
    shifts = [rng.normal(0, 0.05, (1, s.groups)).astype(np.float32) for s in sites]
    scales = [rng.uniform(0.9, 1.1, (1, s.groups)).astype(np.float32) for s in sites]
    y, means, variances = run(x, mask, ones, shifts, scales)
    used = [np.asarray(m) + d for m, d in zip(means, shifts)], [np.asarray(v) * r for v, r in zip(variances, scales)]
    again, _, _ = run(x, mask, 0 * ones, *used)
    np.testing.assert_allclose(np.asarray(again), np.asarray(y), atol=1e-5)


def test_masked_pixels_count_in_no_statistics(v2):
    sites = norm_sites(v2)
    run = statistics_function(v2, sites)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 32, 48, 3)).astype(np.float32)
    mask = np.ones((1, 32, 48, 1), np.float32)
    _, first, _ = run(x, mask, np.ones((1, 1), np.float32), *_neutral(sites, 1))
    changed = x.copy()
    changed[:, 16:] = 1.0  # the masked-out bottom half changes, far from the first site's top rows
    mask[:, 8:] = 0.0
    _, kept, _ = run(x, mask, np.ones((1, 1), np.float32), *_neutral(sites, 1))
    _, other, _ = run(changed, mask, np.ones((1, 1), np.float32), *_neutral(sites, 1))
    np.testing.assert_allclose(np.asarray(other[0]), np.asarray(kept[0]), rtol=1e-5)  # same unmasked pixels
    assert not np.allclose(np.asarray(kept[0]), np.asarray(first[0]), rtol=1e-3)


def test_activation_bytes_grow_with_width():
    narrow, wide = activation_bytes(AnimeGANv2Generator(width=0.25)), activation_bytes(AnimeGANv2Generator(width=0.5))
    assert 1.8 < wide / narrow < 2.2 and narrow > 500
