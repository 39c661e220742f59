"""``animegan train distill --pairs PAIRS_DIR --out RUN_DIR``: paired (photo, target) training.

PAIRS_DIR is what ``animegan make-pairs`` writes (photos/NAME.png, targets/NAME.png). ``--resume``
reloads RUN_DIR/config.json; what may differ is ``animegan.training.resume``'s rule (the length, moved
paths and the learning rates).
"""

from __future__ import annotations

from animegan.choices import GAN_LOSSES, GENERATOR_ARCHITECTURES, NORMS, UPSAMPLE_MODES
from animegan.cli.arguments import non_negative_float, positive_float, positive_int
from animegan.cli.train import add_common_options, fit_options, given_fields, report

# CLI option (argparse dest) -> DistillConfig field; None means "not given".
CONFIG_FIELDS = {
    "pairs": "pairs_dir",
    "arch": "arch",
    "width": "width",
    "norm": "norm",
    "upsample": "upsample",
    "val_photos": "val_photos_dir",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "image_size": "image_size",
    "steps_per_epoch": "steps_per_epoch",
    "lr": "lr",
    "d_lr": "d_lr",
    "adversarial_weight": "adversarial_weight",
    "gan_loss": "gan_loss",
    "d_channels": "d_ch",
    "d_layers": "d_layers",
    "seed": "seed",
    "flip": "flip",
}


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "distill",
        help="train a generator on (photo, target) pairs (distil a filter)",
        description="Paired training: the generator learns to turn each photo into its target, with an L1 "
        "loss and an optional adversarial loss. Make the pairs with 'animegan make-pairs PHOTOS -o PAIRS_DIR' "
        "(or any folder with photos/NAME and targets/NAME of the same size).",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--pairs", metavar="PAIRS_DIR", help="photos/ and targets/ with the same file names")
    data.add_argument("--no-flip", dest="flip", action="store_false", default=None, help="no random flips")
    model = parser.add_argument_group("model and losses")
    model.add_argument("--arch", choices=GENERATOR_ARCHITECTURES, help="generator architecture (default animegan-v2)")
    model.add_argument(
        "--width", type=positive_float, help="channel multiplier of animegan-v2 (default 1.0: the official net)"
    )
    model.add_argument("--norm", choices=NORMS, help="generator normalization (default: the architecture's)")
    model.add_argument("--upsample", choices=UPSAMPLE_MODES, help="generator resize mode (default legacy)")
    model.add_argument(
        "--adversarial-weight", type=non_negative_float,
        help="weight of the adversarial loss next to L1 (default 0: pure L1, no discriminator training)",
    )  # fmt: skip
    model.add_argument("--gan-loss", choices=GAN_LOSSES, help="adversarial loss (default lsgan)")
    model.add_argument("--d-channels", type=positive_int, help="discriminator base channels (default 32)")
    model.add_argument("--d-layers", type=positive_int, help="discriminator depth (default 2)")
    optim = parser.add_argument_group("optimizers (Adam, beta_1 0.5)")
    optim.add_argument("--lr", type=positive_float, help="generator learning rate (default 2e-4)")
    optim.add_argument("--d-lr", type=positive_float, help="discriminator learning rate (default 2e-4)")
    add_common_options(parser, epochs_default="20")
    parser.set_defaults(run=run)


def _config(args):
    from animegan.errors import AnimeGANError
    from animegan.training.distill import DistillConfig
    from animegan.training.resume import resumed_config, saved_config

    given = given_fields(args, CONFIG_FIELDS)
    if not args.resume:
        if not args.pairs:
            raise AnimeGANError("--pairs PAIRS_DIR is required (or --resume an existing run)")
        return DistillConfig(**given).validated()
    return resumed_config(saved_config(args.out, "distill", DistillConfig), given, args.out, report)


def run(args) -> int:
    from pathlib import Path

    from animegan.training.distill import DistillTask
    from animegan.training.fit import check_options, check_run_dir, fit, save_run_config, summary_lines

    run_dir = Path(args.out)
    check_run_dir(run_dir, args.resume)
    config = _config(args)
    options = fit_options(args, config.epochs, config.seed)
    check_options(options)
    task = DistillTask(config, report=report)
    save_run_config(run_dir, {"family": "distill", "config": config.to_dict()})
    adversarial = f"L1 + {config.adversarial_weight} x {config.gan_loss}" if config.adversarial_weight else "L1"
    report(
        f"distill {config.arch} (width {config.width}, {adversarial}): {len(task.photos)} pairs, "
        f"{task.steps_per_epoch} steps of {config.batch_size} x {config.image_size}px per epoch, {config.epochs} epochs"
    )
    result = fit(task, options)
    print("\n".join(summary_lines(result)))
    return 0
