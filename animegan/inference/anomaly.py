"""A VAE's per-image anomaly score: reconstruction error plus KL (the negative ELBO with beta = 1).

The reconstruction uses the posterior mean (no sampling noise), and the error is the model's own
likelihood (``VAEConfig.reconstruction``) summed over pixels, so scores are deterministic and on the
scale the model was trained on. Images unlike the training set reconstruct badly or need unusual
latents, so they score high.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError


@dataclass(frozen=True)
class ImageScore:
    path: Path
    score: float
    reconstruction: float
    kl: float


def anomaly_scores(vae, images: np.ndarray, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(reconstruction error, KL) per image for ``images`` (N, S, S, 3) in [-1, 1]; the score is their sum."""
    from animegan.losses.kl import gaussian_kl
    from animegan.losses.reconstruction import reconstruction_error

    recon, kl = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        mean, log_var = vae.encode(batch)
        recon.append(np.asarray(reconstruction_error(batch, vae.decode(mean), vae.config.reconstruction)))
        kl.append(np.asarray(gaussian_kl(mean, log_var)))
    return np.concatenate(recon), np.concatenate(kl)


def load_folder(folder: str | os.PathLike[str], size: int) -> tuple[list[Path], np.ndarray, list[tuple[Path, str]]]:
    """The images under ``folder`` (recursive, sorted), centre-cropped to ``size``, in [-1, 1]; the unreadable ones."""
    from animegan.data.images import is_image_path, read_image
    from animegan.data.dataset import center_crop_resize

    folder = Path(folder)
    if not folder.is_dir():
        raise AnimeGANError(f"images folder not found: {folder}")
    paths, images, failed = [], [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and is_image_path(p)):
        try:
            images.append(center_crop_resize(read_image(path).rgb, size) * 2.0 - 1.0)
        except AnimeGANError as error:
            failed.append((path, str(error)))
            continue
        paths.append(path)
    if not paths:
        raise AnimeGANError(f"no readable images in {folder}")
    return paths, np.stack(images).astype(np.float32), failed


def score_folder(
    vae, folder: str | os.PathLike[str], batch_size: int = 32
) -> tuple[list[ImageScore], list[tuple[Path, str]]]:
    """Scores every image of ``folder``, highest (most unusual) first; also returns the unreadable files."""
    paths, images, failed = load_folder(folder, vae.config.image_size)
    recon, kl = anomaly_scores(vae, images, batch_size)
    scores = [ImageScore(p, float(r + k), float(r), float(k)) for p, r, k in zip(paths, recon, kl)]
    return sorted(scores, key=lambda s: (-s.score, str(s.path))), failed
