"""``animegan weights import|list``: convert official AnimeGAN weights; list the pretrained styles."""

from __future__ import annotations

import sys

from animegan.choices import GENERATOR_ARCHITECTURES, UPSAMPLE_MODES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("weights", help="import pretrained weights; list the known styles")
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
    listing = actions.add_parser(
        "list",
        help="show the pretrained styles that --model NAME downloads on first use",
        description="List the known pretrained styles: name, architecture, download size, source URL, "
        "licence note, and whether the converted model is already in the cache "
        "($ANIMEGAN_CACHE, else $XDG_CACHE_HOME/animegan, else ~/.cache/animegan).",
    )
    listing.set_defaults(run=run_list)


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


def run_list(args) -> int:
    from animegan.weights.presets import PRESETS
    from animegan.weights.resolve import cached_model_path, is_cached, models_dir

    for preset in PRESETS.values():
        size = preset.size
        shown = f"{size / 1e6:.1f} MB" if size is not None else f"~{preset.approx_bytes / 1e6:.1f} MB"
        state = "cached" if is_cached(preset) else "not cached"
        print(f"{preset.name:<18} {preset.arch:<12} {preset.source_format:<4} {shown:>9}  {state:<10}  {preset.description}")
        for remote in preset.files:
            print(f"    source:  {remote.url}")
        print(f"    licence: {preset.licence}")
        if is_cached(preset):
            print(f"    model:   {cached_model_path(preset)}")
    print(f"cache: {models_dir().parent} (override with ANIMEGAN_CACHE)", file=sys.stderr)
    return 0
