"""``animegan stylize INPUT... -o OUTDIR``: photos (files, folders, globs) through a model."""

from __future__ import annotations

import argparse
import sys

from animegan.inference.inputs import OUTPUT_FORMATS


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "stylize",
        help="stylize photos (files, folders, globs)",
        description="Stylize photos. Outputs keep each input's displayed size and name; inputs are never overwritten.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (recursive) or globs")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the results")
    parser.add_argument("-m", "--model", required=True, help="a .keras generator (see 'animegan weights import')")
    parser.add_argument("--max-side", type=positive_int, help="process at most this many pixels on the longer side")
    parser.add_argument("--tile", type=positive_int, help="run huge images in overlapping tiles of this size (e.g. 512)")
    parser.add_argument("--tile-overlap", type=positive_int, default=32, help="overlap between tiles (default 32)")
    parser.add_argument("--batch-size", type=positive_int, default=1, help="tiles per model call (default 1)")
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="png", help="output format (default png)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs instead of skipping them")
    parser.set_defaults(run=run)


def run(args) -> int:
    from tqdm import tqdm

    from animegan.inference.backends import load_backend
    from animegan.inference.inputs import expand_inputs
    from animegan.inference.photos import PhotoOptions, stylize_photos

    expansion = expand_inputs(args.inputs, args.output, args.format)
    for argument in expansion.missing:
        print(f"animegan: error: no such input: {argument}", file=sys.stderr)
    if not expansion.jobs:
        return 1
    backend = load_backend(args.model)
    options = PhotoOptions(args.max_side, args.tile, args.tile_overlap, args.batch_size, args.overwrite)
    with tqdm(total=len(expansion.jobs), unit="img", disable=len(expansion.jobs) < 2, file=sys.stderr) as bar:
        summary = stylize_photos(
            backend, expansion.jobs, options, report=lambda line: bar.write(line, file=sys.stderr), advance=bar.update
        )
    print(
        f"{len(summary.written)} written to {args.output}, {len(summary.skipped)} skipped, {len(summary.failed)} failed",
        file=sys.stderr,
    )
    return 1 if summary.failed or expansion.missing else 0
