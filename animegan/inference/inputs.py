"""Turns the CLI's INPUT arguments (files, folders, globs) into source files and their output paths.

Photos and videos are found together; ``is_video`` tells a job's kind by its suffix. A photo's output
suffix follows ``fmt``; a video keeps its container when the output side can write it (see
``VIDEO_KEPT_SUFFIXES``) and becomes ``.mp4`` otherwise.

What a run may write (``check_outputs`` before any work, ``OutputGuard`` before each write): never one
of its inputs, and never one place twice. Files are compared by what they are, not how they are named:
a place is its folder's device and inode plus its name (so ``./``, a symlinked or bind-mounted folder
are the same place), an existing file is its device and inode (so a symlink or a hard link to an input
is that input). Case-insensitive file systems are not handled (Linux ones are case-sensitive).
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from animegan.atomic import MARK
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
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in extensions and not _is_temporary(p)
    )


def _is_temporary(path: Path) -> bool:
    """A half-written file of ``animegan.atomic`` (``.NAME.<pid>.animegan-tmp...``): never an input."""
    return path.name.startswith(".") and f".{MARK}" in path.name


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


Place = tuple  # where a write lands: ((st_dev, st_ino) of the folder, name), or ("", resolved path)


def file_identity(path: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the existing file ``path`` names (links followed), or None."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def output_place(path: Path) -> Place:
    """Where writing ``path`` lands. ``atomic`` renames onto the name, so a symlink there is replaced, not followed."""
    folder = file_identity(path.parent)
    if folder is not None:
        return (folder, path.name)
    return ("", str(path.parent.resolve() / path.name))


def check_outputs(jobs: Iterable[Job]) -> None:
    """Refuses, in one line naming both, a run in which two inputs would be written to one place."""
    claimed: dict[Place, Job] = {}
    for job in jobs:
        first = claimed.setdefault(output_place(job.output), job)
        if first is not job:
            raise AnimeGANError(_collision(first, job))


def _collision(first: Job, second: Job) -> str:
    hint = " or keep each suffix (--format same)" if not (is_video(first.source) or is_video(second.source)) else ""
    return (
        f"{first.source} and {second.source} would both be written to {second.output}; "
        f"rename one, write to another folder (-o){hint}"
    )


class OutputGuard:
    """What a run may write: never one of its inputs (by inode, so links count), never one place twice.

    Built from every job of the run, so an output that is a later job's input is refused as well.
    """

    def __init__(self, jobs: Iterable[Job]):
        self._inputs = {}
        for job in jobs:
            identity = file_identity(job.source)
            if identity is not None:
                self._inputs.setdefault(identity, job.source)
        self._claimed: dict[Place, Job] = {}

    def refusal(self, job: Job) -> str | None:
        """Why ``job`` may not write its output (one line), or None when it may."""
        source = self._inputs.get(file_identity(job.output))
        if source is not None:
            if source == job.source:
                return f"refusing to overwrite the input {job.source}; choose another output folder"
            return f"refusing to write {job.output} from {job.source}: it is the input {source}"
        first = self._claimed.setdefault(output_place(job.output), job)
        if first is not job:
            return _collision(first, job)
        return None
