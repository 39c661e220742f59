"""``animegan bench``: images/s of every backend, GFLOP/s against the machine's measured GEMM roofline."""

from __future__ import annotations

from animegan.choices import GENERATOR_ARCHITECTURES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark Keras, XLA, SavedModel and TFLite backends against this CPU's GEMM roofline",
        description="Measure images/s at 256x256, 512x512 and 1280x720 for the Keras model (eager and XLA), the "
        "SavedModel and each TFLite variant, the generator's GFLOPs per image, the achieved GFLOP/s and its "
        "fraction of a large fp32 (and, where the CPU has it, bf16) GEMM measured in the same run on the same "
        "threads, plus the CLI start-up time of the TFLite and Keras paths. --quick (the default) times few runs.",
    )
    parser.add_argument("model", nargs="?", metavar="MODEL.keras", help="generator to time (default: --arch with random weights)")
    parser.add_argument("--arch", choices=GENERATOR_ARCHITECTURES, default="animegan-v2", help="used without MODEL (default animegan-v2)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="full", action="store_false", help="few timed runs (default)")
    mode.add_argument("--full", dest="full", action="store_true", help="more warm-up and timed runs, more stable numbers")
    parser.add_argument("--runs", type=int, help="timed runs per backend and size (default 2; 5 with --full)")
    parser.add_argument("--threads", type=int, help="CPU threads for every backend and the GEMM (default: all cores)")
    parser.add_argument("--sizes", help="comma-separated HxW list (default 256x256,512x512,720x1280)")
    parser.add_argument("--calibration", metavar="DIR", help="photos to calibrate the int8 model on (default: synthetic)")
    parser.add_argument("--skip", default="", help="comma-separated backends to leave out (keras-eager, keras-xla, keras-xla-bf16, savedmodel, tflite-fp32, tflite-float16, tflite-dynamic, tflite-int8, startup-keras)")
    parser.add_argument("--no-startup", dest="startup", action="store_false", help="do not time the CLI start-up")
    parser.add_argument(
        "--int8-norms",
        action="store_true",
        help="instead of timing: int8 TFLite PSNR of --arch with each norm (instance, layer, batch, none) "
        "at the first --sizes entry (default 256x256), against the 28 dB threshold",
    )
    parser.add_argument(
        "--photo-sizes",
        nargs="?",
        const="1,4,12,24",
        metavar="LIST",
        help="instead of timing: seconds per megapixel and peak RSS of 'animegan stylize' on photos of these sizes "
        "(megapixels or HxW, default 1,4,12,24), whole and in the tiles the memory budget picks, each in a fresh "
        "process; MODEL may be any model stylize runs (default: the bundled one)",
    )
    parser.add_argument(
        "--max-memory", metavar="SIZE", default="2G", help="the memory budget of --photo-sizes (default 2G)"
    )
    parser.set_defaults(run=run, full=False)


def run(args) -> int:
    if args.photo_sizes:
        from animegan.bench.photo_sizes import run_photo_sizes
        from animegan.inference.memory import parse_size
        from animegan.weights.resolve import resolve_model

        model = str(resolve_model(args.model))
        run_photo_sizes(model, args.photo_sizes, parse_size(args.max_memory), args.threads, report=lambda line: print(line, flush=True))
        return 0
    from animegan.bench.bench import BenchOptions, run_bench

    options = BenchOptions(
        model=args.model,
        arch=args.arch,
        full=args.full,
        runs=args.runs,
        threads=args.threads,
        sizes=args.sizes,
        calibration=args.calibration,
        skip=tuple(s for s in args.skip.split(",") if s),
        startup=args.startup,
        int8_norms=args.int8_norms,
    )
    run_bench(options, report=lambda line: print(line, flush=True))
    return 0
