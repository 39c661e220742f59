"""``animegan sample RUN_DIR -n 16 -o grid.png``: new images from a StyleGAN-lite or VAE run.

With ``--interpolate`` it writes a looping latent walk as an MP4 (``--frames``, ``--fps``) instead.
A seed always gives the same pictures from the same model.
"""

from __future__ import annotations

import sys

from animegan.cli.arguments import positive_int, unit_float


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="draw new images (a grid, or a latent walk video) from a stylegan-lite or vae run",
        description="Sample a trained StyleGAN-lite generator or VAE decoder: an image grid, or with "
        "--interpolate a looping latent walk as MP4.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a training run folder (or its generator.keras)")
    parser.add_argument("-o", "--output", required=True, help="grid image (.png, .jpg, ...); .mp4 with --interpolate")
    parser.add_argument("-n", "--count", type=positive_int, default=16, help="images in the grid (default 16)")
    parser.add_argument("--columns", type=positive_int, help="grid columns (default: about square)")
    parser.add_argument(
        "--truncation",
        type=unit_float,
        default=1.0,
        help="psi in [0, 1]: lower is more typical, less varied (default 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    parser.add_argument("--interpolate", action="store_true", help="write a latent walk video instead of a grid")
    parser.add_argument("--frames", type=positive_int, default=60, help="video frames (default 60)")
    parser.add_argument("--keyframes", type=positive_int, default=4, help="random latents the walk visits (default 4)")
    parser.add_argument("--fps", type=positive_int, default=24, help="video frame rate (default 24)")
    parser.add_argument(
        "--reconstruct", metavar="IMAGES_DIR", help="VAE only: grid of the first -n images and their reconstructions"
    )
    parser.add_argument("--upscale", type=positive_int, default=1, help="enlarge video frames N times (default 1)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from animegan.data.images import write_image
    from animegan.errors import AnimeGANError
    from animegan.inference import sampling

    output = Path(args.output)
    if args.interpolate and args.reconstruct:
        raise AnimeGANError("--interpolate and --reconstruct cannot be combined")
    if args.interpolate and output.suffix.lower() != ".mp4":
        raise AnimeGANError(f"--interpolate writes an MP4 video; name the output *.mp4, not {output.name}")
    model = sampling.load_generative_model(args.run_dir)
    dim = sampling.latent_dim(model)
    if args.reconstruct:
        return _reconstruct(model, args, output)
    if args.interpolate:
        latents = sampling.interpolation_latents(args.frames, dim, args.keyframes, args.seed)
        frames = sampling.generate(model, latents, args.truncation)
        sampling.write_video(frames, output, fps=args.fps, upscale=args.upscale)
        print(f"{args.frames} frames written to {output}", file=sys.stderr)
        return 0
    images = sampling.generate(model, sampling.random_latents(args.count, dim, args.seed), args.truncation)
    write_image(output, sampling.image_grid(images, args.columns))
    print(f"{args.count} samples written to {output}", file=sys.stderr)
    return 0


def _reconstruct(model, args, output) -> int:
    from animegan.data.images import write_image
    from animegan.errors import AnimeGANError
    from animegan.inference.anomaly import load_folder
    from animegan.inference.sampling import reconstruction_grid
    from animegan.models.vae import ConvVAE

    if not isinstance(model, ConvVAE):
        raise AnimeGANError("--reconstruct needs a vae run")
    _, images, failed = load_folder(args.reconstruct, model.config.image_size)
    for path, reason in failed:
        print(f"animegan: warning: skipped {path}: {reason}", file=sys.stderr)
    write_image(output, reconstruction_grid(model, images[: args.count]))
    print(f"{min(len(images), args.count)} reconstructions written to {output}", file=sys.stderr)
    return 0
