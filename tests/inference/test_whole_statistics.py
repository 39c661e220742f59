"""Whole-image statistics gathered tile by tile, on a numpy model with two normalization sites."""

import numpy as np
import pytest

from animegan.export.verify import psnr
from animegan.inference.tiles import plan_tiles, run_tiled, run_whole
from animegan.inference.whole_statistics import Statistics, _Moments, coarse_copy, run_with_whole_statistics
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
    """Layer norm at full size, leaky ReLU, 2x2 pooling, instance norm at half size, nearest up, tanh:
    no receptive field beyond a 2x2 cell, so tiles with the right statistics give the whole image."""

    sites = (NormSite("a", 1, 1), NormSite("b", 3, 2))
    max_size = None

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
        return self(batch, np.ones(batch.shape[:3] + (1,), np.float32), 1.0, *Statistics.neutral(self.sites).batch(len(batch)))[0]

    def fixed(self, statistics):
        return lambda batch: self(batch, np.ones(batch.shape[:3] + (1,), np.float32), 0.0, *statistics.batch(len(batch)))[0]


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
    net.calls.clear()
    tiled, run = run_with_whole_statistics(net, photo, 48, 8, 4, coarse_pixels=34 * 24)
    assert psnr(naive, whole) < 20  # each tile's own statistics: visibly off
    assert psnr(tiled, whole) > 60 and run.passes == 2 and run.change < 0.01 and run.probe_psnr < 45
    # Coarse (own statistics), the tiles (fixed), the correction on the copy (own), the probe, the tiles again.
    tiles = [((1, 48, 48, 3), 0.0)] * len(plan_tiles(96, 136, 48, 8, 4).places)
    coarse = [((1, 24, 32, 3), 1.0)]
    assert net.calls == coarse + tiles + coarse + [((1, 48, 48, 3), 0.0)] + tiles


def test_one_pass_when_the_copy_already_agrees(photo):
    """A photo in 4x4 blocks loses nothing at half size: the copy's statistics are the photo's."""
    smooth = np.repeat(np.repeat(photo[::4, ::4], 4, axis=0), 4, axis=1)
    net = TwoSiteNet()
    tiled, run = run_with_whole_statistics(net, smooth, 48, 8, 4, coarse_pixels=10**6)
    assert run.passes == 1 and run.probe_psnr >= 45 and run.change < 1e-3
    assert psnr(tiled, run_whole(net.plain, smooth, 4)) > 45
    forced = run_with_whole_statistics(net, photo, 48, 8, 4, coarse_pixels=34 * 24, accept_psnr=np.inf, passes=3)[1]
    twice = run_with_whole_statistics(net, photo, 48, 8, 4, coarse_pixels=34 * 24, accept_psnr=np.inf)[1]
    assert forced.passes == 3 and twice.passes == 2 and forced.change < twice.change  # a second correction


def test_exact_statistics_give_the_whole_image_and_tiles_sum_them_back(photo):
    net = TwoSiteNet()
    whole = run_whole(net.plain, photo, 4)
    _, means, variances = net(photo[None], np.ones((1, 96, 136, 1), np.float32), 1.0, *Statistics.neutral(net.sites).batch(1))
    exact = Statistics(tuple(m[0] for m in means), tuple(v[0] for v in variances))
    np.testing.assert_allclose(run_tiled(net.fixed(exact), photo, tile=48, overlap=8, stride=4), whole, atol=1e-5)
    moments = _Moments(net.sites, exact)

    plan = plan_tiles(96, 136, 48, 8, 4)

    def measure(batch, places):
        masks = np.stack([plan.owned(i, j) for i, j in places])
        out, m, v = net(batch, masks, 0.0, *exact.batch(len(batch)))
        moments.add(masks, m, v)
        return out

    run_tiled(measure, photo, tile=48, overlap=8, stride=4, batch_size=3, placed=True)
    assert moments.result().change(exact) < 1e-6  # the owned regions partition the image


def test_coarse_copy_stays_on_the_stride_grid_within_its_pixels_and_size():
    img = np.zeros((1000, 1500, 3), np.uint8)
    assert coarse_copy(img, 10**9, 4).shape == (500, 748, 3)  # half the size at most
    small = coarse_copy(img, 60_000, 4)
    assert small.shape[0] % 4 == 0 and small.shape[1] % 4 == 0 and small.shape[0] * small.shape[1] <= 60_000
    assert small.dtype == np.float32 and small.min() == -1.0  # uint8 pixels become model input
    assert coarse_copy(img, 10**9, 4, max_size=(256, 256)).shape == (168, 256, 3)
