"""Saving models so that a crash never leaves a half-written file at the destination."""

from __future__ import annotations

import os
from pathlib import Path


def save_model_atomically(model, path: str | Path) -> Path:
    """``model.save`` into a hidden temporary file beside ``path``, then an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
