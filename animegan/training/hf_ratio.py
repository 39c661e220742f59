"""The high-frequency artefact metric: how much more fine-grained energy the generator adds than the photo had.

AnimeGAN's known failure is high-frequency artefacts (checkerboard and grain), worse with instance norm
than with layer norm, that the TV loss alone does not remove. ``hf_ratio`` is the share of spectral energy
above a cut-off frequency in the generated images divided by the same share in the input photos: 1 means
the stylization is as fine-grained as the photo, above 1 it adds high-frequency content (artefacts, or
the hatching of the style), below 1 it smooths (flat cel shading).
"""

from __future__ import annotations

import numpy as np

# Rec. 601 luma, as the rest of the project's grayscale conversions.
_LUMA = np.array([0.299, 0.587, 0.114], np.float64)


def radial_frequency(height: int, width: int) -> np.ndarray:
    """Each FFT bin's radius as a fraction of the Nyquist frequency (0 at DC, 1 at Nyquist on an axis)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    return np.sqrt(fy**2 + fx**2) / 0.5


def high_frequency_share(images: np.ndarray, cutoff: float = 0.25) -> np.ndarray:
    """Per image, the fraction of (mean-removed, Hann-windowed) luma power above ``cutoff`` x Nyquist.

    ``images``: (N, H, W, 3) or (N, H, W) in any range. The window keeps the image border's jump from
    counting as high frequency. Returns (N,) in [0, 1]; a flat image gives 0.
    """
    x = np.asarray(images, np.float64)
    gray = x @ _LUMA if x.ndim == 4 else x
    h, w = gray.shape[1:3]
    gray = gray - gray.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2(gray * window)) ** 2
    high = radial_frequency(h, w) > cutoff
    total = power.sum(axis=(1, 2))
    return np.where(total > 0, power[:, high].sum(axis=1) / np.maximum(total, 1e-30), 0.0)


def high_frequency_ratio(generated: np.ndarray, photos: np.ndarray, cutoff: float = 0.25) -> float:
    """mean high-frequency share of ``generated`` / the same of ``photos`` (both (N, H, W, 3))."""
    reference = float(high_frequency_share(photos, cutoff).mean())
    return float(high_frequency_share(generated, cutoff).mean()) / max(reference, 1e-12)
