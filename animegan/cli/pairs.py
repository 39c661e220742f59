"""``animegan make-pairs PHOTOS -o PAIRS_DIR``: (photo, cel-shaded target) pairs for paired training."""

from __future__ import annotations

import sys

from animegan.cli.arguments import positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "make-pairs",
        help="make (photo, cel-shaded target) pairs for distillation training",
        description="Centre-crop and resize every photo under PHOTOS (recursive) to --size, and compute its "
        "cel-shaded target (edge-preserving smoothing, --levels colours, ink edges): "
        "PAIRS_DIR/photos/NAME.png and PAIRS_DIR/targets/NAME.png. Unreadable files are listed and skipped.",
    )
    parser.add_argument("photos", metavar="PHOTOS", help="folder of photos (recursive)")
    parser.add_argument("-o", "--output", required=True, metavar="PAIRS_DIR", help="the folder to write")
    parser.add_argument("--size", type=positive_int, default=256, help="side of the square pairs (default 256)")
    parser.add_argument("--levels", type=positive_int, default=8, help="colours of the target (default 8)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from animegan.data.celshade import make_pairs
    from animegan.errors import AnimeGANError

    if args.levels < 2:
        raise AnimeGANError(f"--levels must be at least 2, got {args.levels}")
    if not Path(args.photos).is_dir():
        raise AnimeGANError(f"photo folder not found: {args.photos}")  # before the progress bar shows
    with tqdm(unit="img", file=sys.stderr, leave=False) as bar:
        report = make_pairs(args.photos, args.output, size=args.size, levels=args.levels, progress=bar.update)
    for path, reason in report.skipped:
        print(f"animegan: skipped {path}: {reason}", file=sys.stderr)
    out = Path(args.output)
    print(
        f"{len(report.written)} pairs -> {out / 'photos'} and {out / 'targets'} ({len(report.skipped)} skipped)",
        file=sys.stderr,
    )
    return 0  # like `animegan prepare`: skipped files are listed above, the pairs that were made are usable
