"""Model-only throughput against end-to-end throughput for a folder of photos, in one run.

    python scripts/bench_photos.py [FOLDER] [--model M] [--threads N] [--repeat 3] [--count N] [--format png]

Model-only: ``run_model`` (the backend, padded to the stride) on every photo's ready model input; no
reading, decoding, conversion, encoding or writing. End to end: ``run_photos`` on the folder (read,
decode, convert, model, scale back, encode, write; the reading and writing overlap with the model),
wall time. Sequential: the same steps one photo after another without overlap, for comparison. The
goal is an end-to-end rate of at least 95% of the model-only rate. "Model busy" is the share of the
end-to-end wall time spent inside the model. On a CPU the reader and writer threads share the cores
with the model, so the ratio also measures that contention. Each figure is the best of ``--repeat``
runs, taken in turns (for shared or noisy machines).

Defaults: the 24 Kodak photos of ../shared/data/kodak24 and the bundled default model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from animegan.bench.timed import TimedBackend

ROOT = Path(__file__).resolve().parents[1]
KODAK = ROOT.parent / "shared" / "data" / "kodak24"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(KODAK), help="photos (default: ../shared/data/kodak24)")
    parser.add_argument("--model", help="a model file the CLI accepts (default: the bundled default model)")
    parser.add_argument("--threads", type=int, help="CPU threads for a .tflite model (default: all cores)")
    parser.add_argument("--format", default="png", help="output format (default png)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
    parser.add_argument("--count", type=int, help="only the first N photos of the folder")
    args = parser.parse_args()

    from animegan.bench.roofline import cpu_info
    from animegan.data.images import read_image, write_image
    from animegan.inference.backends import load_backend
    from animegan.inference.inputs import expand_inputs
    from animegan.inference.photos import PhotoOptions, run_photos
    from animegan.inference.stylize import model_input, picture, run_model
    from animegan.weights.resolve import resolve_model

    backend = load_backend(resolve_model(args.model), threads=args.threads)
    with tempfile.TemporaryDirectory() as out:
        jobs = expand_inputs([args.folder], out, args.format).jobs[: args.count]
        if not jobs:
            print(f"no photos in {args.folder}", file=sys.stderr)
            return 1
        inputs = [model_input(read_image(job.source).rgb) for job in jobs]
        for x in {x.shape: x for x in inputs}.values():
            run_model(backend, x)  # warm-up: allocation for every size the folder has

        def model_only() -> float:
            start = time.perf_counter()
            for x in inputs:
                run_model(backend, x)
            return len(inputs) / (time.perf_counter() - start)

        def sequential() -> float:
            start = time.perf_counter()
            for job in jobs:
                rgb = read_image(job.source).rgb
                write_image(job.output, picture(run_model(backend, model_input(rgb)), *rgb.shape[:2]))
            return len(jobs) / (time.perf_counter() - start)

        def end_to_end() -> tuple[float, float]:
            timed = TimedBackend(backend)
            start = time.perf_counter()
            results = run_photos(timed, jobs, PhotoOptions(overwrite=True))
            seconds = time.perf_counter() - start
            assert all(r.status == "written" for r in results), [r.reason for r in results if r.reason]
            return len(jobs) / seconds, timed.seconds / seconds

        model_rate = flow_rate = serial_rate = busy = 0.0
        for _ in range(args.repeat):
            model_rate = max(model_rate, model_only())
            rate, share = end_to_end()
            if rate > flow_rate:
                flow_rate, busy = rate, share
            serial_rate = max(serial_rate, sequential())

    cpu = cpu_info()
    sizes = sorted({f"{x.shape[1]}x{x.shape[0]}" for x in inputs})
    print(f"cpu        : {cpu.model}, {cpu.logical_cores} logical cores, {' '.join(cpu.features)}")
    print(f"photos     : {len(jobs)} from {args.folder} ({', '.join(sizes)}), output .{args.format}")
    print(f"model      : {getattr(backend, 'runtime', backend.name)} {resolve_model(args.model).name}, "
          f"threads {getattr(backend, 'threads', 'default')}, best of {args.repeat}")
    print(f"model only : {model_rate:8.3f} photos/s")
    print(f"end to end : {flow_rate:8.3f} photos/s  (run_photos: reading and writing overlap the model)")
    print(f"sequential : {serial_rate:8.3f} photos/s  (read, model, write one after another)")
    print(f"ratio      : {100 * flow_rate / model_rate:8.1f} %  of model only (goal >= 95 %); "
          f"sequential {100 * serial_rate / model_rate:.1f} %")
    print(f"model busy : {100 * busy:8.1f} %  of the end-to-end wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
