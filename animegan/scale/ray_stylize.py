"""``animegan stylize ... --ray``: the photo and video loop of plain ``stylize`` as a Ray Data job.

The driver plans the job (``places.plan``: the same files and output names as plain ``stylize``),
decides what is skipped, ships the model to the workers and streams one row per file through a pool
of model workers (``ray_worker.StylizeWorker``, an actor each, the model loaded once per worker). Each
file is its own block, so a worker that dies costs Ray one retry of the files it held, and a file
that keeps killing its worker (or raises an unexpected error) is reported as failed, never the whole
job. Outputs are written atomically by the workers; temporaries of killed workers are removed at the
end, so a job interrupted at any point is resumed by running it again (what exists is skipped).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from animegan.atomic import remove_stale
from animegan.errors import AnimeGANError
from animegan.inference.photos import Summary
from animegan.inference.video import ProgressFactory
from animegan.scale.cluster import LOCAL, LocalRay, connected
from animegan.scale.places import Task, exists, is_remote
from animegan.scale.ray_worker import StylizeWorker, WorkerSettings
from animegan.scale.shipped_model import ShippedModel

# A file whose task fails this many more times (its worker killed each time) is reported as failed.
TASK_RETRIES = 3
# One block per file up to this many files; beyond it a block holds several (a retry redoes them all).
MAX_BLOCKS = 100_000


@dataclass(frozen=True)
class RayOptions:
    address: str = LOCAL
    workers: int = 1
    cpus_per_worker: float | None = None  # None: a local Ray's CPUs shared among the workers; 1 on a cluster
    gpus_per_worker: float = 0.0
    task_retries: int = TASK_RETRIES
    local: LocalRay = field(default_factory=LocalRay)
    quiet: bool = True  # keep Ray's own logging and progress bars off the terminal


def split_existing(tasks: list[Task], overwrite: bool, report: Callable[[str], None]) -> tuple[list[Task], Summary]:
    """(tasks to run, the summary of those skipped because their output exists), as plain ``stylize``."""
    summary = Summary()
    pending = []
    for task in tasks:
        if task.output == task.source or (not is_remote(task.output) and _same_file(task)):
            summary.failed.append((Path(task.source), f"refusing to overwrite the input {task.source}"))
            report(f"error: refusing to overwrite the input {task.source}; choose another output folder")
        elif not overwrite and exists(task.output):
            summary.skipped.append(Path(task.output))
            report(f"skipped {task.source}: {task.output} exists (use --overwrite)")
        else:
            pending.append(task)
    return pending, summary


def _same_file(task: Task) -> bool:
    return not is_remote(task.source) and Path(task.output).resolve() == Path(task.source).resolve()


def stylize_on_ray(
    model: Path,
    tasks: list[Task],
    settings: WorkerSettings,
    options: RayOptions,
    report: Callable[[str], None] = print,
    progress: ProgressFactory | None = None,
) -> Summary:
    """Runs ``tasks`` on Ray with the model at ``model``; the summary counts each file once.

    ``progress(total, label)`` makes the bar of the files to stylize, once the workers can start.
    """
    pending, summary = split_existing(tasks, settings.photo.overwrite, report)
    if not pending:
        return summary
    shipped = ShippedModel.pack(model)
    done: set[str] = set()
    with connected(options.address, options.local, options.quiet) as ray:
        options = _sized(ray, options)
        _check_resources(ray, options)
        if settings.threads is None:  # a .tflite model runs a thread per CPU the worker holds
            settings = dataclasses.replace(settings, threads=max(1, int(options.cpus_per_worker)))
        results = _dataset(ray, pending, shipped, settings, options)
        with progress(len(pending), "files") if progress else nullcontext() as bar:
            for row in results.iter_rows():
                if row["fatal"]:  # the workers cannot run the model at all
                    raise AnimeGANError(str(row["error"]))
                done.add(row["output"])
                for line in filter(None, str(row["notes"]).split("\n")):
                    report(line)
                if row["written"]:
                    summary.written.append(Path(row["output"]))
                if row["error"]:
                    summary.failed.append((Path(row["source"]), str(row["error"])))
                if bar is not None:
                    bar.update(1)
    for task in pending:
        if task.output not in done:
            message = f"{task.source}: its worker stopped {options.task_retries + 1} times while stylizing it"
            summary.failed.append((Path(task.source), message))
            report(f"error: {message}")
    for folder in {Path(task.output).parent for task in pending if not is_remote(task.output)}:
        remove_stale(folder)  # what killed workers left; every worker of this job has stopped
    return summary


def _sized(ray, options: RayOptions) -> RayOptions:
    if options.cpus_per_worker is not None:
        return options
    cpus = float(ray.cluster_resources().get("CPU", 1)) // options.workers if options.address == LOCAL else 1.0
    return dataclasses.replace(options, cpus_per_worker=max(1.0, cpus))


def _check_resources(ray, options: RayOptions) -> None:
    """A pool that cannot be placed would wait forever: refuse it in one line instead."""
    total = ray.cluster_resources()
    for kind, each in (("CPU", options.cpus_per_worker), ("GPU", options.gpus_per_worker)):
        have = float(total.get(kind, 0))
        if each * options.workers > have:
            raise AnimeGANError(
                f"{options.workers} workers with {each:g} {kind}s each need {each * options.workers:g} {kind}s; "
                f"the Ray cluster has {have:g} (use fewer --ray-workers or fewer per worker)"
            )


def _dataset(ray, tasks: list[Task], shipped: ShippedModel, settings: WorkerSettings, options: RayOptions):
    from ray.data import ActorPoolStrategy, DataContext

    context = DataContext.get_current()
    context.max_errored_blocks = -1  # a file that fails its retries is reported; the rest completes
    if options.quiet:
        context.enable_progress_bars = False
        context.print_on_execution_start = False
    rows = [{"source": t.source, "output": t.output, "video": t.video} for t in tasks]
    dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
    with warnings.catch_warnings():
        # Ray 2.60 deprecates passing remote args this way but has no named parameter for these two.
        warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
        return dataset.map_batches(
            StylizeWorker,
            fn_constructor_kwargs={"model": shipped, "settings": settings},
            batch_size=1,
            batch_format="numpy",
            compute=ActorPoolStrategy(size=options.workers),
            num_cpus=options.cpus_per_worker,
            num_gpus=options.gpus_per_worker,
            max_restarts=-1,  # a killed worker is replaced ...
            max_task_retries=options.task_retries,  # ... and its files retried, a bounded number of times
        )
