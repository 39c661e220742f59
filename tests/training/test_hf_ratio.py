"""The high-frequency artefact metric on images whose spectra are known."""

import numpy as np
import pytest

from animegan.training.hf_ratio import high_frequency_ratio, high_frequency_share, radial_frequency


def test_radial_frequency_is_a_fraction_of_nyquist():
    r = radial_frequency(8, 8)
    assert r[0, 0] == 0.0
    assert r[4, 0] == pytest.approx(1.0) and r[0, 4] == pytest.approx(1.0)


def test_white_noise_is_mostly_high_frequency_and_a_gradient_is_not():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(4, 64, 64, 3))
    ramp = np.tile(np.linspace(-1, 1, 64)[None, None, :, None], (1, 64, 1, 3))
    # white noise spreads its power evenly: the share above 1/4 Nyquist is close to the area fraction
    area = (radial_frequency(64, 64) > 0.25).mean()
    assert high_frequency_share(noise).mean() == pytest.approx(area, abs=0.05)
    assert high_frequency_share(ramp)[0] < 0.01
    assert high_frequency_share(np.zeros((1, 16, 16, 3)))[0] == 0.0


def test_ratio_is_one_for_identity_and_grows_with_added_grain():
    rng = np.random.default_rng(1)
    x = np.linspace(-1, 1, 64)
    photos = np.sin(4 * x)[None, :, None, None] * np.cos(3 * x)[None, None, :, None] * np.ones((2, 1, 1, 3))
    assert high_frequency_ratio(photos, photos) == pytest.approx(1.0)
    grainy = photos + 0.2 * rng.normal(size=photos.shape)
    assert high_frequency_ratio(grainy, photos) > 5
