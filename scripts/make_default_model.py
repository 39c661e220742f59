"""Make the bundled default model (animegan/assets/default.keras and default.tflite), end to end.

The default style is a cel-shading filter (``animegan.data.celshade.cel_shade``: edge-preserving
smoothing, colour quantization, ink edges) distilled into a small AnimeGANv2-shaped generator
(``--width 0.5``: a quarter of the official parameters). Everything it trains on may ship with the
project or is generated here:

- scikit-image's sample photos that are public domain or CC0 (see ``SKIMAGE_PHOTOS``); scikit-image is
  not a dependency of animegan, install it first: ``pip install scikit-image``;
- photo-like scenes rendered by this script (gradients, shaded shapes, sensor noise, soft focus).

Stages (each one is skipped when its output exists, so an interrupted run continues where it stopped):

1. ``WORK/sources``: the photos, as PNG;
2. ``WORK/pairs``: each photo at several scales, cel-shaded whole (one palette per photo), cut into
   aligned (photo, target) tiles: the layout of ``animegan make-pairs``;
3. ``WORK/run``: ``animegan train distill`` (pure L1; resumed from its last checkpoint if present);
4. ``ASSETS/default.keras`` and ``ASSETS/default.tflite`` (float16, any input size, checked against the
   Keras model by ``animegan.export.exporter.export_model``);
5. with ``--pictures DIR``: before/after JPEGs of the photos named in ``PICTURES``.

The bundled files were made with (2,400 steps of 8 x 128 px; about 70 minutes in all on a 2-core CPU
shared with other jobs)::

    pip install scikit-image      # 0.26.0
    python scripts/make_default_model.py --epochs 50 --steps-per-epoch 48 --pictures docs/images

It ran as ``--epochs 32`` first and was then extended by the same command with ``--epochs 50``, which
resumes from the last checkpoint; the shared trainer resumes exactly, so this equals one 50-epoch run.

The defaults train longer (80 epochs x 60 steps, 4,800 steps of 8 x 128 px): at the ~1 s a step that
an unloaded 2-core CPU manages, about 1.5 hours in all.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]

from animegan.data.celshade import cel_shade  # noqa: E402
from animegan.data.images import read_image, write_image  # noqa: E402

# scikit-image sample photos with no copyright restrictions (their docstrings in skimage.data):
# name -> credit, as the README repeats it.
SKIMAGE_PHOTOS = {
    "astronaut": "Eileen Collins, NASA Great Images database, public domain",
    "chelsea": "Chelsea the cat, Stefan van der Walt, CC0",
    "coffee": "Coffee cup, Rachel Michetti (courtesy of Pikolo Espresso Bar), CC0",
    "rocket": "Falcon 9 launch, SpaceX, public domain",
    "camera": "Cameraman, Lav Varshney, CC0 (grayscale)",
    "coins": "Greek coins, Brooklyn Museum collection, no known copyright restrictions (grayscale)",
    "brick": "Bricks, CC0Textures, CC0 (grayscale)",
    "grass": "Grass, CC0Textures, CC0 (grayscale)",
    "gravel": "Gravel, CC0Textures, CC0 (grayscale)",
    "clock": "Wall clock (motion blur), Stefan van der Walt, public domain (grayscale)",
}
PICTURES = ("coffee", "astronaut", "chelsea", "rocket")  # the README's before/after pictures
SCALES = (256, 384, 512)  # shorter side of each photo before cel-shading and tiling
TILE = 160


def photo_sources(folder: Path, rendered: int, seed: int) -> None:
    """WORK/sources: the scikit-image photos and ``rendered`` procedural scenes, as PNG."""
    try:
        import skimage.data
    except ImportError:
        sys.exit("scikit-image is needed for the training photos: pip install scikit-image")
    for name in SKIMAGE_PHOTOS:
        image = np.asarray(getattr(skimage.data, name)(), np.float32) / 255.0
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        write_image(folder / f"skimage_{name}.png", image[..., :3])
    rng = np.random.default_rng(seed)
    for i in range(rendered):
        write_image(folder / f"rendered_{i:03d}.png", render_scene(rng, 384))


def render_scene(rng: np.random.Generator, size: int) -> np.ndarray:
    """A photo-like (H, W, 3) image in [0, 1]: sky and ground gradients, shaded shapes, noise, soft focus."""
    import cv2

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    horizon = rng.uniform(0.3, 0.7)
    sky = _gradient(rng, y / horizon)
    ground = _gradient(rng, (y - horizon) / (1 - horizon))
    image = np.where((y < horizon)[..., None], sky, ground)
    for _ in range(rng.integers(3, 9)):
        mask = np.zeros((size, size), np.uint8)
        cx, cy = rng.integers(0, size, 2)
        r = int(rng.integers(size // 16, size // 4))
        kind = rng.integers(3)
        if kind == 0:
            axes = (r, int(r * rng.uniform(0.5, 1.5)))
            cv2.ellipse(mask, (int(cx), int(cy)), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
        elif kind == 1:
            cv2.rectangle(mask, (int(cx - r), int(cy - r // 2)), (int(cx + r), int(cy + r)), 255, -1)
        else:
            points = (np.array([cx, cy]) + rng.normal(0, r, (int(rng.integers(3, 7)), 2))).astype(np.int32)
            cv2.fillPoly(mask, [points], 255)
        # Lit from a random side: a linear shading across the shape, like a rounded object in daylight.
        angle = rng.uniform(0, 2 * np.pi)
        light = 0.75 + 0.45 * ((x - cx / size) * np.cos(angle) + (y - cy / size) * np.sin(angle)) * size / (2 * r)
        colour = rng.uniform(0.05, 0.95, 3).astype(np.float32)
        shaded = np.clip(colour * np.clip(light, 0.4, 1.3)[..., None], 0, 1)
        alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), rng.uniform(0.6, 1.5))[..., None]
        image = image * (1 - alpha) + shaded * alpha
    image = image + rng.normal(0, rng.uniform(0.01, 0.04), image.shape)  # sensor noise
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(0.5, 1.2))  # lens softness
    return np.clip(image, 0, 1).astype(np.float32)


def _gradient(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    top, bottom = rng.uniform(0, 1, (2, 3)).astype(np.float32)
    t = np.clip(t, 0, 1)[..., None]
    return top * (1 - t) + bottom * t


def make_tiled_pairs(sources: Path, pairs: Path, levels: int) -> int:
    """WORK/pairs/{photos,targets}: each source at every scale of SCALES, cel-shaded whole, cut into tiles."""
    import cv2

    count = 0
    for path in sorted(sources.glob("*.png")):
        photo = read_image(path).rgb
        for scale in SCALES if path.name.startswith("skimage_") else (min(photo.shape[:2]),):
            factor = scale / min(photo.shape[:2])
            size = (round(photo.shape[1] * factor), round(photo.shape[0] * factor))
            interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
            resized = np.clip(cv2.resize(photo, size, interpolation=interpolation), 0, 1)
            target = cel_shade(resized, levels=levels)
            for top in _starts(resized.shape[0]):
                for left in _starts(resized.shape[1]):
                    name = f"{path.stem}_s{scale}_{top}_{left}.png"
                    window = np.s_[top : top + TILE, left : left + TILE]
                    write_image(pairs / "photos" / name, resized[window])
                    write_image(pairs / "targets" / name, target[window])
                    count += 1
    return count


def _starts(length: int) -> list[int]:
    """Tile offsets that cover ``length`` with as few TILE-sized tiles as possible (the last one flush)."""
    n = max(1, -(-length // TILE))
    return sorted({int(v) for v in np.linspace(0, length - TILE, n).round()})


def train(work: Path, args) -> Path:
    from animegan.cli.main import main

    run = work / "run"
    command = [
        "train", "distill", "--pairs", str(work / "pairs"), "--out", str(run), "--val-photos", str(work / "val"),
        "--arch", "animegan-v2", "--width", str(args.width), "--epochs", str(args.epochs),
        "--steps-per-epoch", str(args.steps_per_epoch), "--batch-size", str(args.batch_size),
        "--image-size", str(args.image_size), "--lr", str(args.lr), "--seed", str(args.seed),
    ]  # fmt: skip
    if (run / "checkpoints").is_dir():
        command.append("--resume")
    print("animegan " + " ".join(command), flush=True)
    if main(command) != 0:
        sys.exit("training failed")
    return run / "generator.keras"


def export(generator: Path, assets: Path) -> None:
    from animegan.export.exporter import ExportOptions, export_model

    assets.mkdir(parents=True, exist_ok=True)
    keras_file, tflite_file = assets / "default.keras", assets / "default.tflite"
    temporary = keras_file.with_name(".default.keras.tmp")
    shutil.copyfile(generator, temporary)
    temporary.replace(keras_file)
    options = ExportOptions(format="tflite", quantization="float16", dynamic=True, overwrite=True)
    export_model(keras_file, tflite_file, options)
    total = sum(p.stat().st_size for p in assets.iterdir() if p.is_file())
    print(f"bundled files: {total / 1e6:.1f} MB in {assets}")
    if total > 10e6:
        sys.exit(f"the bundled files total {total / 1e6:.1f} MB, over the 10 MB budget: lower --width")


def pictures(sources: Path, model: Path, folder: Path) -> None:
    """DIR/NAME_before.jpg and DIR/NAME_after.jpg (at most 512 px) of each photo in PICTURES."""
    import cv2
    from PIL import Image

    from animegan.inference.backends import load_backend

    backend = load_backend(model)
    folder.mkdir(parents=True, exist_ok=True)
    for name in PICTURES:
        photo = read_image(sources / f"skimage_{name}.png").rgb
        factor = min(1.0, 512 / max(photo.shape[:2]))
        h, w = (int(photo.shape[0] * factor) // 4 * 4, int(photo.shape[1] * factor) // 4 * 4)
        photo = np.clip(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA), 0, 1)
        stylized = (np.asarray(backend(photo[None] * 2 - 1))[0] + 1) / 2
        for suffix, image in (("before", photo), ("after", stylized)):
            Image.fromarray(np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(
                folder / f"{name}_{suffix}.jpg", quality=85, optimize=True
            )
    print(f"pictures -> {folder}")


def stage(folder: Path, make) -> None:
    """``make(FOLDER.partial)``, then rename it to FOLDER: a folder that exists is a finished stage."""
    if folder.is_dir():
        return
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    make(partial)
    partial.rename(folder)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=PROJECT / "build" / "default_model", help="working folder")
    parser.add_argument("--assets", type=Path, default=PROJECT / "animegan" / "assets", help="where the files go")
    parser.add_argument("--rendered", type=int, default=64, help="procedural scenes to render (default 64)")
    parser.add_argument("--levels", type=int, default=8, help="colours of the cel-shade target (default 8)")
    parser.add_argument("--width", type=float, default=0.5, help="generator channel multiplier (default 0.5)")
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--steps-per-epoch", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pictures", type=Path, help="also write before/after JPEGs into this folder")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    work = args.work
    sources, pairs, val = work / "sources", work / "pairs", work / "val"
    # Each stage writes into NAME.partial and renames it when complete: a stage that exists is finished.
    stage(sources, lambda folder: photo_sources(folder, args.rendered, args.seed))
    stage(pairs, lambda folder: print(f"{make_tiled_pairs(sources, folder, args.levels)} pairs", flush=True))
    stage(val, lambda folder: [shutil.copyfile(sources / f"skimage_{n}.png", folder / f"{n}.png") for n in PICTURES])
    generator = train(work, args)
    export(generator, args.assets)
    if args.pictures:
        pictures(sources, args.assets / "default.keras", args.pictures)
    print(f"done in {(time.monotonic() - started) / 60:.0f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
