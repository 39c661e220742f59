"""Recipes: the official hyper-parameters of a model family, as small TOML files in ``recipes/``.

``load_recipe("hayao")`` reads ``recipes/hayao.toml``; a path to a ``.toml`` file works too, so a user can
copy a recipe, edit it and pass ``--recipe my.toml``. Each family interprets the tables it knows.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from animegan.errors import AnimeGANError

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"


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
    recipe.setdefault("name", path.stem)
    return recipe
