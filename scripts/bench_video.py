"""Video throughput (model-only, per-frame, temporal) and flicker (E_warp) of both modes, in one run.

    python scripts/bench_video.py [VIDEO] [--clip gradient|sintel|kodak-pan] [--model M] [--batch-size 4]
                                  [--max-side N] [--size 640x360] [--seconds 8] [--codec h264] [--repeat 1]

Model-only: the backend on ready float32 batches of the video's work size (no I/O, no conversion).
End-to-end: ``stylize_video`` on the file (decode, convert, model, encode, mux, audio copy), wall time,
once per frame on its own (``--no-temporal``) and once with flow-guided blending (``--temporal``). The
pipeline's goal is an end-to-end rate of at least 90% of the model-only rate, and the temporal mode's
at least 80% of the per-frame mode's. "Model busy" is the share of the end-to-end wall time spent
inside the model: the pipeline's own overhead, independent of how fast the machine is. On a CPU the
model, decoder, flow and encoder share the cores, so the ratios there also measure that contention;
with ``--repeat`` each figure is the best of N runs (for shared or noisy machines), and the temporal /
per-frame ratio is also given for the medians. The temporal work's own CPU time per frame (in the
decode and encode threads) against the model's time per frame is the steadiest figure on a busy machine.

Flicker: E_warp (animegan.inference.warp_error) of the input (the floor), the per-frame and the
temporal result, the share of the per-frame result's excess over the floor that the temporal one
keeps (goal <= 50%), and the temporal result's mean PSNR against the per-frame one (goal >= 24 dB).

Clips: VIDEO if given; else ``--clip gradient`` (default) generates a moving gradient with an AAC
tone; ``sintel`` the 10 Sintel frames of ../shared/data/sintel ("Sintel" (c) Blender Foundation,
durian.blender.org, CC BY 3.0); ``kodak-pan`` a camera pan across a Kodak photo (../shared/data/kodak24,
``--photo``). Without --model an AnimeGANv2 generator with random weights is saved to a temporary
.keras file and loaded as the CLI would; ``--model animegan/assets/default.tflite`` is the bundled style.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from animegan.bench.timed import TimedBackend

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"


class TemporalWork:
    """Counts the CPU seconds (of their own threads) that the motion tracker and the blender take."""

    def __init__(self):
        self.seconds, self.frames = 0.0, 0

    def __enter__(self):
        import animegan.inference.video as video

        self._video, self._saved = video, (video.MotionTracker, video.TemporalBlender)
        work = self

        def timed(cls, counts_frames):
            class Timed(cls):
                def __call__(self, *args):
                    start = time.thread_time()
                    try:
                        return super().__call__(*args)
                    finally:
                        work.seconds += time.thread_time() - start
                        work.frames += counts_frames

            return Timed

        video.MotionTracker, video.TemporalBlender = timed(self._saved[0], 1), timed(self._saved[1], 0)
        return self

    def __exit__(self, *exc):
        self._video.MotionTracker, self._video.TemporalBlender = self._saved


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


def sintel_frames(shared: Path) -> list[np.ndarray]:
    from animegan.data.images import read_image

    paths = sorted((shared / "data" / "sintel").glob("frame_*.png"))
    if not paths:
        raise SystemExit(f"no Sintel frames in {shared / 'data' / 'sintel'}")
    return [_uint8(read_image(path).rgb) for path in paths]


def kodak_pan(shared: Path, photo: str, frames: int = 48) -> list[np.ndarray]:
    """A pan across the photo: a 576x384 window moving 3 px right and 1 px down a frame, scaled to
    480x320 (area filter), so the camera moves 2.5 and 0.83 px a frame: sub-pixel, as real pans do."""
    import cv2

    from animegan.data.images import read_image

    path = shared / "data" / "kodak24" / f"{photo}.png"
    if not path.is_file():
        raise SystemExit(f"no Kodak photo {path}")
    rgb = _uint8(read_image(path).rgb)
    crops = [rgb[i : i + 384, 3 * i : 3 * i + 576] for i in range(frames)]
    return [cv2.resize(crop, (480, 320), interpolation=cv2.INTER_AREA) for crop in crops]


def _uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def make_input(args, folder: Path) -> Path:
    from animegan.inference.video_clips import make_clip

    if args.video:
        return Path(args.video)
    video = folder / f"{args.clip}.mp4"
    if args.clip == "gradient":
        width, height = (int(v) for v in args.size.lower().split("x"))
        return make_clip(video, width, height, seconds=args.seconds)
    shared = Path(args.shared)
    frames = sintel_frames(shared) if args.clip == "sintel" else kodak_pan(shared, args.photo)
    return make_clip(video, frames=frames, fps=24, crf=18)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video", nargs="?", help="a video file (default: a generated clip, see --clip)")
    parser.add_argument("--clip", choices=("gradient", "sintel", "kodak-pan"), default="gradient")
    parser.add_argument("--shared", default=str(SHARED), help="the shared data folder (default ../shared)")
    parser.add_argument("--photo", default="23", help="the Kodak photo of --clip kodak-pan (default 23)")
    parser.add_argument("--model", help="a model file the CLI accepts (default: a random AnimeGANv2 generator)")
    parser.add_argument("--threads", type=int, help="CPU threads of a .tflite model (default: all cores)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-side", type=int)
    parser.add_argument("--size", default="640x360", help="generated clip size (default 640x360)")
    parser.add_argument("--seconds", type=float, default=8.0, help="generated clip length (default 8)")
    parser.add_argument("--codec", help="output video codec (default h264)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best counts")
    parser.add_argument("--weight", type=float, help="TemporalOptions.weight of the temporal mode (default: its own)")
    parser.add_argument("--keep", help="copy the input and both results into this folder")
    parser.add_argument("--strip", help="write a before/after JPEG here: frames and their warping errors")
    args = parser.parse_args()

    from animegan.bench.roofline import cpu_info
    from animegan.inference.backends import load_backend
    from animegan.inference.inputs import Job
    from animegan.inference.temporal import TemporalOptions
    from animegan.inference.video import FramePlan, VideoOptions, stylize_video
    from animegan.inference.video_read import VideoReader
    from animegan.inference.warp_error import video_metrics

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        video = make_input(args, folder)
        model = args.model
        if not model:
            from animegan.models import AnimeGANv2Generator

            model = folder / "generator.keras"
            AnimeGANv2Generator().save(model)
        backend = load_backend(model, threads=args.threads)
        with VideoReader(video) as reader:
            info = reader.info
        plan = FramePlan.plan(info.height, info.width, args.max_side, backend.stride)
        frames = info.expected_frames or 100

        warm = np.zeros((args.batch_size, *plan.padded_shape), np.float32)
        backend(warm)  # tracing and allocation, for both batch sizes the video uses
        backend(warm[: frames % args.batch_size or args.batch_size])
        temporal = TemporalOptions() if args.weight is None else TemporalOptions(weight=args.weight)
        modes = {"per-frame": None, "temporal": temporal}
        outputs = {mode: folder / f"{mode}{video.suffix}" for mode in modes}
        model_fps, fps, busy = 0.0, {mode: [] for mode in modes}, dict.fromkeys(modes, 0.0)
        work_ms = model_ms = float("inf")
        for repeat in range(args.repeat):  # the modes take turns (ABBA...), so a busy spell hits both
            model_fps = max(model_fps, model_only(backend, plan.padded_shape, args.batch_size, frames))
            for mode, blending in list(modes.items())[:: 1 if repeat % 2 == 0 else -1]:
                options = VideoOptions(args.max_side, args.batch_size, args.codec, overwrite=True, temporal=blending)
                timed = TimedBackend(backend)
                with TemporalWork() as work:
                    start = time.perf_counter()
                    result = stylize_video(timed, Job(video, outputs[mode]), options, note=print)
                    seconds = time.perf_counter() - start
                if not fps[mode] or result.frames / seconds > max(fps[mode]):
                    busy[mode] = timed.seconds / seconds
                fps[mode].append(result.frames / seconds)
                model_ms = min(model_ms, 1000 * timed.seconds / result.frames)
                if work.frames:
                    work_ms = min(work_ms, 1000 * work.seconds / work.frames)
        metrics = video_metrics(video, outputs, reference="per-frame")
        if args.keep:
            _keep(Path(args.keep), [video, *outputs.values()])
        if args.strip:
            write_strip(Path(args.strip), [video, *outputs.values()])

    cpu = cpu_info()
    print(f"cpu {cpu.model}, {cpu.logical_cores} logical cores, {' '.join(cpu.features)}; {time.strftime('%Y-%m-%d')}")
    print(f"video {video.name}: {info.width}x{info.height}, {result.frames} frames, work size "
          f"{plan.work_width}x{plan.work_height} (padded {plan.padded_shape[1]}x{plan.padded_shape[0]}), "
          f"batch {args.batch_size}, backend {backend.name}, temporal weight {temporal.weight}")
    print(f"model only           : {model_fps:8.2f} frames/s")
    best = {mode: max(values) for mode, values in fps.items()}
    middle = {mode: float(np.median(values)) for mode, values in fps.items()}
    for mode in modes:
        print(f"end to end {mode:<10}: {best[mode]:8.2f} frames/s  {100 * best[mode] / model_fps:6.1f} % of model "
              f"only (goal >= 90 %), model busy {100 * busy[mode]:5.1f} %; median {middle[mode]:.2f}")
    print(f"temporal / per-frame : {100 * best['temporal'] / best['per-frame']:8.1f} %  best of {args.repeat}, "
          f"{100 * middle['temporal'] / middle['per-frame']:.1f} % of the medians (goal >= 80 %)")
    print(f"temporal work        : {work_ms:8.1f} ms CPU a frame (flow both ways, mask, blend), against "
          f"{model_ms:.1f} ms a frame in the model ({100 * work_ms / model_ms:.1f} %)")
    floor = metrics.e_warp["input"]
    for name, value in metrics.e_warp.items():
        print(f"E_warp {name:<14}: {value:.6f}  ({value - floor:+.6f} over the input's)")
    excess = {name: metrics.e_warp[name] - floor for name in modes}
    kept = 100 * excess["temporal"] / excess["per-frame"] if excess["per-frame"] > 0 else float("nan")
    print(f"excess kept          : {kept:8.1f} %  of the per-frame excess over the floor (goal <= 50 %), "
          f"{metrics.pairs} pairs")
    print(f"PSNR temporal        : {metrics.psnr['temporal']:8.2f} dB against per-frame (goal >= 24 dB)")
    return 0


def write_strip(path: Path, videos: list[Path]) -> None:
    """Frame t of each video above its warping error against frame t+1 (brighter: more flicker).

    The error map is |O_t - O_t+1 warped back along the input's flow|, mean over RGB, times 6, black
    where the flow is not trusted, coloured with OpenCV's "inferno" map; t is the middle frame. A strip
    wider than 1536 px is scaled down to that (area filter), to keep the JPEG small.
    """
    import av
    import cv2

    from animegan.atomic import write_bytes
    from animegan.inference.flow import FlowEstimator, consistent, gray, warp

    def pair(path):
        with av.open(str(path)) as container:
            frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        return frames[len(frames) // 2 - 1 : len(frames) // 2 + 1]

    pairs = [pair(video) for video in videos]
    estimate = FlowEstimator("medium")
    first, second = (gray(frame) for frame in pairs[0])
    flow = estimate(first, second)
    mask = consistent(flow, estimate(second, first))
    errors = []
    for before, after in pairs:
        error = np.abs(before.astype(np.float32) - warp(after, flow)).mean(axis=-1) * 6
        error = np.clip(error, 0, 255).astype(np.uint8) * mask
        errors.append(cv2.cvtColor(cv2.applyColorMap(error, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB))
    strip = np.concatenate([np.concatenate([p[0] for p in pairs], 1), np.concatenate(errors, 1)], 0)
    if strip.shape[1] > 1536:
        size = (1536, round(strip.shape[0] * 1536 / strip.shape[1]))
        strip = cv2.resize(strip, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(strip, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    write_bytes(path, data.tobytes())


def _keep(folder: Path, paths: list[Path]) -> None:
    from animegan.atomic import write_bytes

    for path in paths:
        write_bytes(folder / path.name, path.read_bytes())


if __name__ == "__main__":
    sys.exit(main())
