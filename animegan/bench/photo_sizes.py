"""``animegan bench --photo-sizes``: seconds per megapixel and peak memory from 1 to 24 megapixels.

Every size and mode runs in a fresh subprocess (``python -m animegan.bench.photo_sizes``), so that its
``resource.getrusage`` peak RSS is that run's alone: the model loaded, a synthetic photo of that size
made as uint8 pixels, ``inference.stylize.stylize_pixels`` timed (wall and CPU seconds). "tiled" runs
under the memory budget, as ``animegan stylize`` does (a ``.keras`` model stage by stage in strips, an
export in tiles with estimated whole-image statistics; the budget picks the size);
"whole" runs the photo in one piece without a budget, only where the model's estimate stays under
``WHOLE_LIMIT`` (above, a shared machine would swap or kill it): the other rows show the estimate alone.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_SIZES = "1,4,12,24"
WHOLE_LIMIT = 3 * 1024**3  # estimated bytes above which "whole" is not run


@dataclass(frozen=True)
class SizeResult:
    label: str
    height: int
    width: int
    mode: str  # "whole" or "tiled"
    seconds: float | None = None  # None: not run
    cpu_seconds: float | None = None
    peak_bytes: int | None = None
    estimate_bytes: int | None = None
    tile: int | None = None
    statistics: str = ""  # how the whole-image statistics went (passes, consistency)

    @property
    def megapixels(self) -> float:
        return self.height * self.width / 1e6


def parse_sizes(text: str) -> list[tuple[str, int, int]]:
    """``"1,4,12,24"`` (megapixels, 4:3) or ``"20000x20000"`` (HxW) items to (label, height, width)."""
    from animegan.errors import AnimeGANError

    sizes = []
    for item in (part.strip().lower() for part in text.split(",") if part.strip()):
        try:
            if "x" in item:
                height, width = (int(v) for v in item.split("x"))
                label = f"{width}x{height}"
            else:
                pixels = float(item) * 1e6
                height = int(round((pixels * 3 / 4) ** 0.5 / 4)) * 4
                width = int(round(height * 4 / 3 / 4)) * 4
                label = f"{float(item):g} MP"
        except ValueError:
            raise AnimeGANError(f"bad photo size {item!r}: expected megapixels (12) or HxW (3024x4032)") from None
        if min(height, width) <= 0:
            raise AnimeGANError(f"bad photo size {item!r}: must be positive")
        sizes.append((label, height, width))
    return sizes


def synthetic_pixels(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A photo-like uint8 HxWx3 image made without any whole float copy (smooth colour, edges, grain)."""
    import cv2

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 248, (max(2, height // 64), max(2, width // 64), 3), dtype=np.uint8)
    image = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    for row in range(0, height, 4096):  # grain, a band at a time
        band = image[row : row + 4096]
        band += rng.integers(0, 8, band.shape, dtype=np.uint8)
    return image


def _child(spec: dict) -> dict:
    """One measurement, inside the fresh subprocess."""
    import resource

    from animegan.inference.backends import load_backend
    from animegan.inference.memory import plan_memory
    from animegan.inference.stylize import PIXEL_IMAGE_BYTES, backend_memory, stylize_pixels

    backend = load_backend(spec["model"], threads=spec["threads"])
    pixels = synthetic_pixels(spec["height"], spec["width"])
    budget = spec["max_memory"] if spec["mode"] == "tiled" else None
    plan = plan_memory(spec["max_memory"], spec["height"], spec["width"], backend_memory(backend), PIXEL_IMAGE_BYTES, backend.stride, 32)
    runs: list[str] = []
    for name in ("animegan.inference.whole_statistics", "animegan.inference.layerwise"):
        log = logging.getLogger(name)
        log.setLevel(logging.DEBUG)
        log.addHandler(_Collect(runs))
    start, cpu = time.perf_counter(), time.process_time()
    stylize_pixels(backend, pixels, max_memory=budget)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    tiled = spec["mode"] == "tiled" and plan.tile is not None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_bytes": peak,
        "tile": plan.tile if tiled else None,
        "estimate_bytes": plan.tiled_bytes if tiled else plan.whole_bytes,
        "statistics": runs[-1] if runs else "",
    }


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def emit(self, record) -> None:
        self.lines.append(record.getMessage())


def measure(label: str, height: int, width: int, mode: str, model: str, max_memory: int, threads: int | None) -> SizeResult:
    spec = {"model": model, "height": height, "width": width, "mode": mode, "max_memory": max_memory, "threads": threads}
    done = subprocess.run(
        [sys.executable, "-m", "animegan.bench.photo_sizes", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{label} {mode} failed (exit {done.returncode}): {reason}")
    return SizeResult(label, height, width, mode, **json.loads(lines[-1]))


def estimate_only(label: str, height: int, width: int, model: str, max_memory: int, threads: int | None) -> SizeResult:
    from animegan.inference.backends import load_backend
    from animegan.inference.memory import plan_memory
    from animegan.inference.stylize import PIXEL_IMAGE_BYTES, backend_memory

    backend = load_backend(model, threads=threads)
    plan = plan_memory(max_memory, height, width, backend_memory(backend), PIXEL_IMAGE_BYTES, backend.stride, 32)
    return SizeResult(label, height, width, "whole", estimate_bytes=plan.whole_bytes)


def run_photo_sizes(
    model: str, sizes: str, max_memory: int, threads: int | None, report: Callable[[str], None] = print
) -> list[SizeResult]:
    from datetime import date

    from animegan.bench.roofline import cpu_info
    from animegan.inference.memory import format_size

    cpu = cpu_info()
    report(f"photo sizes, {date.today().isoformat()}: {model}; budget {format_size(max_memory)}; threads {threads or 'all'}")
    report(f"CPU: {cpu.model}, {cpu.logical_cores} logical cores; features: {' '.join(cpu.features) or 'none detected'}")
    report(f"{'size':>14} {'mode':>6} {'tile':>5} {'s/MP':>6} {'CPU s/MP':>8} {'peak RSS':>10} {'estimate':>10} how")
    results = []
    for label, height, width in parse_sizes(sizes):
        for mode in ("whole", "tiled"):
            result = estimate_only(label, height, width, model, max_memory, threads) if mode == "whole" else None
            if result is None or result.estimate_bytes <= WHOLE_LIMIT:
                result = measure(label, height, width, mode, model, max_memory, threads)
            results.append(result)
            report(_row(result, format_size))
    return results


def _row(r: SizeResult, size: Callable[[float], str]) -> str:
    if r.seconds is None:
        measured = f"{'-':>5} {'not run':>6} {'':>8} {'':>10}"
    else:
        mp = r.megapixels
        measured = f"{r.tile or '-':>5} {r.seconds / mp:6.2f} {r.cpu_seconds / mp:8.2f} {size(r.peak_bytes):>10}"
    estimate = size(r.estimate_bytes) if r.estimate_bytes else "-"
    return f"{r.label:>14} {r.mode:>6} {measured} {estimate:>10} {_how(r.statistics)}"


def _how(statistics: str) -> str:
    """How the tiles got whole-image statistics: "strips of N rows" (exact) or the estimate's passes."""
    if statistics.startswith("stage by stage"):
        return "stage by stage, " + statistics.split(", ")[1]
    if "passes=" in statistics:
        return "estimate, passes " + statistics.split("passes=")[-1].split(",")[0]
    return ""


if __name__ == "__main__":  # the subprocess of ``measure``
    print(json.dumps(_child(json.loads(sys.argv[1]))), flush=True)
