"""Downloads into the user's cache with pooch: retries, a progress bar, checksums, nothing half-written.

pooch streams each attempt into a temporary file and keeps it only when the transfer is complete and its
sha256 (when pinned) matches; the checks pooch cannot do (a git blob id, an exact size) run in our
downloader, before pooch accepts the file. pooch works in a hidden staging folder named by
``atomic.temporary_path`` (so ``remove_stale`` clears one left by a killed run) and the verified file is
renamed into place through ``atomic.write_with``. pooch (and requests) are imported only when a transfer
starts: a cached model resolves without them, and nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from animegan.atomic import check_folder, remove_stale, temporary_path, write_with
from animegan.errors import AnimeGANError


class DownloadError(AnimeGANError):
    """A transfer that did not complete (network, HTTP status, interruption); ``reason`` is short."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"could not download {url} ({reason})")
        self.url = url
        self.reason = reason


class IntegrityError(AnimeGANError, ValueError):
    """A complete transfer whose size or checksum is wrong; the file has been deleted.

    A ValueError too, because that is what pooch retries: a wrong git blob id gets the same second
    chance as a wrong sha256 (a corrupted transfer), then it is refused.
    """


def cache_dir() -> Path:
    """``$ANIMEGAN_CACHE``, else ``$XDG_CACHE_HOME/animegan``, else ``~/.cache/animegan`` (read per call)."""
    explicit = os.environ.get("ANIMEGAN_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "animegan"


def git_blob_id(path: str | os.PathLike[str]) -> str:
    """The id git gives the file's content: SHA-1 of ``b"blob <size>\\0" + data``.

    GitHub shows it for every committed file, so a preset can be pinned without downloading it first.
    """
    path = Path(path)
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    git_blob: str | None = None,
    size: int | None = None,
    attempts: int = 3,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Fetches ``url`` to ``dest`` unless a verified file is already there; returns ``dest``.

    Up to ``attempts`` transfers (pooch waits 1 s, 2 s, ... between them). Raises ``DownloadError``
    when the last one fails and ``IntegrityError`` when the file has the wrong size or checksum;
    either way nothing is left in ``dest``'s folder.
    """
    dest = Path(dest)
    checks = {"sha256": sha256, "git_blob": git_blob, "size": size}
    if not dest.is_file():
        check_folder(dest, "download")
        remove_stale(dest.parent)
        with _folder_lock(dest.parent):
            if not dest.is_file():  # else another process finished it while we waited
                _fetch(url, dest, checks, attempts=attempts, timeout=timeout, progress=progress)
                return dest
    verify(dest, url, **checks)  # a file placed by hand is checked too
    return dest


def verify(
    path: Path,
    url: str,
    *,
    sha256: str | None = None,
    git_blob: str | None = None,
    size: int | None = None,
    shown_name: str | None = None,
) -> None:
    """Size, git blob id and sha256 of ``path`` where given; on a mismatch deletes it, raises IntegrityError."""
    actual_size = path.stat().st_size
    problem = None
    if size is not None and actual_size != size:
        problem = f"{actual_size} bytes, expected {size}"
    elif git_blob is not None and (actual := git_blob_id(path)) != git_blob.lower():
        problem = f"git blob {actual}, expected {git_blob.lower()}"
    elif sha256 is not None:
        import pooch

        if (actual := pooch.file_hash(str(path))) != sha256.lower():
            problem = f"sha256 {actual}, expected {sha256.lower()}"
    if problem:
        path.unlink(missing_ok=True)
        raise _corrupt(shown_name or path.name, url, problem)


def _fetch(url: str, dest: Path, checks: dict, *, attempts: int, timeout: float, progress: bool) -> None:
    import pooch
    import requests

    attempt = 0

    def downloader(url: str, output_file: str, fetcher) -> None:
        nonlocal attempt
        attempt += 1
        if progress:
            again = f" (attempt {attempt} of {attempts})" if attempt > 1 else ""
            print(f"animegan: downloading {dest.name} from {url}{again}", file=sys.stderr)
        pooch.HTTPDownloader(progressbar=progress, timeout=timeout)(url, output_file, fetcher)
        # After the transfer, before pooch accepts the file: what pooch's known_hash cannot express.
        verify(Path(output_file), url, git_blob=checks["git_blob"], size=checks["size"], shown_name=dest.name)

    staging = temporary_path(dest, ".download")
    known = f"sha256:{checks['sha256']}" if checks["sha256"] else None
    fetcher = pooch.create(
        path=staging, base_url="", registry={dest.name: known}, urls={dest.name: url}, retry_if_failed=attempts - 1
    )
    logger = pooch.get_logger()  # its INFO lines name the staging folder; the downloader says what it fetches
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        fetched = fetcher.fetch(dest.name, downloader=downloader)
        write_with(dest, lambda temporary: os.replace(fetched, temporary))
    except IntegrityError:
        raise
    except requests.exceptions.RequestException as error:
        raise DownloadError(url, _reason(error)) from None
    except ValueError as error:  # pooch's sha256 check, the only ValueError it raises here
        got = re.search(r"but got (\w+)", str(error))
        raise _corrupt(dest.name, url, f"sha256 {got[1] if got else '?'}, expected {checks['sha256']}") from None
    finally:
        logger.setLevel(level)
        shutil.rmtree(staging, ignore_errors=True)


def _corrupt(name: str, url: str, problem: str) -> IntegrityError:
    return IntegrityError(f"{name} from {url} is corrupt ({problem}); it was deleted, run the command again")


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serializes downloads into ``folder`` (processes and threads), so a file is fetched once. POSIX
    flock on the folder itself, so no lock file is left; without flock (Windows) each is still whole."""
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


def _reason(error: Exception) -> str:
    """A requests error in a few words: 'HTTP 500 Internal Server Error', 'Connection refused', ..."""
    response = getattr(error, "response", None)
    if response is not None and response.status_code >= 400:
        return f"HTTP {response.status_code} {response.reason}"
    text = str(error)
    for pattern, template in (
        (r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", "connection closed after {} bytes, {} more expected"),
        (r"\[Errno -?\d+\] ([^'\")]+)", "{}"),
        (r"(timed out)", "{}"),
    ):
        match = re.search(pattern, text)
        if match:
            return template.format(*match.groups()).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
