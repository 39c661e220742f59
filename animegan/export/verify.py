"""Parity of an exported model with the Keras model it came from.

Both run on the same photo-like inputs at two sizes (a fixed-shape export: two inputs at its one size),
or, for a latent-input model, on two standard-normal latents drawn with a fixed seed; the report gives the max abs error (on the model's [-1, 1] output) and the PSNR (on [0, 1] pictures,
peak 1), and fails against the threshold of the export's quantization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from animegan.errors import AnimeGANError
from animegan.export.calibration import synthetic_photo

Runner = Callable[[np.ndarray], np.ndarray]

DEFAULT_SIZES = ((256, 256), (192, 320))
_SEED = 20240605  # not the calibration seed: verification inputs are not the calibration inputs


@dataclass(frozen=True)
class Threshold:
    metric: str  # "max_abs" (must stay below) or "psnr" (must reach)
    limit: float

    def passes(self, max_abs: float, psnr: float) -> bool:
        return max_abs < self.limit if self.metric == "max_abs" else psnr >= self.limit

    def __str__(self) -> str:
        return f"max abs < {self.limit:g}" if self.metric == "max_abs" else f"PSNR >= {self.limit:g} dB"


THRESHOLDS = {
    "none": Threshold("max_abs", 1e-4),
    "float16": Threshold("psnr", 40.0),
    "dynamic": Threshold("psnr", 28.0),  # int8 weights: held to the int8 bar
    "int8": Threshold("psnr", 28.0),
    # float32 on another runtime (ONNX Runtime): other kernels sum in another order. 1e-3 on the [-1, 1]
    # output is an eighth of one uint8 level (2/255 = 7.8e-3), so a written pixel moves by at most one
    # level, and it implies PSNR >= 66 dB. The direct ONNX writer stays within ~3e-5, tf2onnx ~4e-4.
    "onnx": Threshold("max_abs", 1e-3),
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two [-1, 1] outputs seen as [0, 1] pictures; inf when identical."""
    mse = float(np.mean(((np.asarray(a, np.float64) - np.asarray(b, np.float64)) / 2.0) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


@dataclass(frozen=True)
class Comparison:
    input: str  # "256x256" (an image input's size) or "latent 1"
    max_abs: float
    psnr: float


@dataclass(frozen=True)
class Verification:
    label: str
    threshold: Threshold
    comparisons: tuple[Comparison, ...]

    @property
    def passed(self) -> bool:
        return all(self.threshold.passes(c.max_abs, c.psnr) for c in self.comparisons)

    def lines(self) -> list[str]:
        out = []
        for c in self.comparisons:
            verdict = "ok" if self.threshold.passes(c.max_abs, c.psnr) else "FAIL"
            out.append(
                f"verify {self.label} {c.input}: max abs {c.max_abs:.2e}, PSNR {c.psnr:.1f} dB "
                f"({self.threshold}: {verdict})"
            )
        return out

    def check(self) -> None:
        """Raises the one-line AnimeGANError of a failed verification."""
        if not self.passed:
            worst = min(self.comparisons, key=lambda c: (-c.max_abs if self.threshold.metric == "max_abs" else c.psnr))
            raise AnimeGANError(
                f"verification failed for {self.label}: max abs {worst.max_abs:.2e}, PSNR {worst.psnr:.1f} dB at "
                f"{worst.input} (needs {self.threshold}); nothing written (--no-verify skips the check)"
            )


def sample_inputs(sizes, count_per_size: int = 1) -> list[np.ndarray]:
    """Photo-like 1xHxWx3 float32 inputs in [-1, 1], the same for every run."""
    rng = np.random.default_rng(_SEED)
    return [
        (synthetic_photo(h, w, rng) * 2.0 - 1.0)[None].astype(np.float32)
        for h, w in sizes
        for _ in range(count_per_size)
    ]


def sample_latents(dim: int, count: int = 2) -> list[np.ndarray]:
    """``count`` 1 x dim standard-normal latents, the same for every run."""
    rng = np.random.default_rng(_SEED)
    return [rng.standard_normal((1, dim)).astype(np.float32) for _ in range(count)]


def _describe(x: np.ndarray, index: int) -> str:
    return f"latent {index + 1}" if x.ndim == 2 else f"{x.shape[1]}x{x.shape[2]}"


def verify(reference: Runner, exported: Runner, inputs: list[np.ndarray], label: str, quantization: str) -> Verification:
    comparisons = []
    for index, x in enumerate(inputs):
        expected = np.asarray(reference(x), np.float32)
        got = np.asarray(exported(x), np.float32)
        if got.shape != expected.shape:
            raise AnimeGANError(f"verification failed for {label}: output shape {got.shape}, expected {expected.shape}")
        comparisons.append(Comparison(_describe(x, index), float(np.max(np.abs(got - expected))), psnr(got, expected)))
    return Verification(label, THRESHOLDS[quantization], tuple(comparisons))


def verification_sizes(input_size: tuple[int, int] | None, sizes=DEFAULT_SIZES) -> tuple[list, int]:
    """(sizes, inputs per size): two sizes for any-size models, two inputs at a fixed-shape model's size."""
    if input_size is not None:
        return [tuple(input_size)], 2
    return list(sizes), 1
