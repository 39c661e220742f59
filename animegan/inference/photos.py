"""Stylizes a batch of photo files with reading and writing hidden behind the model; one bad file never stops it.

``run_photos`` is the library entry point (the CLI calls it; so can a web app or a Ray job): Jobs and
a backend in, one ``PhotoResult`` per job out, in job order. It runs on ``stages.run_stages``, the
mechanism video uses too: a thread reads, decodes and prepares the next photos, the calling thread
runs the model, a thread crops, scales back, encodes and writes the finished ones. For a folder the
model is then rarely kept waiting (``scripts/bench_photos.py`` measures it).

Per photo, in order: refused when its output is an input of the run or already another photo's output
(``OutputGuard``); skipped when the output exists, unless ``overwrite``; failed with a one-line reason
on any error, an unexpected one included (``debug`` raises that instead, with its traceback). The
results, and the notes of each photo, are delivered in job order from one thread, so the lines a
caller prints never interleave. Ctrl-C stops the whole run.

Memory: at most ``2 * depth + 3`` photos are alive at once, and the reader waits while the photos
between reading and writing hold more than ``PIXELS_IN_FLIGHT`` work-size pixels (a larger photo
runs alone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from animegan.data.images import read_image, write_image
from animegan.errors import AnimeGANError
from animegan.inference.backends import Backend
from animegan.inference.batch import Summary, failure_line, remove_stale_temporaries
from animegan.inference.inputs import Job, OutputGuard, check_outputs
from animegan.inference.stages import run_stages
from animegan.inference.stylize import model_input, picture, run_model

_SIXTEEN_BIT_SUFFIXES = {".png", ".tif", ".tiff"}

# About 0.8 GB of float32 model input and output; 24 MP photos go one or two at a time, a folder of
# 512 x 512 ones fills the queues.
PIXELS_IN_FLIGHT = 32_000_000

Status = Literal["written", "skipped", "failed"]


@dataclass(frozen=True)
class PhotoOptions:
    max_side: int | None = None
    tile: int | None = None
    tile_overlap: int = 32
    batch_size: int = 1
    overwrite: bool = False


@dataclass(frozen=True)
class PhotoResult:
    """What became of one job: ``reason`` says why it was skipped or failed (one line naming the file)."""

    job: Job
    status: Status
    reason: str = ""
    notes: tuple[str, ...] = ()  # e.g. that only the first frame of an animation was stylized


@dataclass(eq=False)
class _Photo:
    """One job on its way through the stages."""

    job: Job
    result: PhotoResult | None = None  # set as soon as the job is done (skipped, failed, written)
    notes: list[str] = field(default_factory=list)
    x: np.ndarray | None = None  # model input at the work size
    y: np.ndarray | None = None  # model output
    size: tuple[int, int] = (0, 0)  # the input's displayed (height, width)
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    pixels: int = 0  # held in the budget until written

    def fail(self, error: BaseException, debug: bool) -> None:
        if debug and not isinstance(error, AnimeGANError):
            raise error
        self.result = PhotoResult(self.job, "failed", failure_line(self.job, error))
        self.x = self.y = self.alpha = None


def run_photos(
    backend: Backend,
    jobs: Iterable[Job],
    options: PhotoOptions = PhotoOptions(),
    on_result: Callable[[PhotoResult], None] = lambda result: None,
    note: Callable[[str], None] = lambda line: None,
    *,
    debug: bool = False,
) -> list[PhotoResult]:
    """Stylizes every job's photo into its output; returns one result per job, in job order.

    ``on_result`` is called with each result as soon as it is final (from one thread, in job order);
    ``note`` gets the run's own notes (temporaries of killed runs removed). Two jobs with one output
    are refused before any work (``AnimeGANError``).
    """
    jobs = list(jobs)
    check_outputs(jobs)
    guard = OutputGuard(jobs)
    remove_stale_temporaries(jobs, note)
    stop = threading.Event()
    budget = _Budget(PIXELS_IN_FLIGHT, stop)
    results: list[PhotoResult] = []

    def model(photo: _Photo) -> None:
        if photo.result is None:
            try:
                photo.y = run_model(backend, photo.x, options.tile, options.tile_overlap, options.batch_size)
            except Exception as error:
                photo.fail(error, debug)
            photo.x = None

    def finish(photo: _Photo) -> None:
        try:
            if photo.result is None:
                try:
                    _write(photo)
                except Exception as error:
                    photo.fail(error, debug)
            result = photo.result
            result = PhotoResult(result.job, result.status, result.reason, tuple(photo.notes))
            results.append(result)
            on_result(result)
        finally:
            budget.give(photo.pixels)

    run_stages(_read_all(jobs, guard, options, budget, debug), model, finish, depth=2, stop=stop)
    return results


def stylize_photos(
    backend: Backend,
    jobs: Iterable[Job],
    options: PhotoOptions,
    report: Callable[[str], None] = print,
    advance: Callable[[], None] = lambda: None,
    *,
    debug: bool = False,
) -> Summary:
    """``run_photos`` with one line per note, skipped or failed photo, tallied as the CLI reports it."""
    summary = Summary()

    def tell(result: PhotoResult) -> None:
        for line in result.notes:
            report(f"note: {line}")
        if result.status == "written":
            summary.written.append(result.job.output)
        elif result.status == "skipped":
            summary.skipped.append(result.job.output)
            report(f"skipped {result.job.source}: {result.reason}")
        else:
            summary.failed.append((result.job.source, result.reason))
            report(f"error: {result.reason}")
        advance()

    run_photos(backend, jobs, options, on_result=tell, note=report, debug=debug)
    return summary


def _read_all(
    jobs: list[Job], guard: OutputGuard, options: PhotoOptions, budget: _Budget, debug: bool
) -> Iterator[_Photo]:
    """The photos, read and ready for the model (or already done), in the reading thread."""
    for job in jobs:
        photo = _Photo(job)
        try:
            _read(photo, guard, options)
        except Exception as error:
            photo.fail(error, debug)
        if photo.x is not None:
            photo.pixels = budget.take(photo.x.shape[0] * photo.x.shape[1])
        yield photo


def _read(photo: _Photo, guard: OutputGuard, options: PhotoOptions) -> None:
    job = photo.job
    refusal = guard.refusal(job)
    if refusal is not None:
        photo.result = PhotoResult(job, "failed", refusal)
        return
    if job.output.exists() and not options.overwrite:
        photo.result = PhotoResult(job, "skipped", f"{job.output} exists (use --overwrite)")
        return
    image = read_image(job.source)
    if image.frames > 1:
        photo.notes.append(f"{job.source} holds {image.frames} frames; only the first is stylized")
    photo.size = image.rgb.shape[:2]
    photo.alpha = image.alpha
    sixteen = image.source_bit_depth == 16 and job.output.suffix.lower() in _SIXTEEN_BIT_SUFFIXES
    photo.bit_depth = 16 if sixteen else 8
    photo.x = model_input(image.rgb, options.max_side)


def _write(photo: _Photo) -> None:
    rgb = picture(photo.y, *photo.size)
    photo.y = None
    write_image(photo.job.output, rgb, alpha=photo.alpha, bit_depth=photo.bit_depth)
    photo.alpha = None
    photo.result = PhotoResult(photo.job, "written")


class _Budget:
    """Pixels of the photos between reading and writing; ``take`` waits while they would exceed the limit."""

    def __init__(self, limit: int, stop: threading.Event):
        self._limit = limit
        self._used = 0
        self._stop = stop
        self._changed = threading.Condition()

    def take(self, pixels: int) -> int:
        with self._changed:
            # A photo larger than the limit goes once nothing else is in flight.
            while self._used and self._used + pixels > self._limit and not self._stop.is_set():
                self._changed.wait(0.05)
            self._used += pixels
        return pixels

    def give(self, pixels: int) -> None:
        with self._changed:
            self._used -= pixels
            self._changed.notify_all()
