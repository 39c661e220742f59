"""``animegan train cyclegan --domain-a DIR --domain-b DIR --out RUN_DIR``: unpaired translation A <-> B.

A run writes what every training run writes (config.json, checkpoints/, samples/ of A -> B, logs/,
generator.keras = A -> B) plus RUN_DIR/a2b.keras and RUN_DIR/b2a.keras, both usable with
``animegan stylize --model``. ``--resume`` reloads RUN_DIR/config.json; what may differ is
``animegan.training.resume``'s rule (the length, moved folders, --lr and --clipnorm).
"""

from __future__ import annotations

from animegan.choices import NORMS
from animegan.cli.arguments import non_negative_float, non_negative_int, positive_int
from animegan.cli.train import add_common_options, fit_options, given_fields, report

FAMILY = "cyclegan"

# CLI option (argparse dest) -> CycleGANConfig field; None means "not given" (the config's default).
CONFIG_FIELDS = {
    "domain_a": "domain_a",
    "domain_b": "domain_b",
    "val_photos": "val_dir",
    "epochs": "epochs",
    "decay_epochs": "decay_epochs",
    "batch_size": "batch_size",
    "image_size": "image_size",
    "steps_per_epoch": "steps_per_epoch",
    "seed": "seed",
    "blocks": "n_blocks",
    "ngf": "ngf",
    "ndf": "ndf",
    "norm": "norm",
    "lr": "lr",
    "clipnorm": "clipnorm",
    "cycle_weight": "cycle_weight",
    "identity_ratio": "identity_ratio",
    "pool_size": "pool_size",
    "flip": "flip",
}


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        FAMILY,
        help="CycleGAN: unpaired translation between two image folders (photos <-> paintings, ...)",
        description="Train CycleGAN on two unpaired image folders. Saves RUN_DIR/a2b.keras and b2a.keras "
        "for 'animegan stylize --model'. Defaults are the paper's: 200 epochs (the second half decays the "
        "learning rate to 0), batch 1, 256px crops, ResNet-9 generators, 70x70 PatchGAN, instance norm.",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--domain-a", metavar="DIR", help="folder of domain A images (recursive)")
    data.add_argument("--domain-b", metavar="DIR", help="folder of domain B images (recursive)")
    data.add_argument("--no-flip", dest="flip", action="store_false", default=None, help="no random flips")
    model = parser.add_argument_group("model and losses")
    model.add_argument("--blocks", type=positive_int, help="residual blocks per generator: 9 (default) or 6 for 128px")
    model.add_argument("--ngf", type=positive_int, help="generator base channels (default 64)")
    model.add_argument("--ndf", type=positive_int, help="discriminator base channels (default 64)")
    model.add_argument("--norm", choices=NORMS, help="normalization of all four networks (default instance)")
    model.add_argument("--cycle-weight", type=non_negative_float, help="cycle-consistency weight (default 10)")
    model.add_argument(
        "--identity-ratio", type=non_negative_float, help="identity weight / cycle weight (default 0.5)"
    )
    model.add_argument(
        "--pool-size", type=non_negative_int, help="generated images each discriminator recalls (default 50)"
    )
    optim = parser.add_argument_group("optimizers (Adam, beta_1 0.5)")
    optim.add_argument("--lr", type=float, help="learning rate of all four networks (default 2e-4)")
    optim.add_argument(
        "--decay-epochs", type=non_negative_int,
        help="last epochs decaying the rate linearly to 0 (default: half of --epochs, 100 of the paper's 200)",
    )
    optim.add_argument("--clipnorm", type=non_negative_float, help="clip each gradient to this norm (0 = off)")
    add_common_options(parser, epochs_default="200")
    parser.set_defaults(run=run)


def _config(args):
    from animegan.errors import AnimeGANError
    from animegan.training.cyclegan import CycleGANConfig
    from animegan.training.resume import resumed_config, saved_config

    given = given_fields(args, CONFIG_FIELDS)
    if not args.resume:
        if not args.domain_a or not args.domain_b:
            raise AnimeGANError("--domain-a DIR and --domain-b DIR are required (or --resume an existing run)")
        return CycleGANConfig(**given).validated()
    return resumed_config(saved_config(args.out, FAMILY, CycleGANConfig), given, args.out, report)


def run(args) -> int:
    from pathlib import Path

    from animegan.training.cyclegan import CycleGANTask, save_generators
    from animegan.training.fit import check_options, check_run_dir, fit, save_run_config, summary_lines

    run_dir = Path(args.out)
    check_run_dir(run_dir, args.resume)
    config = _config(args)
    options = fit_options(args, config.epochs, config.seed)
    check_options(options)
    task = CycleGANTask(config, report=report)
    save_run_config(run_dir, {"family": FAMILY, "config": config.to_dict()})
    report(
        f"cyclegan: {len(task.images_a)} A images, {len(task.images_b)} B images, {task.steps_per_epoch} steps of "
        f"{config.batch_size} x {config.image_size}px per epoch, {config.epochs} epochs "
        f"({config.decay_epochs} decaying the learning rate)"
    )
    result = fit(task, options)
    paths = save_generators(task.trainer, result.run_dir)  # a multi-worker run's other workers: a scratch folder
    print("\n".join(summary_lines(result)))
    print(f"a2b:         {paths['a2b']}\nb2a:         {paths['b2a']}")
    print(f"stylize B->A: animegan stylize IMAGE -o OUT --model {paths['b2a']}")
    return 0
