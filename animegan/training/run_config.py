"""Configuration as data: how every family's settings become a dict (config.json) and come back.

``ConfigData`` gives a frozen dataclass ``to_dict`` and ``from_dict``; ``from_values`` builds one from
plain values (a recipe's TOML, a saved config.json) by its field names and type hints, so a recipe key
is the name of the field it fills and nested tables fill nested dataclasses. ``RunConfig`` is the base
of a family's run configuration: the config.json round trip, the common checks (one-line
``AnimeGANError`` naming the command-line option at fault) and what ``--resume`` may change.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import ClassVar

from animegan.errors import AnimeGANError


class ConfigData:
    """Mixin for a frozen dataclass of settings: ``to_dict`` for JSON, ``from_dict`` back."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """The settings of a saved dict; keys this version does not know are ignored."""
        return from_values(cls, values, strict=False)

    def validated(self):
        return self


def _type_name(hint) -> str:
    return getattr(hint, "__name__", str(hint))


def _coerce(hint, value, key: str, source: str, strict: bool):
    """``value`` as the annotated type: ints widen to floats, lists become tuples, tables nested dataclasses."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_values(hint, value, strict, source, prefix=f"{key}.")
    if origin is tuple and isinstance(value, (list, tuple)):
        hints = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(hints) != len(value):
            raise AnimeGANError(f"{source}: {key} needs {len(hints)} values, got {len(value)}")
        return tuple(_coerce(h, v, f"{key}[{i}]", source, strict) for i, (h, v) in enumerate(zip(hints, value)))
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if hint in (int, float, str, bool) and type(value) is not hint:
        raise AnimeGANError(f"{source}: {key} must be {'an' if hint is int else 'a'} {_type_name(hint)}, got {value!r}")
    return value


def from_values(cls, values: dict, strict: bool = True, source: str = "", prefix: str = ""):
    """An instance of the dataclass ``cls`` from plain values keyed by its field names (then ``validated``).

    ``strict``: an unknown key is an error naming the known ones (a recipe); otherwise it is ignored (a
    config.json written by another version). Missing fields take their defaults. ``source`` names the
    values in messages ("recipe hayao"), ``prefix`` the table they are in ("weights.").
    """
    source = source or cls.__name__
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - fields)
    if unknown and strict:
        known = ", ".join(prefix + name for name in sorted(fields))
        raise AnimeGANError(f"{source}: unknown key {(prefix + unknown[0])!r}; the keys are {known}")
    kwargs = {
        name: _coerce(hints[name], value, prefix + name, source, strict)
        for name, value in values.items()
        if name in fields
    }
    try:
        instance = cls(**kwargs)
    except (TypeError, ValueError) as error:  # a required field without a value, a value __post_init__ refuses
        raise AnimeGANError(f"{source}: {error}") from None
    return instance.validated() if hasattr(instance, "validated") else instance


@dataclass(frozen=True)
class SettingChange(ConfigData):
    """A setting that ``--resume`` changed: ``epoch`` is the first (1-based) epoch trained with ``after``."""

    epoch: int
    name: str
    before: float
    after: float


@dataclass(frozen=True)
class RunConfig(ConfigData):
    """Base of a family's run configuration (a frozen dataclass), saved as RUN_DIR/config.json.

    ``RESUMABLE``: the fields ``--resume`` may change silently (the run's length, where its files are);
    ``TUNABLE``: the optimizer settings it may change too (learning rates, clipping), each change kept in
    ``changes`` with the epoch it took effect. Any other difference is refused (see ``training.resume``).
    """

    changes: tuple[SettingChange, ...] = field(default=(), kw_only=True)

    RESUMABLE: ClassVar[frozenset[str]] = frozenset({"epochs"})
    TUNABLE: ClassVar[tuple[str, ...]] = ()

    def require_positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 1:
                raise AnimeGANError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")

    def require_image_size(self, multiple: int, minimum: int = 32) -> None:
        if self.image_size < minimum or self.image_size % multiple:
            raise AnimeGANError(
                f"--image-size must be a multiple of {multiple} and at least {minimum}, got {self.image_size}"
            )

    @staticmethod
    def require_choice(value, choices, what: str) -> None:
        if value not in choices:
            raise AnimeGANError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")

    # --- what --resume compares and applies (AnimeGAN adds its nested loss weights) ----------------------
    def value_of(self, name: str):
        return getattr(self, name)

    def label_of(self, name: str) -> str:
        return name

    def with_values(self, **values):
        return dataclasses.replace(self, **values).validated()


def steps_per_epoch(requested: int | None, batch_size: int, counts: dict[str, int]) -> int:
    """``requested``, else one pass over the largest image set; an error when a batch is bigger than the data."""
    steps = requested or max(counts.values()) // batch_size
    if steps < 1:
        sizes = ", ".join(f"{count} {what}" for what, count in counts.items())
        raise AnimeGANError(f"--batch-size {batch_size} is larger than the data ({sizes})")
    return steps
