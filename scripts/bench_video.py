"""Model-only throughput against end-to-end video throughput, in one run.

    python scripts/bench_video.py [VIDEO] [--model M.keras] [--batch-size 4] [--max-side N]
                                  [--size 640x360] [--seconds 8] [--codec h264]

Model-only: the backend on ready float32 batches of the video's work size (no I/O, no conversion).
End-to-end: ``stylize_video`` on the file (decode, convert, model, encode, mux, audio copy), wall time.
The pipeline's goal is an end-to-end rate of at least 90% of the model-only rate. "Model busy" is the
share of the end-to-end wall time spent inside the model: the pipeline's own overhead, independent of
how fast the machine is. On a CPU the model, decoder and encoder share the cores, so the ratio there
also measures that contention; with ``--repeat`` each figure is the best of N runs (for shared or
noisy machines). Without VIDEO a clip
is generated with PyAV (with an AAC tone); without --model an AnimeGANv2 generator with random weights is
saved to a temporary .keras file and loaded as the CLI would.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from animegan.bench.timed import TimedBackend


def model_only(backend, shape: tuple[int, int, int], batch_size: int, frames: int) -> float:
    """Frames per second of the backend alone on ``frames`` frames, ``batch_size`` per call."""
    rng = np.random.default_rng(0)
    batch = rng.uniform(-1, 1, (batch_size, *shape)).astype(np.float32)
    last = frames % batch_size
    start = time.perf_counter()
    for _ in range(frames // batch_size):
        np.asarray(backend(batch))
    if last:
        np.asarray(backend(batch[:last]))
    return frames / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", nargs="?", help="a video file (default: a generated clip)")
    parser.add_argument("--model", help="a model file the CLI accepts (default: a random AnimeGANv2 generator)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-side", type=int)
    parser.add_argument("--size", default="640x360", help="generated clip size (default 640x360)")
    parser.add_argument("--seconds", type=float, default=8.0, help="generated clip length (default 8)")
    parser.add_argument("--codec", help="output video codec (default h264)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best counts")
    args = parser.parse_args()

    from animegan.inference.backends import load_backend
    from animegan.inference.inputs import Job
    from animegan.inference.video import FramePlan, VideoOptions, stylize_video
    from animegan.inference.video_clips import make_clip
    from animegan.inference.video_read import VideoReader

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        video = Path(args.video) if args.video else folder / "clip.mp4"
        if not args.video:
            width, height = (int(v) for v in args.size.lower().split("x"))
            make_clip(video, width, height, seconds=args.seconds)
        model = args.model
        if not model:
            from animegan.models import AnimeGANv2Generator

            model = folder / "generator.keras"
            AnimeGANv2Generator().save(model)
        backend = load_backend(model)
        with VideoReader(video) as reader:
            info = reader.info
        plan = FramePlan.plan(info.height, info.width, args.max_side, backend.stride)
        frames = info.expected_frames or 100

        warm = np.zeros((args.batch_size, *plan.padded_shape), np.float32)
        backend(warm)  # tracing and allocation, for both batch sizes the video uses
        backend(warm[: frames % args.batch_size or args.batch_size])
        options = VideoOptions(args.max_side, args.batch_size, args.codec, overwrite=True)
        model_fps = video_fps = busy = 0.0
        for _ in range(args.repeat):
            model_fps = max(model_fps, model_only(backend, plan.padded_shape, args.batch_size, frames))
            timed = TimedBackend(backend)
            start = time.perf_counter()
            result = stylize_video(timed, Job(video, folder / f"out{video.suffix}"), options, note=print)
            seconds = time.perf_counter() - start
            if result.frames / seconds > video_fps:
                video_fps, busy = result.frames / seconds, timed.seconds / seconds

    print(f"video {video.name}: {info.width}x{info.height}, {result.frames} frames, work size "
          f"{plan.work_width}x{plan.work_height} (padded {plan.padded_shape[1]}x{plan.padded_shape[0]}), "
          f"batch {args.batch_size}, backend {backend.name}")
    print(f"model only : {model_fps:8.2f} frames/s")
    print(f"end to end : {video_fps:8.2f} frames/s")
    print(f"ratio      : {100 * video_fps / model_fps:8.1f} %  (goal >= 90 %)")
    print(f"model busy : {100 * busy:8.1f} %  of the end-to-end wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
