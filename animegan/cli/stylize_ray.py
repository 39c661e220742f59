"""The ``--ray`` options of ``animegan stylize``: the same job on a Ray cluster (animegan.scale.ray_stylize)."""

from __future__ import annotations

import argparse
import os
import sys

from animegan.cli.arguments import non_negative_float, positive_float, positive_int


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Ray (pip install 'animegan[ray]'; see docs/scale-out.md)")
    group.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="run on Ray Data: alone, an embedded Ray on this machine; or a cluster (auto, ray://HOST:10001, "
        "HOST:6379). Inputs and -o may also be URIs (s3://, gs://, file://)",
    )  # fmt: skip
    group.add_argument("--ray-workers", type=positive_int, default=1, metavar="N", help="model workers (default 1)")
    group.add_argument(
        "--worker-cpus", type=positive_float, metavar="N",
        help="CPUs per worker (default: an embedded Ray shares this machine's cores among the workers; a "
        "cluster gives each 1). Also the .tflite threads unless --threads is given",
    )  # fmt: skip
    group.add_argument(
        "--worker-gpus", type=non_negative_float, default=0.0, metavar="N",
        help="GPUs per worker (default 0: Ray hides the GPUs from a worker that did not ask for one)",
    )  # fmt: skip


def run(args) -> int:
    from tqdm import tqdm

    from animegan.cli.stylize import finish
    from animegan.inference.photos import PhotoOptions
    from animegan.inference.video import VideoOptions
    from animegan.scale.cluster import check_reachable, import_ray
    from animegan.scale.places import plan
    from animegan.scale.ray_stylize import RayOptions, stylize_on_ray
    from animegan.scale.ray_worker import WorkerSettings
    from animegan.weights.resolve import resolve_model

    import_ray()
    check_reachable(args.ray)  # now, before any work; connecting waits until something is to be done
    job = plan(args.inputs, args.output, args.format)
    for argument in job.missing:
        print(f"animegan: error: no such input: {argument}", file=sys.stderr)
    if not job.tasks:
        return 1
    if any(task.video for task in job.tasks):
        from animegan.inference.video_write import choose_encoder

        choose_encoder(args.codec, ".mkv")  # an unknown --codec fails before any work
    settings = WorkerSettings(
        PhotoOptions(args.max_side, args.tile, args.tile_overlap, args.batch_size, args.overwrite),
        VideoOptions(args.max_side, args.batch_size, args.codec, args.crf, args.overwrite),
        threads=args.threads,
        cwd=os.getcwd(),
        model_label=args.model or "the bundled default model",
    )
    options = RayOptions(args.ray, args.ray_workers, args.worker_cpus, args.worker_gpus, quiet=not args.debug)
    model = resolve_model(args.model)  # once, here: the workers get the file itself
    summary = stylize_on_ray(
        model,
        job.tasks,
        settings,
        options,
        report=lambda line: tqdm.write(line, file=sys.stderr),
        progress=lambda total, label: tqdm(total=total, unit="file", disable=total < 2, file=sys.stderr),
    )
    return finish(summary, args.output, job.missing)
