"""Recipes: the official numbers, loading by name or path, and overrides."""

import pytest

from animegan.errors import AnimeGANError
from animegan.training.animegan import AnimeGANConfig
from animegan.training.recipes import load_recipe, recipe_names

# (content, style, colour, tv, d terms) from TachibanaYoshino/AnimeGANv2 train.py / tools/ops.py and
# TachibanaYoshino/AnimeGAN main.py / ops.py
OFFICIAL = {
    "hayao": (1.5, 2.5, 10.0, 1.0, (1.2, 1.2, 1.2, 0.8)),
    "shinkai": (1.2, 2.0, 10.0, 1.0, (1.7, 1.7, 1.7, 1.0)),
    "paprika": (2.0, 0.6, 50.0, 0.1, (1.0, 1.0, 1.0, 0.005)),
    "animegan-v1": (1.5, 3.0, 10.0, 0.0, (1.0, 1.0, 1.0, 0.1)),
}


def test_bundled_recipes():
    assert recipe_names("animegan") == sorted(OFFICIAL)


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_weights(name):
    recipe = load_recipe(name)
    config = AnimeGANConfig.from_recipe(recipe["arch"], recipe, data_dir="d", photos_dir="p")
    w = config.weights
    assert (w.content, w.style, w.colour, w.tv, w.d_terms) == OFFICIAL[name]
    assert (w.g_adv, w.d_adv, config.gan_loss) == (300.0, 300.0, "lsgan")


def test_v2_and_v1_schedules():
    v2 = AnimeGANConfig.from_recipe("animegan-v2", load_recipe("hayao"), data_dir="d", photos_dir="p")
    assert (v2.g_lr, v2.d_lr, v2.init_lr, v2.init_epochs, v2.epochs, v2.batch_size, v2.image_size) == (
        2e-5, 4e-5, 2e-4, 10, 101, 12, 256,
    )  # fmt: skip
    assert v2.colour_offset and v2.d_norm == "layer"
    v1 = AnimeGANConfig.from_recipe("animegan-v1", load_recipe("animegan-v1"), data_dir="d", photos_dir="p")
    assert (v1.g_lr, v1.d_lr, v1.init_lr, v1.init_epochs) == (8e-5, 1.6e-4, 1e-4, 1)
    assert not v1.colour_offset and v1.d_norm == "instance"


def test_overrides_and_round_trip(tmp_path):
    recipe_file = tmp_path / "mine.toml"
    recipe_file.write_text('arch = "animegan-v2"\n[loss]\ntv = 0.5\n')
    config = AnimeGANConfig.from_recipe(
        "animegan-v2", load_recipe(str(recipe_file)), data_dir="d", photos_dir="p", epochs=7, w_style=9.0, norm=None
    )
    assert (config.recipe, config.epochs, config.weights.tv, config.weights.style) == ("mine", 7, 0.5, 9.0)
    assert AnimeGANConfig.from_dict(config.to_dict()) == config


def test_bad_recipes(tmp_path):
    with pytest.raises(AnimeGANError, match="unknown recipe 'ghibli'"):
        load_recipe("ghibli")
    bad = tmp_path / "bad.toml"
    bad.write_text("[loss\n")
    with pytest.raises(AnimeGANError, match="not valid TOML"):
        load_recipe(str(bad))
