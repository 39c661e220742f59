"""``animegan train {animegan-v1,animegan-v2} --data DATA_DIR --photos PHOTOS --out RUN_DIR``.

Values come from the recipe (``--recipe``, default ``animegan-v1`` for v1 and ``hayao`` for v2); any
option given on the command line overrides it. ``--resume`` reloads RUN_DIR/config.json; what may
differ from the saved run is ``animegan.training.resume``'s rule (the length, moved paths, the
learning rates and --clipnorm).
"""

from __future__ import annotations

from animegan.choices import DEFAULT_RECIPES, GAN_LOSSES, GENERATOR_ARCHITECTURES, NORMS, UPSAMPLE_MODES
from animegan.cli.arguments import non_negative_float, non_negative_int, positive_int
from animegan.cli.train import add_common_options, fit_options, given_fields, report

DESCRIPTIONS = {
    "animegan-v1": "AnimeGAN v1 (3.96M-parameter generator, instance norm)",
    "animegan-v2": "AnimeGANv2 (2.1M-parameter generator, layer norm)",
}
VGG_WEIGHTS_HELP = (
    "VGG19 for the content/style losses: imagenet (default; Keras downloads and caches it), PATH to the "
    "no-top weights file for offline machines, or random (smoke tests only)"
)

# CLI option (argparse dest) -> AnimeGANConfig field; None means "not given".
CONFIG_FIELDS = {
    "data": "data_dir",
    "photos": "photos_dir",
    "val_photos": "val_photos_dir",
    "epochs": "epochs",
    "init_epochs": "init_epochs",
    "batch_size": "batch_size",
    "image_size": "image_size",
    "steps_per_epoch": "steps_per_epoch",
    "seed": "seed",
    "norm": "norm",
    "upsample": "upsample",
    "vgg_weights": "vgg_weights",
    "gan_loss": "gan_loss",
    "init_lr": "init_lr",
    "g_lr": "g_lr",
    "d_lr": "d_lr",
    "clipnorm": "clipnorm",
    "d_channels": "d_ch",
    "d_layers": "d_layers",
    "colour_offset": "colour_offset",
    "flip": "flip",
}
WEIGHT_FIELDS = {
    "adv_weight": "g_adv",
    "d_adv_weight": "d_adv",
    "content_weight": "content",
    "style_weight": "style",
    "colour_weight": "colour",
    "tv_weight": "tv",
}


def add_parsers(subparsers) -> None:
    for arch in GENERATOR_ARCHITECTURES:
        what, recipe = DESCRIPTIONS[arch], DEFAULT_RECIPES[arch]
        parser = subparsers.add_parser(
            arch,
            help=f"train {what} on your own style",
            description=f"Train {what}: first 'animegan prepare STYLE_DIR -o DATA_DIR', then this with your "
            f"photo folder. Default recipe: {recipe}.",
        )
        data = parser.add_argument_group("data")
        data.add_argument("--data", metavar="DATA_DIR", help="made by 'animegan prepare' (style/, smooth/, data_mean.json)")
        data.add_argument("--photos", metavar="PHOTOS", help="folder of photos (recursive; read in place, never copied)")
        data.add_argument("--no-colour-offset", dest="colour_offset", action="store_false", default=None,
                          help="do not shift the style images' colours by data_mean.json")  # fmt: skip
        data.add_argument("--no-flip", dest="flip", action="store_false", default=None, help="no random flips")
        model = parser.add_argument_group("model and losses")
        model.add_argument("--recipe", help=f"hayao, shinkai, paprika, animegan-v1, or a .toml file (default {recipe})")
        model.add_argument("--init-epochs", type=non_negative_int, help="content-only epochs before the GAN epochs")
        model.add_argument("--norm", choices=NORMS, help="generator normalization (default: the architecture's)")
        model.add_argument("--upsample", choices=UPSAMPLE_MODES, help="generator resize mode (default legacy)")
        model.add_argument("--vgg-weights", metavar="imagenet|random|PATH", help=VGG_WEIGHTS_HELP)
        model.add_argument("--gan-loss", choices=GAN_LOSSES, help="adversarial loss (default lsgan)")
        for flag, dest in WEIGHT_FIELDS.items():
            model.add_argument(f"--{flag.replace('_', '-')}", type=non_negative_float, help=f"weight of the {dest} loss")
        model.add_argument("--d-channels", type=positive_int, help="discriminator base channels (default 64)")
        model.add_argument("--d-layers", type=positive_int, help="discriminator depth n_dis (default 3)")
        optim = parser.add_argument_group("optimizers (Adam, beta_1 0.5)")
        optim.add_argument("--init-lr", type=float, help="learning rate of the content-only epochs")
        optim.add_argument("--g-lr", type=float, help="generator learning rate")
        optim.add_argument("--d-lr", type=float, help="discriminator learning rate")
        optim.add_argument("--clipnorm", type=non_negative_float, help="clip each gradient to this norm (0 = off)")
        add_common_options(parser)
        parser.set_defaults(run=run, arch=arch, default_recipe=recipe)


def _given(args) -> dict:
    """Config field -> value for every option given on the command line (``w_NAME``: a loss weight)."""
    values = given_fields(args, CONFIG_FIELDS)
    values.update({f"w_{field}": value for field, value in given_fields(args, WEIGHT_FIELDS).items()})
    return values


def _new_config(args):
    from animegan.errors import AnimeGANError
    from animegan.training.animegan import AnimeGANConfig
    from animegan.training.recipes import load_recipe

    if not args.data or not args.photos:
        raise AnimeGANError("--data DATA_DIR and --photos PHOTOS are required (or --resume an existing run)")
    recipe = load_recipe(args.recipe or args.default_recipe)
    if recipe.get("arch") not in (None, args.arch):
        report(f"animegan: note: recipe {recipe['name']} was made for {recipe['arch']}; using its values for {args.arch}")
    return AnimeGANConfig.from_recipe(args.arch, recipe, **_given(args))


def _resumed_config(args):
    from animegan.training.animegan import AnimeGANConfig
    from animegan.training.recipes import recipe_name
    from animegan.training.resume import resumed_config, saved_config

    given = _given(args)
    if args.recipe:
        given["recipe"] = recipe_name(args.recipe)
    return resumed_config(saved_config(args.out, args.arch, AnimeGANConfig), given, args.out, report)


def run(args) -> int:
    from pathlib import Path

    from animegan.training.animegan import AnimeGANTask
    from animegan.training.fit import check_options, check_run_dir, fit, save_run_config, summary_lines

    run_dir = Path(args.out)
    check_run_dir(run_dir, args.resume)
    config = _resumed_config(args) if args.resume else _new_config(args)
    options = fit_options(args, config.epochs, config.seed)
    check_options(options)
    task = AnimeGANTask(config, report=report)
    save_run_config(run_dir, {"family": "animegan", "config": config.to_dict()})
    report(
        f"{config.arch} ({config.recipe or 'custom'} recipe): {len(task.photos)} photos, {len(task.styles)} style "
        f"images, {task.steps_per_epoch} steps of {config.batch_size} x {config.image_size}px per epoch, "
        f"{config.epochs} epochs ({config.init_epochs} content-only)"
    )
    result = fit(task, options)
    print("\n".join(summary_lines(result)))
    return 0
