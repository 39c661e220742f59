"""``animegan export MODEL.keras --format {savedmodel,tflite,onnx} -o OUT``: deployable files, verified."""

from __future__ import annotations

import argparse
import sys

from animegan.export.formats import CALIBRATION_METHODS, FORMATS, QUANTIZATIONS


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a generator to SavedModel, TFLite or ONNX (verified against Keras)",
        description="Export a .keras generator. Every export runs the Keras model and the exported file on "
        "sample inputs at two sizes, prints max abs error and PSNR, and fails (writing nothing) past the "
        "thresholds: float32 max abs < 1e-4 (1e-3 for ONNX, another runtime), float16 PSNR >= 40 dB, int8 and "
        "dynamic-range PSNR >= 28 dB.",
    )
    parser.add_argument("model", metavar="MODEL.keras", help="the generator to export")
    parser.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    parser.add_argument(
        "--quantize",
        choices=QUANTIZATIONS,
        default="none",
        help="tflite: float16 weights, dynamic-range (int8 weights) or full-integer int8; onnx: int8 (integer "
        "convolutions, float normalization: faster than float32 on AVX2 CPUs) (default none: float32)",
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--input-size",
        metavar="HxW",
        type=_size,
        help="fixed input size, multiples of the stride (tflite default 512x512: what GPU delegates need)",
    )
    shape.add_argument("--dynamic", action="store_true", help="any input height and width (tflite, onnx)")
    parser.add_argument(
        "--calibration", metavar="DIR", help="photos to calibrate int8 on (default: synthetic photo-like images)"
    )
    parser.add_argument(
        "--calibration-method",
        choices=CALIBRATION_METHODS,
        help="onnx int8: activation ranges from the extremes over all photos (minmax) or each photo's "
        "99.99th percentile, averaged (percentile, the default: clips outliers, finer steps)",
    )
    parser.add_argument("--gpu-report", metavar="FILE", help="write the per-op GPU-delegate report (tflite)")
    parser.add_argument("--no-verify", dest="verify", action="store_false", help="skip the parity check")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the .tflite/.onnx file or SavedModel directory")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.set_defaults(run=run)


def _size(text: str) -> tuple[int, int]:
    from animegan.errors import AnimeGANError
    from animegan.export.exporter import parse_size

    try:
        return parse_size(text)
    except AnimeGANError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args) -> int:
    from animegan.export.exporter import ExportOptions, export_model

    options = ExportOptions(
        format=args.format,
        quantization=args.quantize,
        input_size=args.input_size,
        dynamic=args.dynamic,
        calibration=args.calibration,
        verify=args.verify,
        overwrite=args.overwrite,
        gpu_report=args.gpu_report,
        calibration_method=args.calibration_method,
    )
    export_model(args.model, args.output, options, report=lambda line: print(line, file=sys.stderr))
    return 0
