"""The work of one request, run on the model worker's thread: the project's own photo and video code.

A photo goes through ``inference.photos.run_photos`` (``read_pixels`` -> ``run_pixels`` ->
``write_pixels``), exactly what ``animegan stylize`` runs, so the same model and options give the same
pixels. A video goes through ``inference.video.stylize_video``. Errors keep their one-line message with
the server's temporary path replaced by the name the user sent.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from animegan.data.images import read_image, write_image
from animegan.errors import AnimeGANError
from animegan.inference.inputs import Job
from animegan.inference.memory import DEFAULT_MAX_MEMORY
from animegan.inference.photos import PhotoOptions, run_photos
from animegan.inference.stylize import limit_side
from animegan.inference.video import ProgressFactory, VideoOptions, VideoResult, stylize_video
from animegan.inference.video_read import VideoReader
from animegan.serve.errors import RequestError
from animegan.serve.limits import check_photo, check_video, photo_size
from animegan.serve.settings import Limits
from animegan.serve.styles import StyleRegistry

FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg"}


@dataclass(frozen=True)
class StyleRequest:
    """What a request asks for; every field is checked before any work (``Stylist.check``)."""

    style: str | None = None  # a name from StyleRegistry; None: the server's default
    max_side: int | None = None  # the `--max-side` of `animegan stylize`
    tile: int | None = None  # the `--tile` of `animegan stylize`
    tile_overlap: int = 32  # the `--tile-overlap` of `animegan stylize`
    fmt: str = "png"  # png or jpg
    preserve_colour: bool = False

    def photo_options(self, max_memory: int = DEFAULT_MAX_MEMORY) -> PhotoOptions:
        return PhotoOptions(
            self.max_side, self.tile, self.tile_overlap, overwrite=True, preserve_colour=self.preserve_colour,
            max_memory=max_memory,
        )

    def video_options(self, max_memory: int = DEFAULT_MAX_MEMORY) -> VideoOptions:
        return VideoOptions(
            max_side=self.max_side, overwrite=True, preserve_colour=self.preserve_colour, max_memory=max_memory
        )


class Stylist:
    def __init__(self, styles: StyleRegistry, limits: Limits):
        self.styles = styles
        self.limits = limits

    def check(self, request: StyleRequest) -> StyleRequest:
        """Refuses an unknown style, format or option before the upload is even read."""
        style = self.styles.get(request.style)
        fmt = FORMATS.get(request.fmt.lower())
        if fmt is None:
            raise RequestError(f"unknown format {request.fmt!r}: use png or jpg")
        return dataclasses.replace(request, style=style.name, fmt=fmt)

    def photo(self, source: Path, output: Path, request: StyleRequest, name: str) -> None:
        """Stylizes the photo file ``source`` into ``output`` (its suffix picks the format)."""
        with _named(source, name):
            size = photo_size(source)
            if size is None:
                read_image(source)  # says why Pillow cannot open it, in the project's words
                raise RequestError(f"cannot read image {source}: not a recognised image file")
            check_photo(*size, self.limits, request.max_side, request.tile)
            backend = self.styles.backend(request.style)
            (result,) = run_photos(backend, [Job(source, output)], request.photo_options(self.limits.max_memory))
            if result.status != "written":
                raise AnimeGANError(result.reason)

    def video(
        self, source: Path, output: Path, request: StyleRequest, name: str, progress: ProgressFactory | None = None
    ) -> VideoResult:
        with _named(source, name):
            with VideoReader(source) as reader:
                info = reader.info
            check_video(info.height, info.width, info.duration, self.limits, request.max_side)
            backend = self.styles.backend(request.style)
            options = request.video_options(self.limits.max_memory)
            return stylize_video(backend, Job(source, output), options, progress=progress)


def display_copy(path: Path, output: Path, longest: int) -> None:
    """A JPEG of an image as displayed (EXIF orientation applied), at most ``longest`` pixels a side."""
    write_image(output, limit_side(read_image(path).rgb, longest), quality=90)


@contextmanager
def _named(source: Path, name: str):
    """Rewrites a project error's message so that it names the user's file, not the server's copy."""
    try:
        yield
    except RequestError as error:
        raise type(error)(str(error).replace(str(source), name), error.status) from None
    except AnimeGANError as error:
        raise RequestError(str(error).replace(str(source), name)) from None
