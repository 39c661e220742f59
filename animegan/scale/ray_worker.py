"""One Ray Data model worker: loads the model once, then stylizes each row given to it.

The rows are ``places.Task`` fields; each goes through the same function plain ``stylize`` runs
(``stylize_photos`` / ``stylize_videos`` with one job), so the output bytes are the same. Skipping
existing outputs is decided on the driver, before the job starts; a row that reaches a worker is
written, so a task that Ray retries after its worker died replaces the output again, atomically.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from animegan.errors import AnimeGANError
from animegan.inference.backends import load_backend
from animegan.inference.photos import PhotoOptions, Summary, stylize_photos
from animegan.inference.video import VideoOptions, stylize_videos
from animegan.scale.places import Task, local_job
from animegan.scale.shipped_model import ShippedModel

RESULT_COLUMNS = ("source", "output", "written", "error", "notes", "fatal")


@dataclass(frozen=True)
class WorkerSettings:
    photo: PhotoOptions
    video: VideoOptions
    threads: int | None  # TFLite interpreter threads; None: every core the worker sees
    cwd: str  # the driver's working folder: relative inputs and outputs are read from there
    model_label: str = ""  # the model as the driver names it, for messages


class StylizeWorker:
    """The callable class that ``map_batches`` runs in each worker process (an actor)."""

    def __init__(self, model: ShippedModel, settings: WorkerSettings):
        self.settings = settings
        self.photo = dataclasses.replace(settings.photo, overwrite=True)
        self.video = dataclasses.replace(settings.video, overwrite=True)
        path = model.unpack()
        self.backend, self.problem = None, None
        try:
            self.backend = load_backend(path, threads=settings.threads)
        except AnimeGANError as error:  # answered on every row: the driver stops the job with it
            self.problem = str(error).replace(str(path), settings.model_label or model.name)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        tasks = [Task(str(s), str(o), bool(v)) for s, o, v in zip(batch["source"], batch["output"], batch["video"])]
        rows = [self.run(task) for task in tasks]
        return {column: [row[column] for row in rows] for column in RESULT_COLUMNS}

    def run(self, task: Task) -> dict:
        if self.problem is not None:
            return _row(task, False, self.problem, [], fatal=True)
        notes: list[str] = []
        summary = Summary()
        try:
            with local_job(task, self.settings.cwd) as job:
                if task.video:
                    summary = stylize_videos(self.backend, [job], self.video, report=notes.append)
                else:
                    summary = stylize_photos(self.backend, [job], self.photo, report=notes.append)
                as_given = lambda text: text.replace(str(job.source), task.source).replace(  # noqa: E731
                    str(job.output), task.output
                )
        except AnimeGANError as error:  # staging a remote file failed
            return _row(task, False, str(error), [f"error: {error}"])
        error = as_given(summary.failed[0][1]) if summary.failed else ""
        return _row(task, bool(summary.written), error, [as_given(line) for line in notes])


def _row(task: Task, written: bool, error: str, notes: list[str], fatal: bool = False) -> dict:
    """One result row; ``fatal``: the worker cannot run the model at all."""
    return dict(
        source=task.source, output=task.output, written=written, error=error, notes="\n".join(notes), fatal=fatal
    )
