"""Where a request's files live while it runs, and their removal once it is answered.

Layout of the server's temporary folder (removed when the server stops)::

    gradio/             Gradio's uploads (deleted as soon as a handler has read them) and, under
                        results/, what the page shows and offers for download (kept for --keep-results)
    rest/ID/            one REST request's upload and result, removed when its response is built

With ``keep`` set (``--keep-uploads DIR``) every upload is first copied there under a dated name.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from animegan.atomic import check_folder, write_bytes, write_with

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(name: str | None, fallback: str = "upload") -> str:
    """A file name a user sent, reduced to a harmless base name (no folders, no dot files)."""
    base = Path(name or "").name
    base = _UNSAFE.sub("_", base).lstrip(".")[:100]
    return base or fallback


class Uploads:
    def __init__(self, root: Path, keep: Path | None = None):
        self.root = root
        self.gradio = root / "gradio"
        self.results = self.gradio / "results"
        self.rest = root / "rest"
        self.keep = keep
        for folder in (self.gradio, self.results, self.rest):
            folder.mkdir(parents=True, exist_ok=True)
        if keep is not None:
            check_folder(keep / "x", "upload copy")

    @contextmanager
    def request_folder(self) -> Iterator[Path]:
        """A fresh private folder for one REST request, removed with everything in it afterwards."""
        folder = self.rest / secrets.token_hex(8)
        folder.mkdir(mode=0o700)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def save(self, folder: Path, data: bytes, name: str | None) -> Path:
        """Writes an upload's bytes into ``folder`` (and a copy into ``keep``); returns its path."""
        path = write_bytes(folder / safe_name(name), data)
        self._keep(path)
        return path

    def result_folder(self) -> Path:
        """A fresh folder under Gradio's cache for what the page shows (Gradio serves it from there)."""
        folder = self.results / secrets.token_hex(8)
        folder.mkdir()
        return folder

    def discard(self, path: Path) -> None:
        """Deletes an upload Gradio stored (after a copy into ``keep``) and its folder when left empty."""
        path = Path(path).resolve()
        if not path.is_relative_to(self.gradio.resolve()) or path.is_relative_to(self.results.resolve()):
            return  # only what Gradio received: never another file, nor a result the page still shows
        self._keep(path)
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:
            pass  # another upload with the same content still lives there
        self._sweep_empty()

    def _sweep_empty(self, age: float = 60.0) -> None:
        """Removes the empty ``tmp*`` files gr.File(type="filepath") leaves in its cache for each file it passes.

        Only files older than ``age`` seconds: a file an upload is being written into is new, and not empty
        for long.
        """
        limit = time.time() - age
        for entry in self.gradio.glob("tmp*"):
            try:
                info = entry.lstat()
            except OSError:
                continue
            if entry.is_file() and not entry.is_symlink() and info.st_size == 0 and info.st_mtime < limit:
                entry.unlink(missing_ok=True)

    def remove_all(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _keep(self, path: Path) -> None:
        if self.keep is None or not path.is_file():
            return
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.keep / f"{stamp}-{secrets.token_hex(3)}-{safe_name(path.name)}"
        write_with(target, lambda temporary: shutil.copyfile(path, temporary), what="upload copy")
