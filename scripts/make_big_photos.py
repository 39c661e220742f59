"""Big test photos for docs/big-photos.md: a 50 MP and a 20000x20000 JPEG, and a decompression bomb.

    python scripts/make_big_photos.py OUTDIR

The photos are ``bench.photo_sizes.synthetic_pixels`` (smooth colour, edges, grain: photo-like to the
JPEG coder) written with ``write_pixels``, so no whole float copy is ever made (the 20000x20000 one
is 1.2 GB as uint8). The bomb is a 1 KB PNG whose header declares 30000x30000 RGB pixels (2.7 GB raw)
over a few bytes of data, as a hostile upload would; ``animegan stylize`` must refuse it in one line
before decoding anything.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path

SIZES = {"photo-50mp.jpg": (6120, 8160), "photo-20000x20000.jpg": (20000, 20000)}  # name: (height, width)


def write_bomb(path: Path, width: int = 30000, height: int = 30000) -> None:
    from animegan.atomic import write_bytes

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = zlib.compress(b"\0" * 100_000, 9)
    write_bytes(path, b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--only", help="comma-separated names to make (default: all)")
    args = parser.parse_args(argv)
    from animegan.atomic import check_folder
    from animegan.bench.photo_sizes import synthetic_pixels
    from animegan.data.images import write_pixels

    check_folder(args.outdir / "bomb.png", "image")  # creates OUTDIR
    wanted = set(args.only.split(",")) if args.only else None
    for name, (height, width) in SIZES.items():
        if wanted is None or name in wanted:
            write_pixels(args.outdir / name, synthetic_pixels(height, width), quality=90)
            print(f"{args.outdir / name}: {width}x{height}, {(args.outdir / name).stat().st_size:,} bytes", flush=True)
    if wanted is None or "bomb.png" in wanted:
        write_bomb(args.outdir / "bomb.png")
        print(f"{args.outdir / 'bomb.png'}: declares 30000x30000, {(args.outdir / 'bomb.png').stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
