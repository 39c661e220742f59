"""What every batch loop shares (photos, videos): the run's tally, one line per failure, stale temporaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from animegan.atomic import remove_stale
from animegan.errors import AnimeGANError
from animegan.inference.inputs import Job


@dataclass
class Summary:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def failure_line(job: Job, error: BaseException) -> str:
    """One line naming the file: a user error's message, or an unexpected error's type and first line."""
    if isinstance(error, AnimeGANError):
        text = str(error)
        return text if str(job.source) in text or str(job.output) in text else f"{job.source}: {text}"
    if isinstance(error, MemoryError) or "ResourceExhausted" in type(error).__name__:
        return f"{job.source}: out of memory; try --tile 512 or a smaller --max-side"
    text = str(error).strip()
    first = text.splitlines()[0][:300] if text else "no message"
    return f"{job.source}: unexpected {type(error).__name__}: {first} (--debug shows the traceback)"


def remove_stale_temporaries(jobs: Iterable[Job], note: Callable[[str], None]) -> None:
    """Deletes, in every output folder of ``jobs``, the temporaries of runs that were killed."""
    for folder in sorted({job.output.parent for job in jobs}, key=str):
        removed = remove_stale(folder)
        if removed:
            note(f"note: removed {removed} temporary file(s) left in {folder} by a killed run")
