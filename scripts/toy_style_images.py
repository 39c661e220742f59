"""Synthetic cel-shaded "style" images for smoke runs and the README's norm comparison.

    python scripts/toy_style_images.py -o /tmp/toy_style --count 24 --size 128

Each image is a few flat-coloured shapes over a two-tone sky, with dark outlines: hard edges, flat
regions, a small palette (what cel shading looks like to the losses), and no copyright anywhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

PALETTE = np.array(
    [[250, 214, 165], [120, 170, 220], [90, 150, 80], [230, 120, 90], [245, 240, 230], [150, 110, 170], [60, 70, 90]],
    np.uint8,
)


def toy_image(rng: np.random.Generator, size: int) -> np.ndarray:
    image = np.empty((size, size, 3), np.uint8)
    horizon = int(rng.integers(size // 3, 2 * size // 3))
    image[:horizon] = PALETTE[1]
    image[horizon:] = PALETTE[2]
    for _ in range(int(rng.integers(3, 7))):
        colour = tuple(int(c) for c in PALETTE[rng.integers(0, len(PALETTE))])
        centre = tuple(int(v) for v in rng.integers(0, size, 2))
        if rng.random() < 0.5:
            axes = tuple(int(v) for v in rng.integers(size // 12, size // 4, 2))
            angle = float(rng.integers(0, 180))
            cv2.ellipse(image, centre, axes, angle, 0, 360, colour, -1, cv2.LINE_AA)
            cv2.ellipse(image, centre, axes, angle, 0, 360, (30, 30, 40), max(1, size // 96), cv2.LINE_AA)
        else:
            half = tuple(int(v) for v in rng.integers(size // 12, size // 4, 2))
            p1, p2 = (centre[0] - half[0], centre[1] - half[1]), (centre[0] + half[0], centre[1] + half[1])
            cv2.rectangle(image, p1, p2, colour, -1)
            cv2.rectangle(image, p1, p2, (30, 30, 40), max(1, size // 96))
    return image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True, help="folder to write PNGs into")
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for i in range(args.count):
        cv2.imwrite(str(out / f"toy_{i:03d}.png"), toy_image(rng, args.size)[..., ::-1])
    print(f"{args.count} images -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
