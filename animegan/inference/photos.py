"""Stylizes a batch of photo files: per-file errors are reported and the rest still runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from animegan.data.images import read_image, write_image
from animegan.errors import AnimeGANError
from animegan.inference.backends import Backend
from animegan.inference.colour import preserve_colour
from animegan.inference.inputs import Job
from animegan.inference.stylize import stylize_array

_SIXTEEN_BIT_SUFFIXES = {".png", ".tif", ".tiff"}


@dataclass(frozen=True)
class PhotoOptions:
    max_side: int | None = None
    tile: int | None = None
    tile_overlap: int = 32
    batch_size: int = 1
    overwrite: bool = False
    preserve_colour: bool = False  # the style's lightness with the photo's own colours (colour.py)


@dataclass
class Summary:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def stylize_photo(backend: Backend, job: Job, options: PhotoOptions) -> None:
    """Reads, stylizes and atomically writes one photo (alpha and 16-bit depth carried over)."""
    if job.output.resolve() == job.source.resolve():
        raise AnimeGANError(f"refusing to overwrite the input {job.source}; choose another output folder")
    image = read_image(job.source)
    rgb = stylize_array(
        backend, image.rgb, options.max_side, options.tile, options.tile_overlap, options.batch_size
    )
    if options.preserve_colour:
        rgb = preserve_colour(rgb, image.rgb)
    depth = 16 if image.source_bit_depth == 16 and job.output.suffix.lower() in _SIXTEEN_BIT_SUFFIXES else 8
    write_image(job.output, rgb, alpha=image.alpha, bit_depth=depth)


def stylize_photos(
    backend: Backend,
    jobs: list[Job],
    options: PhotoOptions,
    report: Callable[[str], None] = print,
    advance: Callable[[], None] = lambda: None,
) -> Summary:
    summary = Summary()
    for job in jobs:
        try:
            if job.output.exists() and not options.overwrite:
                summary.skipped.append(job.output)
                report(f"skipped {job.source}: {job.output} exists (use --overwrite)")
            else:
                stylize_photo(backend, job, options)
                summary.written.append(job.output)
        except AnimeGANError as error:
            summary.failed.append((job.source, str(error)))
            report(f"error: {error}")
        advance()
    return summary
