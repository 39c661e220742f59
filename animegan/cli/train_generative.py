"""``animegan train {stylegan-lite,vae} --images DIR --out RUN_DIR``: the generative families' training.

``add_parsers(subparsers)`` adds the two families to the ``train`` command's subparser group. A run
writes RUN_DIR/config.json (every setting, so ``--resume`` needs only --images and --out),
checkpoints/, samples/epoch_XXX.png, logs/ (TensorBoard) and generator.keras (the EMA generator, or the
whole VAE) for ``animegan sample`` and ``animegan score``.
"""

from __future__ import annotations

import math

from animegan.choices import NORMS, RECONSTRUCTION_LOSSES
from animegan.cli.arguments import non_negative_float, positive_int
from animegan.cli.train import add_common_options, fit_options, report
DEFAULTS = {"epochs": 20, "batch_size": 16, "seed": 0, "image_size": 64}


def _family_options(parser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--images", required=True, metavar="DIR", help="folder of training images (recursive)")
    group.add_argument("--lr", type=float, help="learning rate (default: the family's)")


def add_parsers(subparsers) -> None:
    """Adds ``stylegan-lite`` and ``vae`` to the ``train`` command's subparsers."""
    stylegan = subparsers.add_parser(
        "stylegan-lite",
        help="a small StyleGAN2 that learns to draw new images like the folder's (16-256 px)",
        description="Train StyleGAN-lite on a folder of images (--image-size: a power of two, default 64). "
        "Sample with 'animegan sample RUN_DIR'.",
    )
    _family_options(stylegan)
    add_common_options(stylegan, epochs_default="20")
    model = stylegan.add_argument_group("model")
    model.add_argument("--z-dim", type=positive_int, default=256, help="latent size (default 256)")
    model.add_argument("--w-dim", type=positive_int, default=256, help="style size (default 256)")
    model.add_argument("--mapping-layers", type=positive_int, default=4, help="mapping network depth, 1-8 (default 4)")
    model.add_argument(
        "--channel-base", type=positive_int, default=8192, help="width at resolution r: base / r (default 8192)"
    )
    model.add_argument("--channel-max", type=positive_int, default=256, help="widest feature map (default 256)")
    model.add_argument("--r1-gamma", type=non_negative_float, default=1.0, help="R1 weight (default 1)")
    model.add_argument("--r1-interval", type=positive_int, default=16, help="R1 every N steps (default 16)")
    model.add_argument("--mixing-prob", type=non_negative_float, default=0.9, help="style mixing chance (default 0.9)")
    model.add_argument("--ema-decay", type=non_negative_float, default=0.999, help="EMA decay (default 0.999)")
    model.add_argument(
        "--diffaugment",
        default="",
        metavar="POLICY",
        help="differentiable augmentation for small datasets, e.g. color,translation,cutout (default none)",
    )
    stylegan.set_defaults(run=run)

    vae = subparsers.add_parser(
        "vae",
        help="a convolutional VAE (samples, reconstructions, anomaly scores with 'animegan score')",
        description="Train a convolutional VAE on a folder of images (--image-size: a power of two, default 64).",
    )
    _family_options(vae)
    add_common_options(vae, epochs_default="20")
    model = vae.add_argument_group("model")
    model.add_argument("--latent-dim", type=positive_int, default=128, help="latent size (default 128)")
    model.add_argument("--base-width", type=positive_int, default=32, help="channels of the first conv (default 32)")
    model.add_argument("--max-width", type=positive_int, default=256, help="widest feature map (default 256)")
    model.add_argument("--norm", choices=NORMS, default="none", help="normalization (default none)")
    model.add_argument("--recon", choices=RECONSTRUCTION_LOSSES, default="mse", help="reconstruction (default mse)")
    model.add_argument("--beta", type=non_negative_float, default=1.0, help="KL weight (default 1)")
    model.add_argument("--beta-warmup-steps", type=int, default=0, help="ramp beta up from 0 over N steps (default 0)")
    vae.set_defaults(run=run)


def _given(args, name: str):
    value = getattr(args, name)
    return DEFAULTS[name] if value is None else value


def _settings(args) -> dict:
    """The run's configuration as plain data (saved to config.json; what --resume rebuilds from)."""
    if args.family == "stylegan-lite":
        model = {
            "resolution": _given(args, "image_size"),
            "z_dim": args.z_dim,
            "w_dim": args.w_dim,
            "mapping_layers": args.mapping_layers,
            "channel_base": args.channel_base,
            "channel_max": args.channel_max,
            "seed": _given(args, "seed"),
        }
        training = {
            "r1_gamma": args.r1_gamma,
            "r1_interval": args.r1_interval,
            "mixing_prob": args.mixing_prob,
            "ema_decay": args.ema_decay,
            "diffaugment": args.diffaugment,
        }
        if args.lr is not None:
            training["learning_rate"] = args.lr
    else:
        model = {
            "image_size": _given(args, "image_size"),
            "latent_dim": args.latent_dim,
            "base_width": args.base_width,
            "max_width": args.max_width,
            "norm": args.norm,
            "reconstruction": args.recon,
        }
        training = {"beta": args.beta, "beta_warmup_steps": args.beta_warmup_steps}
        if args.lr is not None:
            training["learning_rate"] = args.lr
    return {
        "family": args.family,
        "model": model,
        "training": training,
        "batch_size": _given(args, "batch_size"),
        "seed": _given(args, "seed"),
        "epochs": _given(args, "epochs"),
    }


def run(args) -> int:
    from pathlib import Path

    from animegan.errors import AnimeGANError
    from animegan.training.fit import check_options, check_run_dir, fit, save_run_config, summary_lines
    from animegan.training.scans import scan_images

    run_dir = Path(args.out)
    settings = _resumed_settings(args) if args.resume else _settings(args)
    if args.epochs is not None:
        settings["epochs"] = args.epochs  # a resumed run may be extended
    options = fit_options(args, settings["epochs"], settings["seed"])
    check_options(options)  # before the scan: a multi-worker run joins its cluster before any TensorFlow op
    paths = scan_images(args.images, "training images", report)
    batch_size = settings["batch_size"]
    steps = args.steps_per_epoch or settings.get("steps_per_epoch") or max(1, math.ceil(len(paths) / batch_size))
    settings["steps_per_epoch"] = steps
    try:
        task = _task(settings, paths, steps, args.val_photos)
    except ValueError as error:  # a setting the dataclasses refuse
        raise AnimeGANError(str(error)) from None
    check_run_dir(run_dir, resume=args.resume)
    save_run_config(run_dir, settings)
    result = fit(task, options)
    # summary_lines ends with a 'stylize' hint, which is for image-to-image models.
    print("\n".join(line for line in summary_lines(result) if not line.startswith("stylize:")))
    print(f"sample:      animegan sample {run_dir} -n 16 -o grid.png [--truncation 0.7] [--seed S]")
    print(f"walk:        animegan sample {run_dir} --interpolate --frames 60 -o walk.mp4")
    if settings["family"] == "vae":
        print(f"score:       animegan score {run_dir} IMAGES_DIR")
    return 0


def _resumed_settings(args) -> dict:
    """The saved settings; a --lr that differs takes effect and is kept in ``changes`` with its epoch."""
    from animegan.training.resume import change_lines, saved_settings, setting_changes
    from animegan.training.stylegan_lite import StyleGANLiteTraining
    from animegan.training.vae import VAETraining

    settings = saved_settings(args.out, args.family)
    if args.lr is not None:
        training = settings.setdefault("training", {})
        default = (StyleGANLiteTraining if args.family == "stylegan-lite" else VAETraining)().learning_rate
        before = {"learning_rate": training.get("learning_rate", default)}
        changes = setting_changes(args.out, before, {"learning_rate": args.lr})
        training["learning_rate"] = args.lr
        settings["changes"] = [*settings.get("changes", []), *(change.to_dict() for change in changes)]
        for line in change_lines(changes):
            report(f"animegan: --resume changes {line}")
    return settings


def _task(settings: dict, paths, steps: int, val_photos: str | None = None):
    from animegan.training.scans import scan_images

    seed, batch_size = settings["seed"], settings["batch_size"]
    if settings["family"] == "stylegan-lite":
        from animegan.models.stylegan_lite import StyleGANLiteConfig
        from animegan.training.stylegan_lite import StyleGANLiteTask, StyleGANLiteTraining

        return StyleGANLiteTask(
            paths,
            StyleGANLiteConfig(**settings["model"]),
            StyleGANLiteTraining(**settings["training"]),
            batch_size,
            steps,
            seed,
        )
    from animegan.models.vae import VAEConfig
    from animegan.training.vae import VAETask, VAETraining

    validation = scan_images(val_photos, "validation photos", report) if val_photos else None
    return VAETask(
        paths, VAEConfig(**settings["model"]), VAETraining(**settings["training"]), batch_size, steps, seed, validation
    )
