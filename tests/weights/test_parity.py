"""Imported random-weight references reproduce the official TF1 graph and the PyTorch port."""

import numpy as np
import pytest

from animegan.weights.importers import import_weights


@pytest.fixture(scope="module")
def v1_model(shared_dir):
    return import_weights(shared_dir / "reference/animegan_v1", "animegan-v1")


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_v1_matches_the_official_tf1_graph(shared_dir, v1_model, name):
    io = np.load(shared_dir / "reference/animegan_v1/io.npz")
    assert v1_model.upsample == "legacy"
    y = v1_model.predict(io[f"{name}_input"], verbose=0)
    assert np.abs(y - io[f"{name}_output"]).max() < 1e-3


def test_v1_checkpoint_prefix_is_accepted(shared_dir):
    model = import_weights(shared_dir / "reference/animegan_v1/Hayao-random", "animegan-v1")
    assert model.count_params() == 3_956_096


@pytest.mark.parametrize("mode,suffix", [("half_pixel", "0"), ("align_corners", "1")])
def test_v2_matches_the_pytorch_port_in_both_modes(shared_dir, mode, suffix):
    io = np.load(shared_dir / "reference/animegan_v2/io.npz")
    model = import_weights(shared_dir / "reference/animegan_v2/generator-random.pt", "animegan-v2", upsample=mode)
    for name in ("astronaut", "coffee"):
        y = model.predict(io[f"{name}_input"], verbose=0)
        assert np.abs(y - io[f"{name}_output_align_corners_{suffix}"]).max() < 1e-3


def test_pt_default_mode_is_half_pixel(shared_dir):
    model = import_weights(shared_dir / "reference/animegan_v2/generator-random.pt", "animegan-v2")
    assert model.upsample == "half_pixel"
