"""Turns the CLI's INPUT arguments (files, folders, globs) into source files and their output paths.

Photos and videos are found together; ``is_video`` tells a job's kind by its suffix. A photo's output
suffix follows ``fmt``; a video keeps its container when the output side can write it (see
``VIDEO_KEPT_SUFFIXES``) and becomes ``.mp4`` otherwise.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from animegan.data.images import IMAGE_EXTENSIONS
from animegan.errors import AnimeGANError

OUTPUT_FORMATS = ("png", "jpg", "webp", "tiff", "same")

# Containers FFmpeg reads, taken as videos by their suffix (any other file is read as a photo).
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".flv"}
    | {".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".3gp", ".ogv"}
)
# Video containers written back as they came; every other video becomes .mp4.
VIDEO_KEPT_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm"})
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS


@dataclass(frozen=True)
class Job:
    """One input file and where its result goes."""

    source: Path
    output: Path


@dataclass(frozen=True)
class Expansion:
    jobs: list[Job]
    missing: list[str]  # INPUT arguments that matched nothing


def _walk(folder: Path, extensions: frozenset[str]) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in extensions)


def _sources(argument: str, extensions: frozenset[str]) -> list[tuple[Path, Path]]:
    """(source, name relative to the output folder) for one INPUT argument."""
    path = Path(argument)
    if path.is_dir():
        return [(p, p.relative_to(path)) for p in _walk(path, extensions)]
    if path.is_file():
        return [(path, Path(path.name))]
    if glob.has_magic(argument):
        matches = sorted(Path(m) for m in glob.glob(argument, recursive=True))
        found = []
        for match in matches:
            if match.is_dir():
                found += [(p, Path(match.name) / p.relative_to(match)) for p in _walk(match, extensions)]
            elif match.suffix.lower() in extensions:
                found.append((match, Path(match.name)))
        return found
    return []


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def output_name(relative: Path, fmt: str) -> Path:
    """Where ``relative`` goes: photos take ``fmt``, videos keep a writable container or become .mp4."""
    if is_video(relative):
        return relative if relative.suffix.lower() in VIDEO_KEPT_SUFFIXES else relative.with_suffix(".mp4")
    if fmt == "same":
        return relative
    return relative.with_suffix(f".{fmt}")


def expand_inputs(
    arguments: list[str], outdir: str | Path, fmt: str = "png", extensions: frozenset[str] = MEDIA_EXTENSIONS
) -> Expansion:
    """Every file named or found (recursively) under the arguments, each with its output path.

    Folders and globs yield files with ``extensions`` (photos and videos by default). An explicitly
    named file is kept whatever its suffix, so a non-image gets a clear per-file error later instead of
    being silently ignored.
    """
    if fmt not in OUTPUT_FORMATS:
        raise AnimeGANError(f"unknown output format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    outdir = Path(outdir)
    jobs: dict[Path, Job] = {}
    missing = []
    for argument in arguments:
        found = _sources(argument, extensions)
        if not found:
            missing.append(argument)
        for source, relative in found:
            jobs.setdefault(source.resolve(), Job(source, outdir / output_name(relative, fmt)))
    return Expansion(list(jobs.values()), missing)
