"""Downloads into the user's cache, resumably, never leaving a corrupt file under the final name.

A download goes to ``NAME.part`` beside its destination. An interrupted transfer keeps the ``.part`` and
the next attempt asks for the rest with an HTTP Range request; a server that answers 200 instead of 206
sends the whole file again and the ``.part`` is restarted. A finished transfer is checked (size, and
sha256 when pinned) and only then renamed into place in one step. urllib only, so no extra dependency.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from animegan.errors import AnimeGANError

CHUNK = 1 << 16
USER_AGENT = "animegan-weights/0.1 (+urllib)"


class DownloadError(AnimeGANError):
    """A transfer that did not complete (network, HTTP status, interruption); ``reason`` is short."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"could not download {url} ({reason})")
        self.url = url
        self.reason = reason


class IntegrityError(AnimeGANError):
    """A complete transfer whose size or checksum is wrong; the file has been deleted."""


def cache_dir() -> Path:
    """``$ANIMEGAN_CACHE``, else ``$XDG_CACHE_HOME/animegan``, else ``~/.cache/animegan`` (read per call)."""
    explicit = os.environ.get("ANIMEGAN_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "animegan"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    attempts: int = 3,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Fetches ``url`` to ``dest`` unless a verified file is already there; returns ``dest``.

    Up to ``attempts`` transfers, each resuming the ``.part`` left by the one before. Raises
    ``DownloadError`` when the last attempt fails (the ``.part`` is kept for a later resume) and
    ``IntegrityError`` when the complete file has the wrong size or checksum (the ``.part`` is deleted).
    """
    dest = Path(dest)
    if dest.is_file():
        verify(dest, url, sha256=sha256, size=size)  # a file placed by hand is checked too
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(dest.parent):
        if dest.is_file():  # another process finished it while we waited
            verify(dest, url, sha256=sha256, size=size)
            return dest
        return _download_locked(url, dest, sha256=sha256, size=size, attempts=attempts, timeout=timeout, progress=progress)


def _download_locked(
    url: str, dest: Path, *, sha256: str | None, size: int | None, attempts: int, timeout: float, progress: bool
) -> Path:
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            _transfer(url, part, size=size, timeout=timeout, progress=progress)
            break
        except DownloadError:
            if attempt == attempts:
                raise
    verify(part, url, sha256=sha256, size=size, shown_name=dest.name)
    os.replace(part, dest)
    return dest


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serializes downloads into ``folder`` across processes (two `stylize --model hayao` at once would
    otherwise append to the same .part). POSIX flock on the folder itself, so no lock file is left
    behind; where flock is missing (Windows) concurrent downloads of one file are not guarded."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def verify(path: Path, url: str, *, sha256: str | None, size: int | None, shown_name: str | None = None) -> None:
    """Size and (when pinned) sha256 of ``path``; on a mismatch the file is deleted and IntegrityError raised."""
    name = shown_name or path.name
    actual_size = path.stat().st_size
    problem = None
    if size is not None and actual_size != size:
        problem = f"{actual_size} bytes, expected {size}"
    elif sha256 is not None:
        actual = sha256_of(path)
        if actual != sha256.lower():
            problem = f"sha256 {actual}, expected {sha256.lower()}"
    if problem:
        path.unlink(missing_ok=True)
        raise IntegrityError(f"{name} from {url} is corrupt ({problem}); it was deleted, run the command again")


def _transfer(url: str, part: Path, *, size: int | None, timeout: float, progress: bool) -> None:
    """One HTTP request that appends to (206) or restarts (200) ``part``; raises DownloadError."""
    have = part.stat().st_size if part.is_file() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None and have == size:
        return
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing past what we have: start again rather than guess
            part.unlink(missing_ok=True)
            raise DownloadError(url, "server refused to resume; restarting") from None
        raise DownloadError(url, f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise DownloadError(url, _reason(error)) from None
    with response:
        try:
            start = _resume_offset(response, have)
        except DownloadError:
            part.unlink(missing_ok=True)  # the next attempt starts from scratch
            raise
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else size
        mode = "ab" if start else "wb"
        with open(part, mode) as f:
            if start == 0:
                f.truncate(0)
            received = _copy(response, f, url, start, total, part.name[: -len(".part")], progress)
            f.flush()
            os.fsync(f.fileno())
    if total is not None and start + received < total:
        raise DownloadError(url, f"connection closed after {start + received} of {total} bytes")


def _resume_offset(response, have: int) -> int:
    """Where the body starts: ``have`` for a matching 206, 0 when the server sends the whole file."""
    if response.status != 206:
        return 0
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    if match is None or int(match[1]) != have:
        raise DownloadError(response.url, f"server resumed at the wrong offset ({response.headers.get('Content-Range')})")
    return have


def _copy(response, f, url: str, start: int, total: int | None, name: str, progress: bool) -> int:
    from tqdm import tqdm

    received = 0
    with tqdm(
        total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
        desc=name, file=sys.stderr, disable=not progress, leave=False,
    ) as bar:
        while True:
            try:
                block = response.read(CHUNK)
            except http.client.IncompleteRead as error:
                f.write(error.partial)
                received += len(error.partial)
                break
            except (OSError, http.client.HTTPException) as error:
                raise DownloadError(url, f"{_reason(error)} after {start + received} bytes") from None
            if not block:
                break
            f.write(block)
            received += len(block)
            bar.update(len(block))
    return received


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    text = (getattr(reason, "strerror", None) or str(reason)).strip()
    return text.splitlines()[0] if text else type(error).__name__
