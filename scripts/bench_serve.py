"""Requests per second and latency of `animegan serve` under concurrent load, against the library alone.

    python scripts/bench_serve.py [--requests 40] [--concurrency 20] [--size 256] [--model M] [--threads N]

Starts `animegan serve` as its own process on a free port of 127.0.0.1 (nothing else is contacted),
sends one warm-up request, then:

- direct: ``stylize_array`` on the same photo in this process, ``--requests`` times in a row (the
  library's rate, with no HTTP, encoding or queue: the baseline);
- sequential: ``--requests`` POST /v1/stylize one after another;
- concurrent: the same number from ``--concurrency`` threads at once (the server queues them and runs
  one model call at a time).

It prints requests/s, latency percentiles, each phase's rate as a share of the direct rate, the server
process's resident memory (idle, and its peak after each phase: the concurrent peak staying near the
sequential one is the bounded-memory claim), and the CPU model with its flags.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def photo(size: int) -> bytes:
    """A deterministic photo-like PNG: gradients and soft discs."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    rgb = np.stack([x, y, 1 - (x + y) / 2], axis=-1)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.1, 0.3)]
        disc = np.clip(1.5 - np.hypot(y - cy, x - cx) / r, 0, 1)[..., None]
        rgb = rgb * (1 - disc) + disc * rng.uniform(0, 1, 3)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) / 1024
    return values


def start_server(args) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "animegan", "serve", "--port", "0", "--no-download",
               "--queue-size", str(max(32, args.concurrency))]
    if args.model:
        command += ["--model", args.model]
    if args.threads:
        command += ["--threads", str(args.threads)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    line = server.stderr.readline()
    if not line.startswith("animegan: serving on http://127.0.0.1:"):
        server.kill()
        raise SystemExit(f"the server did not start: {line}{server.stderr.read()}")
    return server, line.split()[3]


def timed_posts(
    client: httpx.Client, body: bytes, count: int, concurrency: int, style: str
) -> tuple[float, list[float]]:
    """(wall seconds, per-request latencies) of ``count`` requests from ``concurrency`` threads."""

    def one(_) -> float:
        start = time.perf_counter()
        answer = client.post("/v1/stylize", content=body, params={"style": style})
        if answer.status_code != 200:
            raise SystemExit(f"request failed: {answer.status_code} {answer.text}")
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(count)))
    return time.perf_counter() - start, latencies


def direct_rate(body: bytes, count: int, model: str | None, threads: int | None) -> float:
    from animegan.data.images import read_image
    from animegan.inference.backends import load_backend
    from animegan.inference.stylize import stylize_array
    from animegan.weights.resolve import resolve_model

    backend = load_backend(resolve_model(model), threads=threads)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.png"
        path.write_bytes(body)
        rgb = read_image(path).rgb
    stylize_array(backend, rgb)  # warm-up
    start = time.perf_counter()
    for _ in range(count):
        stylize_array(backend, rgb)
    return count / (time.perf_counter() - start)


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.0f} ms, p90 {pick(0.9):.0f} ms, p99 {pick(0.99):.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per phase (default 40)")
    parser.add_argument("--concurrency", type=int, default=20, help="threads in the concurrent phase (default 20)")
    parser.add_argument("--size", type=int, default=256, help="the photo's side in pixels (default 256)")
    parser.add_argument("--model", help="a model the server offers (default: the bundled default .tflite)")
    parser.add_argument("--threads", type=int, help="TFLite threads, for the server and the direct baseline")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000 or not 1 <= args.concurrency <= 64:
        parser.error("--requests must be 1..1000 and --concurrency 1..64")

    from animegan.bench.roofline import cpu_info

    cpu = cpu_info()
    body = photo(args.size)
    style = Path(args.model).stem if args.model and Path(args.model).exists() else (args.model or "default")
    server, url = start_server(args)
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            timed_posts(client, body, 1, 1, style)  # warm-up: the model's first call
            idle = memory_mb(server.pid)
            direct = direct_rate(body, args.requests, args.model, args.threads)
            wall_seq, seq = timed_posts(client, body, args.requests, 1, style)
            after_seq = memory_mb(server.pid)
            wall_con, con = timed_posts(client, body, args.requests, args.concurrency, style)
            after_con = memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"CPU: {cpu.model}, {cpu.logical_cores} logical cores, flags: {' '.join(cpu.features)}")
    print(f"{time.strftime('%Y-%m-%d')}, {args.size}x{args.size} PNG, style {style}, {args.requests} requests a phase")
    rate_seq, rate_con = args.requests / wall_seq, args.requests / wall_con
    print(f"direct stylize_array:       {direct:6.2f} images/s (baseline)")
    print(f"sequential POST /v1/stylize: {rate_seq:6.2f} req/s ({rate_seq / direct:.0%} of direct); {percentiles(seq)}")
    print(f"{args.concurrency:>2} concurrent:              {rate_con:6.2f} req/s ({rate_con / direct:.0%} of direct); "
          f"{percentiles(con)}")
    print(f"server memory: idle {idle['VmRSS']:.0f} MB, peak after sequential {after_seq['VmHWM']:.0f} MB, "
          f"peak after concurrent {after_con['VmHWM']:.0f} MB")
    print(f"median latency, concurrent / sequential: {statistics.median(con) / statistics.median(seq):.1f}x "
          f"(requests wait their turn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
