"""Known pretrained styles: name → where its weights live and how to convert them.

Adding a style is one entry in ``PRESETS``. Every URL names a commit, never a branch, so its bytes cannot
change under the same URL. Checksums: the PyTorch port's files carry their git blob ids (what GitHub
shows for a committed file: SHA-1 of ``b"blob <size>\\0" + data``), so they are verified without anyone
having downloaded them first. The official TF1 checkpoints are pinned by commit only (``sha256=None``):
their integrity rests on the commit-pinned URL, the server's Content-Length and the files converting (a
truncated or garbled checkpoint fails the import and is deleted). A maintainer pins a sha256 after one
verified download: ``python scripts/pin_checksums.py`` prints the lines to paste here, after which a
mismatch is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

_V2_TF1 = "https://github.com/TachibanaYoshino/AnimeGANv2/raw/{commit}/checkpoint"
# The commit at which each official checkpoint's files are in the repository (another commit's Hayao
# folder names Hayao-99.ckpt: branch URLs are not stable).
_V2_TF1_COMMITS = {
    "Hayao": "94d74af09efbec2b6e3d2b8cd9f5ed0f8eeeb8e3",
    "Paprika": "4c5ab5a3f153726e0aae05950f13fc10c9f92b6e",
    "Shinkai": "453725e87472c809f21a320c8f9d34c7ffb179ea",
}
_PORT = "https://github.com/bryandlee/animegan2-pytorch/raw/25d7b017267208dfaf34026aa3425e518372aa2f/weights"
# git blob ids of weights/NAME.pt at that commit
_PORT_BLOBS = {
    "face_paint_512_v1": "19c1a1da4d9580186109a2b055d91044e5127de6",
    "face_paint_512_v2": "d75102f8f201ddaf8dbe6b913b1a97585b55f838",
    "celeba_distill": "3b7ea61b02254980831cc3bc77af30666dbc999c",
    "paprika": "58086c9db9fc7a9e5c2876ca31b8079599352643",
}

_TF1_LICENCE = (
    "AnimeGANv2 (Xin Chen / TachibanaYoshino): free for non-commercial use (research, teaching, "
    "publications); commercial use needs the author's permission"
)
_PORT_LICENCE = (
    "weights published by bryandlee's PyTorch port (code MIT); no separate weights licence is stated"
)


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch. ``name`` is its file name in the cache's downloads folder."""

    name: str
    url: str
    sha256: str | None = None  # None: not pinned yet (see the module docstring)
    size: int | None = None  # exact size in bytes when known; None: trust Content-Length
    git_blob: str | None = None  # the file's git blob id, when it is published in a git repository


@dataclass(frozen=True)
class Preset:
    """A pretrained style that ``resolve_model`` can download, convert and cache by name."""

    name: str
    description: str
    arch: str  # a models/registry.py generator name
    source_format: str  # "pt" (a torch.save state_dict) or "tf1" (checkpoint .index + .data files)
    files: tuple[RemoteFile, ...]
    licence: str
    upsample: str  # the resize mode the weights were trained/run with (choices.UPSAMPLE_MODES)
    approx_bytes: int = 8_600_000  # what `weights list` shows while the exact size is unknown

    @property
    def size(self) -> int | None:
        """Total download size in bytes, or None when any file's exact size is unknown."""
        sizes = [f.size for f in self.files]
        return None if None in sizes else sum(sizes)

    @property
    def import_source(self) -> str:
        """What ``import_weights`` reads, relative to the downloads folder (a .pt or a checkpoint prefix)."""
        if self.source_format == "pt":
            return self.files[0].name
        index = next(f.name for f in self.files if f.name.endswith(".index"))
        return index[: -len(".index")]  # the checkpoint prefix


def _tf1(name: str, style: str, step: int, description: str) -> Preset:
    prefix = f"{style}-{step}.ckpt"
    folder = f"{_V2_TF1.format(commit=_V2_TF1_COMMITS[style])}/generator_{style}_weight"
    return Preset(
        name=name,
        description=description,
        arch="animegan-v2",
        source_format="tf1",
        files=(
            RemoteFile(f"{prefix}.index", f"{folder}/{prefix}.index"),
            RemoteFile(f"{prefix}.data-00000-of-00001", f"{folder}/{prefix}.data-00000-of-00001"),
        ),
        licence=_TF1_LICENCE,
        upsample="legacy",  # TF1 resize_images, what the official checkpoints were trained with
    )


def _port(name: str, description: str, upsample: str, licence: str = _PORT_LICENCE, preset: str | None = None) -> Preset:
    return Preset(
        name=preset or name,
        description=description,
        arch="animegan-v2",
        source_format="pt",
        files=(RemoteFile(f"{name}.pt", f"{_PORT}/{name}.pt", git_blob=_PORT_BLOBS[name]),),
        licence=licence,
        upsample=upsample,
    )


_BUILTIN = (
    _tf1("hayao", "Hayao", 64, "AnimeGANv2 official: Miyazaki Hayao (The Wind Rises), landscapes"),
    _tf1("shinkai", "Shinkai", 53, "AnimeGANv2 official: Makoto Shinkai (Your Name, Weathering with You)"),
    _tf1("paprika", "Paprika", 54, "AnimeGANv2 official: Kon Satoshi (Paprika)"),
    # The port's face models were trained in PyTorch and are run by its face2paint/torch.hub path with
    # the forward()'s default align_corners=True.
    _port("face_paint_512_v1", "PyTorch port: face portraits v1 (trained on 512x512 faces)", "align_corners"),
    _port("face_paint_512_v2", "PyTorch port: face portraits v2 (more robust, less beautified)", "align_corners"),
    _port("celeba_distill", "PyTorch port: webtoon faces distilled on CelebA-HQ (256x256)", "align_corners"),
    # Converted by the port from the official TF1 Paprika checkpoint, so the TF1 resize reproduces it.
    _port(
        "paprika",
        "PyTorch port: the official Paprika weights converted to .pt",
        "legacy",
        licence=f"converted from the official checkpoint, so its terms apply: {_TF1_LICENCE}",
        preset="paprika_pt",
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in _BUILTIN}


def register_preset(preset: Preset, *, replace: bool = False) -> Preset:
    """Adds a style to ``PRESETS`` (a plug-in's own style, or a test's local-server one)."""
    if preset.name in PRESETS and not replace:
        raise ValueError(f"a preset named {preset.name!r} exists; pass replace=True")
    PRESETS[preset.name] = preset
    return preset


@contextlib.contextmanager
def temporary_preset(preset: Preset) -> Iterator[Preset]:
    """Registers ``preset`` for the duration of a ``with`` block (tests point one at a local server)."""
    previous = PRESETS.get(preset.name)
    PRESETS[preset.name] = preset
    try:
        yield preset
    finally:
        if previous is None:
            PRESETS.pop(preset.name, None)
        else:
            PRESETS[preset.name] = previous


def find_preset(name: str) -> Preset | None:
    """The preset called ``name`` (case-insensitive), or None."""
    return PRESETS.get(name) or PRESETS.get(name.lower())
