"""Writing export outputs so that a failure never leaves a half-written file or directory in place.

Files are written to a hidden temporary path beside the target and moved over it with ``os.replace``;
directories (SavedModels) are built in a hidden temporary directory and renamed into place.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from animegan.errors import AnimeGANError


def check_output(path: str | Path, overwrite: bool) -> Path:
    """Refuses an existing output unless ``overwrite``; makes sure the parent can be created."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise AnimeGANError(f"{path} exists; pass --overwrite to replace it")
    if path.parent.exists() and not path.parent.is_dir():
        raise AnimeGANError(f"cannot write {path}: {path.parent} is not a folder")
    return path


def _temporary_sibling(path: Path, tag: str) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.{tag}")


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(path, "tmp")
    try:
        with open(temporary, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise AnimeGANError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    return write_bytes_atomically(path, text.encode("utf-8"))


@contextmanager
def directory_atomically(path: str | Path) -> Iterator[Path]:
    """Yields a fresh temporary directory; when the block succeeds it replaces ``path``.

    An existing ``path`` is moved aside first and deleted only after the new one is in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(path, "tmpdir")
    try:
        yield temporary
        old = None
        if path.exists():
            old = _temporary_sibling(path, "old")
            os.replace(path, old)
        os.replace(temporary, path)
        if old is not None:
            _remove(old)
    finally:
        if temporary.exists():
            _remove(temporary)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

