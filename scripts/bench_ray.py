"""Plain ``animegan stylize`` against ``animegan stylize --ray`` on the same photos, start-up included.

    python scripts/bench_ray.py [--photos DIR] [--scale 2] [--count 24] [--model M] [--workers 1]
                                [--worker-cpus N] [--repeat 1]

Each mode runs as the user runs it: a fresh ``python -m animegan`` process (imports, model load and, for
``--ray``, starting an embedded Ray and its worker), timed by wall clock from start to exit. The photos
are the 24 Kodak images (../shared/data/kodak24) scaled by ``--scale`` (bicubic; 2 gives 1536x1024).
The goal on one machine is ``--ray`` with one worker at >= 85% of plain throughput: the cost of Ray's
start-up and per-file scheduling. Without ``--worker-cpus`` the CLI's default applies: an embedded Ray
shares the machine's cores among its workers, so one worker gets the cores plain ``stylize`` uses (and
as many TFLite threads). With ``--repeat`` the modes alternate and
each figure is the best of N runs (for shared or noisy machines). The outputs of the two modes are
compared byte for byte.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
KODAK = PROJECT.parent / "shared" / "data" / "kodak24"


def scaled_photos(source: Path, target: Path, scale: float, count: int) -> list[Path]:
    from PIL import Image

    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for path in sorted(source.glob("*.png"))[:count]:
        with Image.open(path) as image:
            size = (round(image.width * scale), round(image.height * scale))
            image.convert("RGB").resize(size, Image.BICUBIC).save(target / path.name)
        paths.append(target / path.name)
    return paths


def timed_run(argv: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "animegan", *argv], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench_ray: {' '.join(argv[:3])} ... failed:\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=KODAK, help="folder of PNG photos (default: Kodak 24)")
    parser.add_argument("--scale", type=float, default=2.0, help="resize factor (default 2: 1536x1024)")
    parser.add_argument("--count", type=int, default=24, help="how many photos (default 24)")
    parser.add_argument("--model", help="a --model value (default: the bundled default model)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-cpus", type=float, help="default: the CLI's (the cores / the workers)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not args.photos.is_dir():
        sys.exit(f"bench_ray: no photos at {args.photos}")

    from animegan.bench.roofline import cpu_info

    with tempfile.TemporaryDirectory(prefix="bench_ray_") as tmp:
        root = Path(tmp)
        photos = scaled_photos(args.photos, root / "in", args.scale, args.count)
        model = ["--model", args.model] if args.model else []
        ray_options = ["--ray", "--ray-workers", str(args.workers)]
        if args.worker_cpus:
            ray_options += ["--worker-cpus", f"{args.worker_cpus:g}"]
        best = {"plain": float("inf"), "ray": float("inf")}
        for attempt in range(args.repeat):
            for mode, extra in (("plain", []), ("ray", ray_options)):
                out = root / f"{mode}_{attempt}"
                seconds = timed_run(["stylize", str(root / "in"), "-o", str(out), *model, *extra])
                best[mode] = min(best[mode], seconds)
                print(f"  run {attempt + 1} {mode:5s}: {seconds:7.1f} s", flush=True)
        same = all((root / "plain_0" / p.name).read_bytes() == (root / "ray_0" / p.name).read_bytes() for p in photos)
        size = _size(photos[0])

    cpu = cpu_info()
    rate = {mode: len(photos) / seconds for mode, seconds in best.items()}
    print(f"{date.today()}  {cpu.model}, {cpu.logical_cores} logical cores ({' '.join(cpu.features)})")
    print(f"{len(photos)} photos of {size}, model: {args.model or 'the bundled default'}; best of {args.repeat}")
    print(f"plain stylize          : {best['plain']:7.1f} s  {rate['plain']:.3f} photos/s")
    cpus = f"{args.worker_cpus:g}" if args.worker_cpus else f"{(os.cpu_count() or 1) // args.workers}"
    print(f"--ray, {args.workers} worker x {cpus} CPUs: {best['ray']:7.1f} s  {rate['ray']:.3f} photos/s")
    print(f"ratio --ray / plain    : {rate['ray'] / rate['plain']:.3f}  (goal >= 0.85)")
    print(f"outputs identical      : {same}")
    return 0


def _size(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return f"{image.width}x{image.height}"


if __name__ == "__main__":
    sys.exit(main())
