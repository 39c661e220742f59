"""Tiled against whole-image pictures: naive tiles (each its own statistics) vs whole-image statistics.

For AnimeGANv1 (instance norm) and AnimeGANv2 (layer norm) with the random reference weights in
../shared (imported as ``tests/weights/test_parity.py`` does) and the bundled default model, on Kodak
photos at twice their size (1536x1024) in 512-pixel tiles: PSNR of each against the whole image run
in one piece: naive tiles, tiles with estimated whole-image statistics (``whole_statistics``, what
exports do), and the stage-by-stage run (``layerwise``, what a ``.keras`` model does); with the seconds. With ``--figure DIR``: a crop of one photo, naive and with whole-image statistics, as two
small JPEGs (the before/after of docs/big-photos.md). With ``--exports``: instead, the bundled default
model exported to the SavedModel and every TFLite variant (fixed 512x512, which tiles a 768x512 photo,
and any-size), each one's ``animegan stylize`` picture against the ``.keras`` model's on Kodak photos.

    python scripts/bench_tile_agreement.py --photos 05,21 --figure docs/images
    python scripts/bench_tile_agreement.py --exports --photos 05
    python scripts/bench_tile_agreement.py --exports --only int8 --photos 05,21
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


def _backend(name: str, folder: Path):
    from animegan.inference.backends import KerasBackend
    from animegan.weights.importers import import_weights

    if name == "default":
        return KerasBackend(PROJECT / "animegan/assets/default.keras")
    if name == "v1":
        model = import_weights(SHARED / "reference/animegan_v1", "animegan-v1")
    else:
        model = import_weights(SHARED / "reference/animegan_v2/generator-random.pt", "animegan-v2")
    model.save(folder / f"{name}.keras")
    return KerasBackend(folder / f"{name}.keras")


def _photo(name: str, scale: int) -> np.ndarray:
    from animegan.data.images import read_image

    rgb = read_image(SHARED / "data/kodak24" / f"{name}.png").rgb
    size = (rgb.shape[1] * scale, rgb.shape[0] * scale)
    return np.clip(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC), 0, 1) * 2 - 1


def measure(backend, x: np.ndarray, tile: int) -> dict:
    """PSNR against the whole image and seconds of: naive tiles, the two-grid estimate of the statistics
    (what an export with a ``statistics`` signature does), and the stage-by-stage run (what a ``.keras``
    model does), its strips sized to what one ``tile`` x ``tile`` tile's activations may hold."""
    from animegan.export.verify import psnr
    from animegan.inference.stylize import backend_memory
    from animegan.inference.tiles import run_tiled, run_whole
    from animegan.inference.whole_statistics import run_with_whole_statistics

    def timed(name, run):
        start = time.perf_counter()
        out = run()
        seconds[name] = time.perf_counter() - start
        return out

    seconds: dict[str, float] = {}
    whole = timed("whole", lambda: run_whole(backend, x, backend.stride))
    naive = timed("naive", lambda: run_tiled(backend, x, tile, 32, backend.stride))
    coarse = x.shape[0] * x.shape[1] // 4  # the copy at half size, as a 2 GiB budget allows here
    estimated, run = timed("estimate", lambda: run_with_whole_statistics(backend.statistics, x, tile, 32, backend.stride, coarse))
    layerwise = backend.layerwise
    rows = layerwise.strip_rows(x.shape[1], backend_memory(backend) * tile * tile)
    staged = timed("layerwise", lambda: layerwise(x, rows))
    return {"naive": psnr(naive, whole), "estimate": psnr(estimated, whole), "layerwise": psnr(staged, whole),
            "run": run, "rows": rows, "seconds": seconds, "pictures": (whole, naive, staged)}  # fmt: skip


def save_figure(pictures, folder: Path, box: tuple[int, int, int, int]) -> None:
    from animegan.data.images import write_image

    top, left, height, width = box
    for name, picture in (("naive", pictures[1]), ("whole_statistics", pictures[2])):  # names the docs link
        crop = (picture[top : top + height, left : left + width] + 1) / 2
        write_image(folder / f"tiles_{name}.jpg", crop, quality=88)


