import subprocess
import sys

import keras
import numpy as np
import pytest

from animegan.choices import GENERATOR_ARCHITECTURES, NORMS, UPSAMPLE_MODES
from animegan.errors import AnimeGANError
from animegan.models import GENERATORS, AnimeGANDiscriminator, AnimeGANv1Generator, AnimeGANv2Generator, build_generator


# The harness's default cases are the classes built with no arguments: the official networks.
OFFICIAL = {AnimeGANv1Generator: "animegan-v1/instance", AnimeGANv2Generator: "animegan-v2/layer"}


def test_parameter_counts_match_the_official_networks(harness):
    assert harness.model(OFFICIAL[AnimeGANv1Generator]).count_params() == 3_956_096
    assert harness.model(OFFICIAL[AnimeGANv2Generator]).count_params() == 2_143_552


def test_official_norms_and_modes_are_the_defaults(harness):
    v1, v2 = (harness.model(case_id) for case_id in OFFICIAL.values())
    assert (type(v1), v1.norm, v1.upsample) == (AnimeGANv1Generator, "instance", "legacy")
    assert (type(v2), v2.norm, v2.upsample) == (AnimeGANv2Generator, "layer", "legacy")


def _with(harness, family: str, **attributes):
    """The harness's model of ``family`` with these attributes (its cases spread the modes over the norms)."""
    return next(m for m in harness.models(family) if all(getattr(m, k) == v for k, v in attributes.items()))


@pytest.mark.parametrize("cls", [AnimeGANv1Generator, AnimeGANv2Generator])
@pytest.mark.parametrize("mode", UPSAMPLE_MODES)
def test_fully_convolutional_at_any_size_divisible_by_four(harness, cls, mode):
    model = _with(harness, cls.architecture, upsample=mode)
    for height, width in ((32, 48), (20, 44)):
        y = np.asarray(model(np.zeros((1, height, width, 3), "float32")))
        assert y.shape == (1, height, width, 3)
        assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_choice_builds_and_is_recorded(harness, norm):
    model = _with(harness, "animegan-v2", norm=norm)
    assert model.get_config()["norm"] == norm
    assert model(np.zeros((1, 16, 16, 3), "float32")).shape == (1, 16, 16, 3)


def test_registry_knows_every_architecture_the_cli_offers():
    assert set(GENERATOR_ARCHITECTURES) <= set(GENERATORS)
    model = build_generator("animegan-v2", norm="instance", width=0.25)
    assert (type(model), model.norm, model.width) == (AnimeGANv2Generator, "instance", 0.25)
    with pytest.raises(AnimeGANError, match="unknown architecture"):
        build_generator("animegan-v9")


def test_discriminator_patch_output_and_spectral_norm():
    disc = AnimeGANDiscriminator(ch=32, n_dis=3, norm="instance")
    assert disc(np.zeros((2, 64, 48, 3), "float32")).shape == (2, 16, 12, 1)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in disc.layers)
    assert disc.get_config()["norm"] == "instance"
    plain = AnimeGANDiscriminator(ch=16, n_dis=2, spectral_norm=False)
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain.layers)


def test_import_animegan_does_not_import_tensorflow():
    code = "import sys, animegan, animegan.cli.main; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr[-2000:]


@pytest.mark.slow
def test_models_are_registered_when_another_animegan_module_imports_keras_first(harness):
    # animegan.losses imports Keras itself; the generator classes must still be registered afterwards.
    # The harness's fresh process imports just that (and then loads every family's file).
    assert harness.fresh_process()["facts"] == {"registered after importing animegan.losses": True}
