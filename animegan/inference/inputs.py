"""Turns the CLI's INPUT arguments (files, folders, globs) into source files and their output paths."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from animegan.data.images import IMAGE_EXTENSIONS
from animegan.errors import AnimeGANError

OUTPUT_FORMATS = ("png", "jpg", "webp", "tiff", "same")


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


def output_name(relative: Path, fmt: str) -> Path:
    if fmt == "same":
        return relative
    return relative.with_suffix(f".{fmt}")


def expand_inputs(
    arguments: list[str], outdir: str | Path, fmt: str = "png", extensions: frozenset[str] = IMAGE_EXTENSIONS
) -> Expansion:
    """Every file named or found (recursively) under the arguments, each with its output path.

    An explicitly named file is kept whatever its suffix, so a non-image gets a clear per-file error
    later instead of being silently ignored.
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
