"""Recipes: the official hyper-parameters of a model family, as small TOML files in ``recipes/``.

``load_recipe("hayao")`` reads ``recipes/hayao.toml``; a path to a ``.toml`` file works too, so a user can
copy a recipe, edit it and pass ``--recipe my.toml``. Every key of a recipe is the name of the config
field it fills (a table fills a nested dataclass: ``[weights]``), besides the three that describe the
recipe itself (``RECIPE_METADATA``); ``recipe_config`` is the one loader for every family.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from animegan.errors import AnimeGANError
from animegan.training.run_config import from_values

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"
RECIPE_METADATA = ("name", "description", "family")


def recipe_names(family: str | None = None) -> list[str]:
    """Names of the bundled recipes (of one ``family`` when given), sorted."""
    names = []
    for path in sorted(RECIPE_DIR.glob("*.toml")):
        if family is None or _read(path).get("family") == family:
            names.append(path.stem)
    return names


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as error:
        raise AnimeGANError(f"cannot read recipe {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise AnimeGANError(f"recipe {path} is not valid TOML: {error}") from None


def recipe_name(name_or_path: str) -> str:
    """The name a recipe is known by: a bundled recipe's name, or a ``.toml`` file's stem."""
    path = Path(name_or_path)
    return path.stem if path.suffix == ".toml" else name_or_path


def load_recipe(name_or_path: str) -> dict:
    """The recipe as a dict, with ``name`` set to its name (or file stem)."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise AnimeGANError(f"recipe file not found: {name_or_path}")
    else:
        path = RECIPE_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise AnimeGANError(
                f"unknown recipe {name_or_path!r}; choose one of {', '.join(recipe_names())} or pass a .toml file"
            )
    recipe = _read(path)
    recipe.setdefault("name", recipe_name(name_or_path))
    return recipe


def _merged(base: dict, overrides: dict) -> dict:
    """``base`` with ``overrides`` on top; a nested table is merged key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def recipe_config(config_cls, recipe: dict, family: str, overrides: dict):
    """The ``config_cls`` of ``recipe``'s values with ``overrides`` (field name -> value) on top.

    A key that is not a field of the config is an error naming the fields, so a typo never passes silently.
    """
    if recipe.get("family", family) != family:
        raise AnimeGANError(f"recipe {recipe.get('name')!r} is for {recipe.get('family')}, not {family}")
    values = {key: value for key, value in recipe.items() if key not in RECIPE_METADATA}
    return from_values(config_cls, _merged(values, overrides), strict=True, source=f"recipe {recipe.get('name')}")
