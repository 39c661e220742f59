"""Argument types shared by the subcommands: numbers checked at parse time, so a bad value is one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _checked(convert: Callable[[str], float], accept: Callable[[float], bool], requirement: str, name: str):
    def parse(text: str):
        value = convert(text)  # a ValueError here reads "invalid <name> value: 'text'"
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    parse.__name__ = name
    return parse


positive_int = _checked(int, lambda v: v > 0, "a positive integer", "positive_int")
non_negative_int = _checked(int, lambda v: v >= 0, "0 or more", "non_negative_int")
positive_float = _checked(float, lambda v: v > 0, "a positive number", "positive_float")
non_negative_float = _checked(float, lambda v: v >= 0, "0 or more", "non_negative_float")
unit_float = _checked(float, lambda v: 0.0 <= v <= 1.0, "between 0 and 1", "unit_float")
crf_value = _checked(int, lambda v: 0 <= v <= 63, "between 0 and 63", "crf_value")


def memory_size(text: str) -> int:
    """A ``--max-memory`` value: ``2G``, ``512M`` ... to bytes (``inference.memory.parse_size``)."""
    from animegan.errors import AnimeGANError
    from animegan.inference.memory import parse_size

    try:
        return parse_size(text)
    except AnimeGANError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
