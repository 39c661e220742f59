"""Saving models so that a crash never leaves a half-written file at the destination."""

from __future__ import annotations

from pathlib import Path

from animegan.atomic import write_with


def save_model_atomically(model, path: str | Path) -> Path:
    """``model.save`` into a hidden temporary ``.keras`` beside ``path``, then an atomic rename."""
    return write_with(path, model.save)
