"""``animegan bench``: images/s of every backend, GFLOP/s against the machine's measured GEMM roofline."""

from __future__ import annotations

from animegan.bench.roofline import CLOCKS  # standard library only: --help stays instant
from animegan.choices import GENERATOR_ARCHITECTURES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark Keras, XLA, SavedModel, TFLite and ONNX backends against this CPU's GEMM roofline",
        description="Measure images/s at 256x256, 512x512 and 1280x720 for the Keras model (eager and XLA), the "
        "SavedModel, each TFLite variant and the ONNX float32 and int8 exports, the generator's GFLOPs per image, "
        "the achieved GFLOP/s and its fraction of the fastest GEMM of its precision (fp32: numpy's BLAS, "
        "TensorFlow or torch; int8: ONNX Runtime; bf16 where the CPU has it) measured in the same run on the same "
        "threads, each backend's share of time outside the convolutions, 'animegan stylize' end to end on a "
        "folder of 512x512 photos against plain ONNX Runtime and PyTorch scripts, the goals of issue 16 with "
        "their ratios, and the CLI start-up time. --quick (the default) times few runs.",
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
    parser.add_argument("--skip", default="", help="comma-separated backends to leave out (keras-eager, keras-xla, keras-xla-bf16, savedmodel, tflite-fp32, tflite-float16, tflite-dynamic, tflite-int8, onnx-fp32, onnx-int8, startup-keras)")
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="wall time (default) or the CPU seconds of the process: steadier on a loaded machine, a latency only with --threads 1",
    )
    parser.add_argument("--no-conv-share", dest="conv_share", action="store_false", help="do not measure the share of time outside convolutions")
    parser.add_argument("--no-end-to-end", dest="end_to_end", action="store_false", help="do not time stylize against the peer scripts")
    parser.add_argument("--photos", metavar="DIR", help="photos for the end-to-end run, centre-cropped to 512x512 (default: synthetic)")
    parser.add_argument("--photo-count", type=int, default=8, help="photos in the end-to-end run (default 8)")
    parser.add_argument(
        "--weights-pt",
        metavar="FILE.pt",
        help="AnimeGANv2 weights in the PyTorch port's layout: every backend and both peers run them (the PyTorch peer needs them)",
    )
    parser.add_argument("--torch-python", metavar="PYTHON", help="an interpreter with torch for the PyTorch peer (default: this one, if it has torch)")
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
        clock=args.clock,
        conv_share=args.conv_share,
        end_to_end=args.end_to_end,
        photos=args.photos,
        photo_count=args.photo_count,
        weights_pt=args.weights_pt,
        torch_python=args.torch_python,
    )
    run_bench(options, report=lambda line: print(line, flush=True))
    return 0
