"""A model as bytes that travel to Ray workers: resolved once on the driver, unpacked once per machine.

A worker on another machine cannot read the driver's files (a preset's cache, the bundled default, a
SavedModel folder), so the driver packs the model (file or folder, with an export's ``.json`` sidecar)
into an uncompressed tar. Each machine unpacks it under its temporary folder, keyed by the content's
hash, through ``animegan.atomic`` (a folder appears whole or not at all); later workers there reuse it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from animegan.atomic import remove_stale, replacing
from animegan.errors import AnimeGANError
from animegan.inference.metadata import metadata_path


@dataclass(frozen=True)
class ShippedModel:
    name: str  # the model's file or folder name, kept so the backend is chosen as on the driver
    digest: str  # sha256 of ``archive``
    archive: bytes

    @classmethod
    def pack(cls, path: str | Path) -> ShippedModel:
        path = Path(path)
        buffer = io.BytesIO()
        try:
            with tarfile.open(fileobj=buffer, mode="w") as tar:
                tar.add(path, arcname=path.name)
                sidecar = metadata_path(path)
                if not path.is_dir() and sidecar.is_file():
                    tar.add(sidecar, arcname=sidecar.name)
        except OSError as error:
            raise AnimeGANError(f"cannot read the model {path}: {error.strerror or error}") from None
        archive = buffer.getvalue()
        return cls(path.name, hashlib.sha256(archive).hexdigest(), archive)

    def unpack(self, root: str | Path | None = None) -> Path:
        """The model's path on this machine, unpacked on first use."""
        folder = Path(root or Path(tempfile.gettempdir()) / "animegan-ray-models") / self.digest[:24]
        if not (folder / self.name).exists():
            remove_stale(folder.parent)  # what a worker killed while unpacking left
            with replacing(folder, what="model folder") as temporary:
                temporary.mkdir(parents=True)
                with tarfile.open(fileobj=io.BytesIO(self.archive), mode="r") as tar:
                    tar.extractall(temporary, filter="data")
        return folder / self.name
