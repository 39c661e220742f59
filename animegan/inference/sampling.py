"""Sampling the generative models: image grids, truncation, latent walks written as MP4 (PyAV).

Works with a ``StyleGANLiteGenerator`` (latent z -> image, truncation toward the mean w) and a
``ConvVAE`` (latent from N(0, I) -> decoder; truncation scales the latent toward 0). Latents come from
``numpy.random.default_rng(seed)``, so a seed always gives the same pictures from the same run.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from animegan.atomic import replacing
from animegan.errors import AnimeGANError

# Which file a training run leaves for each family (the trainers' ``generators`` file stems).
RUN_MODEL_STEMS = ("generator", "vae")


def find_run_model(run: str | os.PathLike[str]) -> Path:
    """The ``.keras`` model of a run: RUN itself if a file, else RUN/generator.keras or RUN/vae.keras
    (or, failing that, the newest such file anywhere below RUN)."""
    run = Path(run)
    if run.is_file():
        return run
    if not run.is_dir():
        raise AnimeGANError(f"run folder not found: {run}")
    for stem in RUN_MODEL_STEMS:
        if (run / f"{stem}.keras").is_file():
            return run / f"{stem}.keras"
    found = [p for stem in RUN_MODEL_STEMS for p in run.rglob(f"{stem}.keras")]
    if not found:
        raise AnimeGANError(f"no generator.keras or vae.keras in {run}; is it a stylegan-lite or vae training run?")
    return max(found, key=lambda p: p.stat().st_mtime)


def load_generative_model(run: str | os.PathLike[str]):
    """Loads the StyleGAN-lite generator or VAE of a run (see ``find_run_model``)."""
    import keras

    import animegan.models  # noqa: F401  (registers the classes)
    from animegan.models.stylegan_lite import StyleGANLiteGenerator
    from animegan.models.vae import ConvVAE

    path = find_run_model(run)
    try:
        model = keras.saving.load_model(path, compile=False)
    except (OSError, ValueError) as error:
        raise AnimeGANError(f"cannot load {path}: {str(error).splitlines()[0]}") from error
    if not isinstance(model, (StyleGANLiteGenerator, ConvVAE)):
        raise AnimeGANError(f"{path} is a {type(model).__name__}, not a StyleGAN-lite generator or VAE")
    return model


def latent_dim(model) -> int:
    config = model.config
    return config.z_dim if hasattr(config, "z_dim") else config.latent_dim


def random_latents(count: int, dim: int, seed: int | None = None) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)


def generate(model, latents: np.ndarray, truncation: float = 1.0, batch_size: int = 16) -> np.ndarray:
    """Images (N, H, W, 3) in [-1, 1] for ``latents`` (N, dim)."""
    from animegan.models.vae import ConvVAE

    if not 0.0 <= truncation <= 1.0:
        raise AnimeGANError(f"truncation must be between 0 and 1, got {truncation}")
    outputs = []
    for start in range(0, len(latents), batch_size):
        z = latents[start : start + batch_size]
        if isinstance(model, ConvVAE):
            images = model.decode(z * np.float32(truncation))
        else:
            images = model.sample(z, truncation_psi=truncation)
        outputs.append(np.asarray(images, np.float32))
    return np.clip(np.concatenate(outputs), -1.0, 1.0)


def image_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """(N, H, W, 3) in [-1, 1] -> one (rows*H, columns*W, 3) picture in [0, 1], white gaps."""
    count, height, width, _ = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.ones((rows * (height + padding) - padding, columns * (width + padding) - padding, 3), np.float32)
    for i, image in enumerate(images):
        top, left = (i // columns) * (height + padding), (i % columns) * (width + padding)
        grid[top : top + height, left : left + width] = (image + 1.0) / 2.0
    return grid


def reconstruction_grid(vae, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Rows of ``image | reconstruction`` (posterior mean) as one picture in [0, 1]."""
    recon = np.concatenate([np.asarray(vae(images[i : i + batch_size])) for i in range(0, len(images), batch_size)])
    pairs = np.stack([images, np.clip(recon, -1.0, 1.0)], axis=1).reshape(-1, *images.shape[1:])
    return image_grid(pairs, columns=2)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation (Gaussian latents keep their typical norm along the way)."""
    a_norm, b_norm = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(a_norm, b_norm), -1.0, 1.0))
    if omega < 1e-6:
        return (1.0 - t) * a + t * b
    return (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolation_latents(frames: int, dim: int, keyframes: int = 4, seed: int | None = None) -> np.ndarray:
    """``frames`` latents walking through ``keyframes`` random latents and back to the first (a loop)."""
    if frames < 2:
        raise AnimeGANError(f"--frames must be at least 2, got {frames}")
    keys = random_latents(max(2, keyframes), dim, seed)
    keys = np.concatenate([keys, keys[:1]])
    positions = np.linspace(0.0, len(keys) - 1, frames, endpoint=False)
    out = [slerp(keys[int(p)], keys[int(p) + 1], p - int(p)) for p in positions]
    return np.stack(out).astype(np.float32)


def write_video(frames: np.ndarray, path: str | os.PathLike[str], fps: int = 24, upscale: int = 1) -> None:
    """(N, H, W, 3) in [-1, 1] -> an H.264 (MPEG-4 Part 2 without libx264) MP4 with PyAV, written atomically.

    The video is encoded into a hidden file beside ``path`` and renamed over it only when complete.
    """
    import av

    path = Path(path)
    pixels = np.clip((frames + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    if upscale > 1:
        pixels = pixels.repeat(upscale, axis=1).repeat(upscale, axis=2)
    # yuv420p needs even sizes.
    pixels = np.pad(pixels, ((0, 0), (0, pixels.shape[1] % 2), (0, pixels.shape[2] % 2), (0, 0)), mode="edge")
    try:
        with replacing(path, what="video") as temporary:
            with av.open(str(temporary), mode="w", format="mp4") as container:
                codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
                stream = container.add_stream(codec, rate=Fraction(fps))
                stream.width, stream.height = pixels.shape[2], pixels.shape[1]
                stream.pix_fmt = "yuv420p"
                for frame in pixels:
                    container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
                container.mux(stream.encode())
    except av.FFmpegError as error:
        raise AnimeGANError(f"cannot write video {path}: {error}") from error
