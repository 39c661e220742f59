"""``animegan prepare STYLE_DIR -o DATA_DIR``: style images -> the AnimeGAN training layout."""

from __future__ import annotations

import sys

from animegan.cli.arguments import positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare",
        help="prepare style images for 'animegan train'",
        description="Resize the style images (shorter side --size), write edge-smoothed copies and the "
        "style set's colour offset: DATA_DIR/style/, DATA_DIR/smooth/, DATA_DIR/data_mean.json. "
        "Photos are not copied: 'animegan train --photos DIR' reads them in place.",
    )
    parser.add_argument("style_dir", metavar="STYLE_DIR", help="folder of style images (frames of the art style; recursive)")
    parser.add_argument("-o", "--output", required=True, metavar="DATA_DIR", help="the training data folder to write")
    parser.add_argument("--size", type=positive_int, default=256, help="shorter side of the prepared images (default 256)")
    parser.add_argument("--workers", type=positive_int, help="parallel workers (default: up to 8)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from animegan.data.prepare import list_style_images, prepare_style_dataset

    style_dir = Path(args.style_dir)
    total = len(list_style_images(style_dir)) if style_dir.is_dir() else 0
    with tqdm(total=total, unit="img", file=sys.stderr, disable=total < 2) as bar:
        report = prepare_style_dataset(style_dir, args.output, size=args.size, workers=args.workers, progress=bar.update)
    for path, reason in report.skipped:
        print(f"animegan: skipped {path}: {reason}", file=sys.stderr)
    b, g, r = report.data_mean_bgr
    print(
        f"{len(report.written)} style images -> {Path(args.output) / 'style'} and {Path(args.output) / 'smooth'}"
        f" ({len(report.skipped)} skipped)\n"
        f"colour offset data_mean (B, G, R) = ({b:.3f}, {g:.3f}, {r:.3f}) -> {report.data_mean_path}\n"
        f"next: animegan train animegan-v2 --data {args.output} --photos PHOTOS --out RUN_DIR"
    )
    return 0
