"""``animegan train MODEL ...``: one subcommand per model family, sharing the common training options.

Each family lives in its own module of this package with ``add_parsers(subparsers)``, which adds its
subcommands (e.g. ``animegan-v1``, ``animegan-v2``) to the ``train`` group; adding a family is one module
and one entry in ``FAMILIES``. The options every run has (where, how long, how, resume) come from
``add_common_options`` so they read the same in every family.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from animegan.choices import STRATEGIES
from animegan.cli.arguments import positive_int

# Family modules, in the order --help lists them.
FAMILIES = ("train_animegan", "train_generative", "train_cyclegan", "train_distill")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on your own images",
        description="Train a model. Every run writes RUN_DIR/config.json, checkpoints/ (one per epoch; "
        "continue an interrupted run with --resume), samples/, logs/ (TensorBoard) and generator.keras.",
    )
    families = parser.add_subparsers(dest="family", metavar="MODEL", required=True)
    for name in FAMILIES:
        importlib.import_module(f"animegan.cli.{name}").add_parsers(families)


def add_common_options(parser: argparse.ArgumentParser, epochs_default: str = "the recipe's") -> None:
    """The options of every training run. Tunables default to None: 'not given' (the recipe decides)."""
    run = parser.add_argument_group("run")
    run.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder (checkpoints, samples, logs, model)")
    run.add_argument(
        "--resume", action="store_true",
        help="continue the run in RUN_DIR from its newest intact checkpoint (only --epochs, moved folders, "
        "learning rates and --clipnorm may change)",
    )  # fmt: skip
    run.add_argument("--epochs", type=positive_int, help=f"total epochs of the run (default: {epochs_default})")
    run.add_argument("--batch-size", type=positive_int, help="images per step, over all devices")
    run.add_argument("--image-size", type=positive_int, help="training crop size in pixels (multiple of 8)")
    run.add_argument("--steps-per-epoch", type=positive_int, help="default: one pass over the larger image set")
    run.add_argument("--seed", type=int, help="seed of weights and data order (default 0)")
    run.add_argument(
        "--val-photos", metavar="DIR", help="photos for the sample grids and hf_ratio (default: the first training photos)"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    scale = parser.add_argument_group("devices")
    scale.add_argument(
        "--strategy", choices=STRATEGIES, default="default",
        help="default: one device; mirrored: all local GPUs (tf.distribute.MirroredStrategy); multi-worker: "
        "several machines, each running this command with its TF_CONFIG (see docs/scale-out.md)",
    )  # fmt: skip
    scale.add_argument("--mixed-precision", action="store_true", help="float16 compute on GPUs (mixed_float16)")
    scale.add_argument("--xla", action="store_true", help="compile the train step with XLA (jit_compile)")
    scale.add_argument(
        "--no-determinism", action="store_true",
        help="allow non-deterministic kernels (faster on some GPUs; --resume is then not bit-exact)",
    )  # fmt: skip


def fit_options(args, epochs: int, seed: int):
    """The ``animegan.training.fit.FitOptions`` of the common options."""
    from pathlib import Path

    from animegan.training.fit import FitOptions

    return FitOptions(
        run_dir=Path(args.out),
        epochs=epochs,
        seed=seed,
        strategy=args.strategy,
        mixed_precision=args.mixed_precision,
        deterministic=not args.no_determinism,
        jit_compile=args.xla,
        resume=args.resume,
        progress=not args.no_progress,
    )


def given_fields(args, fields: dict[str, str]) -> dict:
    """The config fields the command line set (``fields``: argparse dest -> config field; None = not given).

    What ``--resume`` does with them is ``animegan.training.resume``'s rule.
    """
    return {field: getattr(args, dest) for dest, field in fields.items() if getattr(args, dest) is not None}


def report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
