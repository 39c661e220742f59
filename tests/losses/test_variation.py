"""Total variation against the official formula written out in numpy."""

import numpy as np
import pytest

from animegan.losses import total_variation_loss


def test_total_variation_matches_official_formula():
    x = np.random.default_rng(2).normal(size=(2, 5, 7, 3)).astype(np.float32)
    dh = x[:, :-1] - x[:, 1:]
    dw = x[:, :, :-1] - x[:, :, 1:]
    # tf.nn.l2_loss(d) / tf.size(d) = sum(d^2) / 2 / size
    expected = (dh**2).sum() / 2 / dh.size + (dw**2).sum() / 2 / dw.size
    assert float(total_variation_loss(x)) == pytest.approx(expected, rel=1e-5)


def test_total_variation_of_a_ramp_and_a_constant():
    ramp = np.tile(np.arange(4, dtype=np.float32)[None, None, :, None], (1, 3, 1, 1))  # steps of 1 along W
    assert float(total_variation_loss(ramp)) == pytest.approx(0.5)
    assert float(total_variation_loss(np.ones((1, 4, 4, 3), np.float32))) == 0.0
