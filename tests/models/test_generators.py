import subprocess
import sys

import keras
import numpy as np
import pytest

from animegan.choices import GENERATOR_ARCHITECTURES, NORMS, UPSAMPLE_MODES
from animegan.errors import AnimeGANError
from animegan.models import GENERATORS, AnimeGANDiscriminator, AnimeGANv1Generator, AnimeGANv2Generator, build_generator


def test_parameter_counts_match_the_official_networks():
    assert AnimeGANv1Generator().count_params() == 3_956_096
    assert AnimeGANv2Generator().count_params() == 2_143_552


def test_official_norms_and_modes_are_the_defaults():
    v1, v2 = AnimeGANv1Generator(), AnimeGANv2Generator()
    assert (v1.norm, v1.upsample) == ("instance", "legacy")
    assert (v2.norm, v2.upsample) == ("layer", "legacy")


@pytest.mark.parametrize("cls", [AnimeGANv1Generator, AnimeGANv2Generator])
@pytest.mark.parametrize("mode", UPSAMPLE_MODES)
def test_fully_convolutional_at_any_size_divisible_by_four(cls, mode):
    model = cls(upsample=mode)
    for height, width in ((32, 48), (20, 44)):
        y = np.asarray(model(np.zeros((1, height, width, 3), "float32")))
        assert y.shape == (1, height, width, 3)
        assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_choice_builds_and_is_recorded(norm):
    model = AnimeGANv2Generator(norm=norm)
    assert model.get_config()["norm"] == norm
    assert model(np.zeros((1, 16, 16, 3), "float32")).shape == (1, 16, 16, 3)


def test_registry_knows_every_architecture_the_cli_offers():
    assert set(GENERATOR_ARCHITECTURES) <= set(GENERATORS)
    assert build_generator("animegan-v1", norm="layer").norm == "layer"
    with pytest.raises(AnimeGANError, match="unknown architecture"):
        build_generator("animegan-v9")


def test_discriminator_patch_output_and_spectral_norm():
    disc = AnimeGANDiscriminator(ch=32, n_dis=3, norm="instance")
    assert disc(np.zeros((2, 64, 48, 3), "float32")).shape == (2, 16, 12, 1)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in disc.layers)
    assert disc.get_config()["norm"] == "instance"
    plain = AnimeGANDiscriminator(ch=16, n_dis=2, spectral_norm=False)
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain.layers)


def test_keras_file_round_trip_in_a_fresh_process(tmp_path):
    keras.utils.set_random_seed(3)
    model = AnimeGANv1Generator(norm="layer", upsample="align_corners")
    disc = AnimeGANDiscriminator(ch=16, norm="batch")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 24, 28, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.asarray(model(x)))
    np.save(tmp_path / "d.npy", np.asarray(disc(x)))
    model.save(tmp_path / "g.keras")
    disc.save(tmp_path / "d.keras")
    script = f"""
import numpy as np, animegan, keras
p = {str(tmp_path)!r}
g = keras.saving.load_model(p + '/g.keras'); d = keras.saving.load_model(p + '/d.keras')
x = np.load(p + '/x.npy')
assert type(g).__name__ == 'AnimeGANv1Generator' and (g.norm, g.upsample) == ('layer', 'align_corners')
assert type(d).__name__ == 'AnimeGANDiscriminator' and d.norm == 'batch'
np.testing.assert_allclose(np.asarray(g(x)), np.load(p + '/y.npy'), atol=1e-6)
np.testing.assert_allclose(np.asarray(d(x)), np.load(p + '/d.npy'), atol=1e-6)
print('ok')
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_import_animegan_does_not_import_tensorflow():
    code = "import sys, animegan, animegan.cli.main; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr[-2000:]


def test_models_are_registered_when_another_animegan_module_imports_keras_first():
    # animegan.losses imports Keras itself; the generator classes must still be registered afterwards.
    code = (
        "import animegan.losses, keras; "
        "print(keras.saving.get_registered_object('animegan>AnimeGANv2Generator') is not None)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split()[-1:] == ["True"], result.stderr[-2000:]
