"""``animegan weights import``: converts official AnimeGAN weights into a ``.keras`` generator."""

from __future__ import annotations

import sys

from animegan.choices import GENERATOR_ARCHITECTURES, UPSAMPLE_MODES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("weights", help="import pretrained weights")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="convert a TF1 checkpoint or a PyTorch-port .pt into a .keras generator",
        description="Convert official AnimeGAN weights (TF1 checkpoint directory or prefix, or a .pt "
        "state_dict of the AnimeGANv2 PyTorch port) into a .keras file. PyTorch is not needed.",
    )
    imp.add_argument("source", metavar="SRC", help="checkpoint directory, checkpoint prefix, or .pt file")
    imp.add_argument("--arch", required=True, choices=GENERATOR_ARCHITECTURES, help="the generator the weights belong to")
    imp.add_argument(
        "--upsample",
        choices=UPSAMPLE_MODES,
        help="resize mode (default: the one the source was trained with: legacy for TF1, half_pixel for .pt)",
    )
    imp.add_argument("-o", "--output", required=True, metavar="OUT.keras", help="where to write the model")
    imp.add_argument("--overwrite", action="store_true", help="replace OUT.keras if it exists")
    imp.set_defaults(run=run_import)


def run_import(args) -> int:
    from pathlib import Path

    from animegan.errors import AnimeGANError
    from animegan.weights.importers import import_weights
    from animegan.weights.save import save_model_atomically

    output = Path(args.output)
    if output.suffix != ".keras":
        raise AnimeGANError(f"output must end in .keras, got {output}")
    if output.exists() and not args.overwrite:
        raise AnimeGANError(f"{output} exists; pass --overwrite to replace it")
    model = import_weights(args.source, args.arch, args.upsample)
    save_model_atomically(model, output)
    print(f"wrote {output} ({model.architecture}, norm={model.norm}, upsample={model.upsample})", file=sys.stderr)
    return 0
