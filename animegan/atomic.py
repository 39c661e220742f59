"""Every file and folder the project writes goes through here, so a failure never leaves a half-written one.

A write goes to a hidden temporary beside its target, named ``.NAME.<pid>.animegan-tmp<SUFFIX>`` (the
suffix kept, so encoders that choose a format by extension still see it), is flushed to disk and renamed
over the target in one step (``os.replace``). The temporary is removed on any error, Ctrl-C included;
the CLI turns SIGTERM into the same ``KeyboardInterrupt``. Only a killed process (SIGKILL, power loss)
can leave one behind: its name carries the writer's pid, so ``remove_stale`` (called before a folder is
written again) deletes the ones whose process is gone and never one that a live process is writing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from animegan.errors import AnimeGANError

MARK = "animegan-tmp"
_STALE = re.compile(rf"^\..+\.(\d+)\.{MARK}")


def temporary_path(path: str | Path, tag: str = "") -> Path:
    """The hidden temporary that ``path`` is written as: same folder, same suffix, the writer's pid."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{MARK}{tag}{path.suffix}")


def check_folder(path: str | Path, what: str = "") -> Path:
    """Creates ``path``'s parent folder, or refuses in one line when it cannot be a folder or be written.

    ``what`` ("image", "video", ...) names the kind of output in the message.
    """
    path = Path(path)
    parent = path.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise _cannot(path, what, f"{ancestor} is not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot(path, what, reason(error)) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _cannot(path, what, f"{parent} is not writable")
    return path


@contextmanager
def replacing(path: str | Path, tag: str = "", what: str = "") -> Iterator[Path]:
    """Yields the temporary path to write; when the block succeeds it replaces ``path`` (file or folder).

    An existing folder at ``path`` is moved aside first and deleted only once the new one is in place.
    """
    path = check_folder(path, what)
    temporary = temporary_path(path, tag)
    _remove(temporary)
    try:
        yield temporary
        if temporary.is_dir():
            _fsync_tree(temporary)
            old = temporary_path(path, ".old") if path.is_dir() else None
            if old is not None:
                _remove(old)
                os.replace(path, old)
            os.replace(temporary, path)
            if old is not None:
                _remove(old)
        else:
            os.replace(temporary, path)
        _fsync(path.parent)
    except OSError as error:
        raise _cannot(path, what, reason(error)) from None
    finally:
        _remove(temporary)


@contextmanager
def open_for_writing(path: str | Path, what: str = "") -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: flushed, synced and renamed into place when the block ends."""
    with replacing(path, what=what) as temporary:
        with open(temporary, "xb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def write_bytes(path: str | Path, data: bytes) -> Path:
    with open_for_writing(path) as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_with(path: str | Path, write: Callable[[Path], object], what: str = "") -> Path:
    """``write(temporary)`` for writers that take a path (``model.save``, encoders), then the rename."""
    with replacing(path, what=what) as temporary:
        write(temporary)
        if temporary.is_file():
            _fsync_file(temporary)
    return Path(path)


def remove_stale(folder: str | Path) -> int:
    """Deletes the temporaries in ``folder`` left by writers that no longer run; returns how many."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for entry in entries:
        match = _STALE.match(entry.name)
        if match and not _alive(int(match.group(1))):
            _remove(entry)
            removed += 1
    return removed


def _cannot(path: Path, what: str, why: str) -> AnimeGANError:
    return AnimeGANError(f"cannot write {what + ' ' if what else ''}{path}: {why}")


def reason(error: OSError) -> str:
    """An OSError as a user reads it: 'No space left on device', not the errno tuple."""
    return error.strerror or str(error)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_tree(folder: Path) -> None:
    for entry in folder.rglob("*"):
        if entry.is_file():
            _fsync_file(entry)


def _fsync(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the rename is atomic all the same
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the rename is done
    finally:
        os.close(fd)