EXPORTS = {  # name: (ExportOptions fields, the PSNR the issue asks of the format)
    "savedmodel": (dict(format="savedmodel"), 45.0),
    "fp32-512.tflite": (dict(format="tflite"), 45.0),
    "fp32-dynamic.tflite": (dict(format="tflite", dynamic=True), 45.0),
    "float16-512.tflite": (dict(format="tflite", quantization="float16"), 38.0),
    "float16-dynamic.tflite": (dict(format="tflite", quantization="float16", dynamic=True), 38.0),
    "dynamic-512.tflite": (dict(format="tflite", quantization="dynamic"), 28.0),
    "dynamic-dynamic.tflite": (dict(format="tflite", quantization="dynamic", dynamic=True), 28.0),
    "int8-512.tflite": (dict(format="tflite", quantization="int8"), 28.0),
    "int8-dynamic.tflite": (dict(format="tflite", quantization="int8", dynamic=True), 28.0),
}


def measure_exports(photos: list[str], folder: Path, only: str = "") -> None:
    from animegan.export.exporter import ExportOptions, export_model
    from animegan.export.verify import psnr
    from animegan.inference.backends import load_backend
    from animegan.inference.stylize import stylize_array

    source = PROJECT / "animegan/assets/default.keras"
    rgbs = {photo: (_photo(photo, 1) + 1) / 2 for photo in photos}
    keras = load_backend(source)
    expected = {photo: stylize_array(keras, rgb) * 2 - 1 for photo, rgb in rgbs.items()}
    for name, (options, goal) in EXPORTS.items():
        if only not in name:
            continue
        export_model(source, folder / name, ExportOptions(**options), report=lambda _: None)
        backend = load_backend(folder / name)
        scores = [psnr(stylize_array(backend, rgbs[p]) * 2 - 1, expected[p]) for p in photos]
        verdict = "ok" if min(scores) >= goal else "BELOW"
        shown = ", ".join(f"{score:.1f}" for score in scores)
        print(f"{name:24} PSNR against .keras on {len(photos)} photo(s): {shown} dB (goal {goal:g}: {verdict})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="v1,v2,default")
    parser.add_argument("--photos", default="05", help="Kodak photo numbers, comma-separated (01..24)")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--figure", type=Path, help="write the default model's before/after crops here")
    parser.add_argument("--box", default="288,256,384,512", help="figure crop: top,left,height,width")
    parser.add_argument("--exports", action="store_true", help="measure the default model's exports instead")
    parser.add_argument("--only", default="", help="with --exports: only the exports whose name holds this, e.g. int8")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"needs the reference data in {SHARED}", file=sys.stderr)
        return 1
    from animegan.bench.roofline import cpu_info
    print(f"CPU: {cpu_info().model}; Kodak photos x{args.scale}, {args.tile}-pixel tiles, overlap 32")
    if args.exports:
        with tempfile.TemporaryDirectory() as temporary:
            measure_exports(args.photos.split(","), Path(temporary), args.only)
        return 0
    with tempfile.TemporaryDirectory() as temporary:
        for name in args.models.split(","):
            backend = _backend(name, Path(temporary))
            for photo in args.photos.split(","):
                x = _photo(photo, args.scale)
                r = measure(backend, x, args.tile)
                s, run = r["seconds"], r["run"]
                print(
                    f"{name:8} kodak {photo} {x.shape[1]}x{x.shape[0]}: naive tiles {r['naive']:5.1f} dB; estimated "
                    f"statistics {r['estimate']:5.1f} dB ({run.passes} pass(es), probe {run.probe_psnr or 0:.1f} dB); "
                    f"stage by stage ({r['rows']}-row strips) {r['layerwise']:5.1f} dB; s: whole {s['whole']:.0f}, "
                    f"naive {s['naive']:.0f}, estimate {s['estimate']:.0f}, stage by stage {s['layerwise']:.0f}",
                    flush=True,
                )
                if args.figure and name == "default" and photo == args.photos.split(",")[0]:
                    save_figure(r["pictures"], args.figure, tuple(int(v) for v in args.box.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
