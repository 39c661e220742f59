"""``animegan stylize INPUT... -o OUTDIR``: photos and videos (files, folders, globs) through a model."""

from __future__ import annotations

import argparse
import sys

from animegan.cli import stylize_ray
from animegan.cli.arguments import crf_value, memory_size, positive_int
from animegan.inference.inputs import OUTPUT_FORMATS
from animegan.inference.memory import DEFAULT_MAX_MEMORY, format_size




def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "stylize",
        help="stylize photos and videos (files, folders, globs)",
        description="Stylize photos and videos. Outputs keep each input's displayed size and name; videos keep "
        "their frame timing, rotation and audio. Inputs are never overwritten.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, folders (recursive) or globs")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the results")
    parser.add_argument(
        "-m",
        "--model",
        help="default: the bundled default style. A .keras generator (see 'animegan weights import'), what "
        "'animegan export' wrote (a .tflite file, run on LiteRT without TensorFlow; an .onnx file, run on ONNX "
        "Runtime; or a SavedModel directory), "
        "or the name of a pretrained style, downloaded on first use (see 'animegan weights list')",
    )
    parser.add_argument("--threads", type=positive_int, help="CPU threads for a .tflite or .onnx model (default: all cores)")
    parser.add_argument("--max-side", type=positive_int, help="process at most this many pixels on the longer side")
    parser.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help=f"memory budget: photos and video frames that would need more run in pieces that fit, with the whole "
        f"image's normalization statistics (e.g. 2G, 512M; default {format_size(DEFAULT_MAX_MEMORY).replace('.0 GiB', 'G')})",
    )
    parser.add_argument(
        "--tile", type=positive_int, help="force pieces this size (e.g. 512): tiles for an export, strips as large for a .keras model"
    )
    parser.add_argument("--tile-overlap", type=positive_int, default=32, help="overlap between tiles (default 32)")
    parser.add_argument(
        "--batch-size", type=positive_int, default=1, help="tiles or video frames per model call (default 1)"
    )
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="png", help="photo output format (default png)")
    parser.add_argument(
        "--codec",
        help="video codec: h264 (default; vp9 for .webm), hevc, vp9, av1, ... or an FFmpeg encoder name",
    )
    parser.add_argument(
        "--crf", type=crf_value, help="video quality, lower is better (default 18; for encoders with a CRF mode)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs instead of skipping them")
    # Temporal consistency and colour (docs/video-and-colour.md has the measurements behind the default).
    parser.add_argument(
        "--temporal",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="videos: blend each stylized frame with the previous one moved along the input's motion (optical "
        "flow); resets at scene cuts. On by default: measured, it removes most of the flicker (about 90%% of "
        "the warping error above the input's own) for about 1%% of the model's CPU time. --no-temporal "
        "stylizes every frame on its own",
    )
    parser.add_argument(
        "--preserve-colour",
        "--preserve-color",
        action="store_true",
        help="keep the input's own colours and take only the style's lightness (lines, shading)",
    )
    stylize_ray.add_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.ray is not None:
        return stylize_ray.run(args)
    from tqdm import tqdm

    from animegan.inference.backends import load_backend
    from animegan.inference.inputs import check_outputs, expand_inputs, is_video
    from animegan.inference.photos import stylize_photos
    from animegan.weights.resolve import resolve_model

    expansion = expand_inputs(args.inputs, args.output, args.format)
    for argument in expansion.missing:
        print(f"animegan: error: no such input: {argument}", file=sys.stderr)
    if not expansion.jobs:
        return 1
    check_outputs(expansion.jobs)  # two inputs onto one output: refused before any work
    photos = [job for job in expansion.jobs if not is_video(job.source)]
    videos = [job for job in expansion.jobs if is_video(job.source)]
    if videos:
        from animegan.inference.video_write import choose_encoder

        choose_encoder(args.codec, ".mkv")  # an unknown --codec fails before any work
    backend = load_backend(resolve_model(args.model), threads=args.threads)
    options = photo_options(args)
    with tqdm(total=len(photos), unit="img", disable=len(photos) < 2, file=sys.stderr) as bar:
        summary = stylize_photos(
            backend,
            photos,
            options,
            report=lambda line: bar.write(line, file=sys.stderr),
            advance=bar.update,
            debug=args.debug,
        )
    if videos:
        summary = _merge(summary, _stylize_videos(backend, videos, args))
    return finish(summary, args.output, expansion.missing)


def finish(summary, output: str, missing: list[str]) -> int:
    """Prints the summary line; the exit code: 1 when anything failed or an input matched nothing."""
    print(
        f"{len(summary.written)} written to {output}, {len(summary.skipped)} skipped, {len(summary.failed)} failed",
        file=sys.stderr,
    )
    return 1 if summary.failed or missing else 0


def photo_options(args):
    """The photo settings of ``animegan stylize`` (the same here and on Ray)."""
    from animegan.inference.photos import PhotoOptions

    return PhotoOptions(
        args.max_side, args.tile, args.tile_overlap, args.batch_size, args.overwrite,
        preserve_colour=args.preserve_colour, max_memory=args.max_memory,
    )  # fmt: skip


def video_options(args):
    """The video settings of ``animegan stylize`` (the same here and on Ray)."""
    from animegan.inference.temporal import TemporalOptions
    from animegan.inference.video import VideoOptions

    return VideoOptions(
        args.max_side, args.batch_size, args.codec, args.crf, args.overwrite,
        temporal=TemporalOptions() if args.temporal else None, preserve_colour=args.preserve_colour,
        max_memory=args.max_memory,
    )  # fmt: skip


def _stylize_videos(backend, jobs, args):
    from tqdm import tqdm

    from animegan.inference.video import stylize_videos

    if args.tile:
        print("animegan: note: --tile applies to photos; video frames run whole unless over --max-memory", file=sys.stderr)
    options = video_options(args)

    def progress(total, name):
        return tqdm(total=total, desc=name, unit="frame", file=sys.stderr, dynamic_ncols=True)

    report = lambda line: tqdm.write(line, file=sys.stderr)  # noqa: E731  (keeps lines clear of the bars)
    return stylize_videos(backend, jobs, options, report=report, progress=progress, debug=args.debug)


def _merge(first, second):
    from animegan.inference.batch import Summary

    return Summary(first.written + second.written, first.skipped + second.skipped, first.failed + second.failed)
