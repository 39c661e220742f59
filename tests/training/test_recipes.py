"""Recipes: the official numbers, loading by name or path, overrides, and the keys = field names loader."""

import json
import tomllib
from pathlib import Path

import pytest

from animegan.errors import AnimeGANError
from animegan.training.animegan import AnimeGANConfig, LossWeights
from animegan.training.recipes import RECIPE_DIR, load_recipe, recipe_names

# The bundled recipes as they were before their keys became the config's field names (commit 24aacdf).
LEGACY_RECIPES = Path(__file__).resolve().parent / "legacy_recipes"

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
    recipe_file.write_text('arch = "animegan-v2"\n[weights]\ntv = 0.5\n')
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


# The old format's (table, key, type) of each config field, as the hand-written mapping read them.
LEGACY_FIELDS = {
    "epochs": ("schedule", "epochs", int), "init_epochs": ("schedule", "init_epochs", int),
    "batch_size": ("schedule", "batch_size", int), "image_size": ("schedule", "image_size", int),
    "init_lr": ("optimizer", "init_lr", float), "g_lr": ("optimizer", "g_lr", float),
    "d_lr": ("optimizer", "d_lr", float), "clipnorm": ("optimizer", "clipnorm", float),
    "gan_loss": ("loss", "gan", str), "colour_offset": ("data", "colour_offset", bool),
    "d_ch": ("discriminator", "ch", int), "d_layers": ("discriminator", "n_dis", int),
    "d_norm": ("discriminator", "norm", str), "d_spectral_norm": ("discriminator", "spectral_norm", bool),
}  # fmt: skip
LEGACY_TERMS = ("real", "fake", "gray", "smooth")  # [loss] d_real ... d_smooth -> weights.d_terms


def legacy_config(arch: str, recipe: dict) -> AnimeGANConfig:
    """What the hand-written mapping of the old format gave (AnimeGANConfig.from_recipe before the change)."""
    assert recipe.get("schedule", {}).get("training_rate", 1) == 1
    values = {
        name: kind(recipe.get(table, {}).get(key, getattr(AnimeGANConfig, name)))
        for name, (table, key, kind) in LEGACY_FIELDS.items()
    }
    loss, defaults = recipe.get("loss", {}), LossWeights()
    names = ("g_adv", "d_adv", "content", "style", "colour", "tv")
    weights = {name: float(loss.get(name, getattr(defaults, name))) for name in names}
    weights["d_terms"] = tuple(float(loss.get(f"d_{k}", v)) for k, v in zip(LEGACY_TERMS, defaults.d_terms))
    return AnimeGANConfig(
        arch=arch, data_dir="d", photos_dir="p", recipe=recipe.get("name", ""), weights=LossWeights(**weights), **values
    )


def test_every_recipe_loads_to_the_values_the_old_mapping_gave():
    legacy = sorted(p.stem for p in LEGACY_RECIPES.glob("*.toml"))
    assert legacy == sorted(p.stem for p in RECIPE_DIR.glob("*.toml"))
    for name in legacy:
        old = tomllib.loads((LEGACY_RECIPES / f"{name}.toml").read_text())
        old["name"] = name
        for arch in ("animegan-v1", "animegan-v2"):
            expected = legacy_config(arch, old)
            loaded = AnimeGANConfig.from_recipe(arch, load_recipe(name), data_dir="d", photos_dir="p")
            assert loaded == expected, name
            # the same JSON too: no int where the old mapping gave a float
            assert json.dumps(loaded.to_dict(), sort_keys=True) == json.dumps(expected.to_dict(), sort_keys=True)


def test_recipe_keys_are_field_names_and_a_wrong_key_or_type_is_one_line(tmp_path):
    recipe = tmp_path / "typo.toml"
    recipe.write_text("g_lr = 1e-5\n[weights]\nstyel = 2.0\n")
    with pytest.raises(AnimeGANError, match=r"recipe typo: unknown key 'weights.styel'; the keys are .*weights.style"):
        AnimeGANConfig.from_recipe("animegan-v2", load_recipe(str(recipe)), data_dir="d", photos_dir="p")
    recipe.write_text('[schedule]\nepochs = 3\n')  # the old layout is refused, not silently ignored
    with pytest.raises(AnimeGANError, match="unknown key 'schedule'"):
        AnimeGANConfig.from_recipe("animegan-v2", load_recipe(str(recipe)), data_dir="d", photos_dir="p")
    recipe.write_text('epochs = "many"\n')
    with pytest.raises(AnimeGANError, match="recipe typo: epochs must be an int, got 'many'"):
        AnimeGANConfig.from_recipe("animegan-v2", load_recipe(str(recipe)), data_dir="d", photos_dir="p")
    recipe.write_text('family = "cyclegan"\n')
    with pytest.raises(AnimeGANError, match="is for cyclegan, not animegan"):
        AnimeGANConfig.from_recipe("animegan-v2", load_recipe(str(recipe)), data_dir="d", photos_dir="p")
    recipe.write_text("epochs = 7\n[weights]\ntv = 2\nd_terms = [1, 1, 1, 0.5]\n")  # ints widen to floats
    config = AnimeGANConfig.from_recipe("animegan-v2", load_recipe(str(recipe)), data_dir="d", photos_dir="p")
    assert (config.epochs, config.weights.tv, config.weights.d_terms) == (7, 2.0, (1.0, 1.0, 1.0, 0.5))
    assert isinstance(config.weights.tv, float)
