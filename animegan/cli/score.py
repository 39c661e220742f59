"""``animegan score RUN_DIR IMAGES_DIR``: a VAE run's anomaly score per image, highest (most unusual) first.

Prints one ``score<TAB>path`` line per image on stdout; the score is reconstruction error plus KL
(see ``animegan.inference.anomaly``). Unreadable files are reported on stderr.
"""

from __future__ import annotations

import sys

from animegan.cli.arguments import positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="rank a folder's images by a VAE run's anomaly score (most unusual first)",
        description="Score every image of a folder with a trained VAE: reconstruction error plus KL. "
        "One line per image, highest first.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a vae training run folder (or its generator.keras)")
    parser.add_argument("images", metavar="IMAGES_DIR", help="folder of images to score (recursive)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="images per model call (default 32)")
    parser.add_argument("--details", action="store_true", help="also print the reconstruction and KL parts")
    parser.set_defaults(run=run)


def run(args) -> int:
    from animegan.errors import AnimeGANError
    from animegan.inference.anomaly import score_folder
    from animegan.inference.sampling import load_generative_model
    from animegan.models.vae import ConvVAE

    model = load_generative_model(args.run_dir)
    if not isinstance(model, ConvVAE):
        raise AnimeGANError(f"{args.run_dir} is not a vae run; anomaly scores need a VAE")
    scores, failed = score_folder(model, args.images, args.batch_size)
    for path, reason in failed:
        print(f"animegan: warning: skipped {path}: {reason}", file=sys.stderr)
    for item in scores:
        parts = f"\t{item.reconstruction:.4f}\t{item.kl:.4f}" if args.details else ""
        print(f"{item.score:.4f}{parts}\t{item.path}")
    return 1 if failed else 0
