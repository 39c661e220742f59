"""``--model`` values: a path, or the name of a pretrained style fetched and converted on first use.

Cache layout (``download.cache_dir()``)::

    downloads/FILE       the raw files as published (a .pt, or a TF1 .index + .data pair); a file put
                         here by hand is used as if downloaded
    models/NAME.keras    the converted generator; once it exists no network is needed
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from animegan.errors import AnimeGANError
from animegan.weights.download import DownloadError, cache_dir, download
from animegan.weights.presets import PRESETS, Preset, find_preset


def downloads_dir() -> Path:
    return cache_dir() / "downloads"


def models_dir() -> Path:
    return cache_dir() / "models"


def cached_model_path(preset: Preset) -> Path:
    return models_dir() / f"{preset.name}.keras"


def is_cached(preset: Preset) -> bool:
    return cached_model_path(preset).is_file()


# The model ``animegan stylize`` uses when ``--model`` is not given; it ships inside the package. The
# float16 .tflite runs without importing TensorFlow, so a first run starts in about a second; the .keras
# beside it is the reference the .tflite was exported (and verified) from (scripts/make_default_model.py).
BUNDLED_DEFAULT = Path(__file__).resolve().parent.parent / "assets" / "default.tflite"


def resolve_model(spec: str | None, *, progress: bool = True) -> Path:
    """An existing file or folder as given; else the cached ``.keras`` of the preset named ``spec``.

    ``None`` means the bundled default model.

    The first use of a preset downloads its files, converts them with ``import_weights`` and saves the
    model atomically; later uses only check that the ``.keras`` exists.
    """
    if spec is None:
        if not BUNDLED_DEFAULT.is_file():
            raise AnimeGANError(f"no --model given and the bundled default model is missing: {BUNDLED_DEFAULT}")
        return BUNDLED_DEFAULT
    path = Path(spec).expanduser()
    if path.exists():
        return path
    preset = find_preset(spec)
    if preset is None:
        known = ", ".join(sorted(PRESETS))
        hint = "no such file, and not a pretrained style" if _looks_like_path(spec) else "not a pretrained style"
        raise AnimeGANError(f"model {spec!r}: {hint}; known styles: {known} (see 'animegan weights list')")
    target = cached_model_path(preset)
    if target.is_file():
        return target
    source = fetch_preset(preset, progress=progress)
    _convert(preset, source, target)
    if progress:
        print(f"animegan: converted {preset.name} -> {target}", file=sys.stderr)
    return target


def fetch_preset(preset: Preset, *, progress: bool = True) -> Path:
    """Downloads (or finds, placed by hand) every file of ``preset``; returns what the importer reads."""
    folder = downloads_dir()
    for remote in preset.files:
        try:
            download(
                remote.url, folder / remote.name,
                sha256=remote.sha256, git_blob=remote.git_blob, size=remote.size, progress=progress,
            )
        except DownloadError as error:
            raise AnimeGANError(manual_hint(preset, remote.name, remote.url, error.reason)) from None
    return folder / preset.import_source


def manual_hint(preset: Preset, file_name: str, url: str, reason: str) -> str:
    """The one-line offline message: the file, its URL, and the two ways to provide it by hand."""
    target = cached_model_path(preset)
    source = shlex.quote(preset.import_source)
    command = (
        f"animegan weights import {source} --arch {preset.arch} --upsample {preset.upsample} "
        f"-o {shlex.quote(str(target))}"
    )
    others = [f.name for f in preset.files if f.name != file_name]
    also = f" (with {', '.join(others)})" if others else ""
    return (
        f"could not download {file_name} from {url} ({reason}); download it yourself{also} into "
        f"{downloads_dir()}/ and run the command again, or run: {command}"
    )


def _convert(preset: Preset, source: Path, target: Path) -> None:
    from animegan.weights.importers import import_weights
    from animegan.weights.save import save_model_atomically

    try:
        model = import_weights(source, preset.arch, preset.upsample)
    except AnimeGANError as error:
        raise AnimeGANError(
            f"the downloaded weights of {preset.name} do not convert ({error}); {_discard(preset)}"
        ) from None
    save_model_atomically(model, target)


def _discard(preset: Preset) -> str:
    """Deletes the files of ``preset`` that no checksum vouches for, and says what happens next.

    Without a checksum, converting is the integrity check: a file that does not convert (truncated,
    garbled, hostile) is deleted so that the next run fetches it again instead of failing forever. A
    file that matches its pinned checksum is what upstream publishes: fetching it again would not help.
    """
    unverified = [f.name for f in preset.files if f.sha256 is None and f.git_blob is None]
    for name in unverified:
        (downloads_dir() / name).unlink(missing_ok=True)
    if unverified:
        them = "them" if len(unverified) > 1 else "it"
        return f"deleted {', '.join(unverified)} from {downloads_dir()}, so the next run fetches {them} again"
    return "the files match their pinned checksums, so fetching them again would not help"


def _looks_like_path(spec: str) -> bool:
    return any(sep in spec for sep in ("/", "\\")) or Path(spec).suffix != ""
