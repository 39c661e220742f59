"""Whole-image statistics gathered tile by tile, on a numpy model with two normalization sites."""

import numpy as np
import pytest

from animegan.inference.tiles import plan_tiles, run_tiled, run_whole
from animegan.inference.whole_statistics import (
    Statistics,
    coarse_copy,
    whole_statistics,
    with_statistics,
)
from animegan.export.verify import psnr
from animegan.layers.norm_sites import NormSite


def _pool(a):
    n, h, w, c = a.shape
    return a.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _norm(x, mask, own, mean, variance, groups):
    n, h, w, c = x.shape
    g = x.reshape(n, h, w, groups, c // groups).astype(np.float64)
    weight = np.broadcast_to(mask[..., None], g.shape)
    count = weight.sum(axis=(1, 2, 4))
    measured = (g * weight).sum(axis=(1, 2, 4)) / count
    spread = ((g - measured[:, None, None, :, None]) ** 2 * weight).sum(axis=(1, 2, 4)) / count
    used_mean = own * measured + mean
    used_variance = (own * spread + 1 - own) * variance
    out = (g - used_mean[:, None, None, :, None]) / np.sqrt(used_variance[:, None, None, :, None] + 1e-5)
    return out.reshape(x.shape), measured, spread


class TwoSiteNet:
    """Layer norm at full size, leaky ReLU, 2x2 pooling, instance norm at half size, nearest up, tanh."""

    sites = (NormSite("a", 1, 1), NormSite("b", 3, 2))
    max_size = None
    stride = 4
    name = "numpy"

    def __init__(self):
        self.calls = []

    def __call__(self, batch, mask, own, means, variances):
        self.calls.append((batch.shape, own))
        a, ma, va = _norm(batch, mask, own, means[0], variances[0], 1)
        z = np.where(a > 0, a, 0.2 * a) * 1.5 + 0.3 * batch
        b, mb, vb = _norm(_pool(z), _pool(mask), own, means[1], variances[1], 3)
        y = np.tanh(np.repeat(np.repeat(b, 2, axis=1), 2, axis=2) * 0.5 + 0.2 * batch)
        return y.astype(np.float32), [ma, mb], [va, vb]

    def plain(self, batch):
        neutral = Statistics.neutral(self.sites).batch(batch.shape[0])
        return self(batch, np.ones(batch.shape[:3] + (1,), np.float32), 1.0, *neutral)[0]


@pytest.fixture
def photo():
    """A 'photo' whose halves differ (bright sky over dark ground): per-tile statistics would show."""
    rng = np.random.default_rng(0)
    y = np.linspace(0, 1, 96)[:, None, None]
    img = np.concatenate([0.6 + 0.2 * y[:48], -0.5 + 0.8 * y[48:]]) + rng.normal(0, 0.15, (96, 1, 3))
    img = img + 0.2 * np.sin(np.arange(136) / 5.0)[None, :, None]
    return np.clip(img, -1, 1).astype(np.float32)


def test_the_two_grid_statistics_make_tiles_match_the_whole_image(photo):
    net = TwoSiteNet()
    whole = run_whole(net.plain, photo, 4)
    naive = run_tiled(net.plain, photo, tile=48, overlap=8, stride=4)
    plan = plan_tiles(96, 136, 48, 8, 4)
    net.calls.clear()
    statistics = whole_statistics(net, photo, plan, coarse_pixels=34 * 24)
    # One coarse pass (own statistics), one fine pass over every tile (fixed), one correction pass (own).
    calls = [(shape, own) for shape, own in net.calls]
    assert calls == [((1, 24, 32, 3), 1.0)] + [((1, 48, 48, 3), 0.0)] * len(plan.places) + [((1, 24, 32, 3), 1.0)]
    tiled = run_tiled(with_statistics(net, statistics), photo, tile=48, overlap=8, stride=4)
    assert psnr(naive, whole) < 20  # each tile's own statistics: visibly off
    assert psnr(tiled, whole) > 60


def test_exact_statistics_give_the_whole_image_and_tiles_sum_them_back(photo):
    net = TwoSiteNet()
    whole = run_whole(net.plain, photo, 4)
    _, means, variances = net(photo[None], np.ones((1, 96, 136, 1), np.float32), 1.0, *Statistics.neutral(net.sites).batch(1))
    exact = Statistics(tuple(m[0] for m in means), tuple(v[0] for v in variances))
    tiled = run_tiled(with_statistics(net, exact), photo, tile=48, overlap=8, stride=4)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    from animegan.inference.whole_statistics import _fine

    plan = plan_tiles(96, 136, 48, 8, 4)
    summed = _fine(net, photo, plan, exact, 3, None)
    assert summed.change(exact) < 1e-6  # the owned regions partition the image


def test_coarse_copy_stays_on_the_stride_grid_within_its_pixels_and_size():
    img = np.zeros((1000, 1500, 3), np.uint8)
    assert coarse_copy(img, 10**9, 4).shape == (500, 748, 3)  # half the size at most
    small = coarse_copy(img, 60_000, 4)
    assert small.shape[0] % 4 == 0 and small.shape[1] % 4 == 0 and small.shape[0] * small.shape[1] <= 60_000
    assert small.dtype == np.float32 and small.min() == -1.0  # uint8 pixels become model input
    assert coarse_copy(img, 10**9, 4, max_size=(256, 256)).shape == (168, 256, 3)
