"""How well each normalization choice survives full-integer int8 quantization.

For one architecture, a generator per norm (seeded random weights: the same for every run) is
converted to int8 TFLite at a fixed size, calibrated on the default synthetic photos or ``--calibration``
photos, and compared with its own float Keras model on the verification inputs; the verdict uses the
int8 threshold of ``animegan.export.verify``. A model whose float output is flat (untrained, unnormalized
networks often draw a constant picture) is flagged: its PSNR proves nothing. ``animegan bench
--int8-norms`` prints the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from animegan.choices import NORMS

# Below this standard deviation (on the [-1, 1] scale) the float model draws an almost constant picture,
# which int8 reproduces trivially: random weights without normalization do that.
FLAT_STD = 0.01


@dataclass(frozen=True)
class NormQuality:
    norm: str
    psnr: float  # the worse of the two verification inputs
    max_abs: float
    passed: bool
    flat: bool  # the float model's output hardly varies: its PSNR says nothing about int8


def int8_quality_by_norm(
    arch: str = "animegan-v2",
    size: tuple[int, int] = (256, 256),
    calibration: str | None = None,
    norms: tuple[str, ...] = NORMS,
    threads: int | None = None,
    report: Callable[[str], None] = print,
) -> list[NormQuality]:
    import keras

    from animegan.inference.backends_tflite import TFLiteBackend
    from animegan.models import build_generator
    from animegan.export.calibration import calibration_images
    from animegan.export.exporter import keras_runner
    from animegan.export.source import metadata_for
    from animegan.export.tflite import convert_tflite
    from animegan.export.verify import sample_inputs, verify

    representative = calibration_images(calibration, size)
    inputs = sample_inputs([size], 2)
    results = []
    for norm in norms:
        keras.utils.set_random_seed(0)
        model = build_generator(arch, norm=norm)
        content = convert_tflite(model, "int8", size, representative)
        runner = TFLiteBackend(model_content=content, metadata=metadata_for(model, "tflite", "int8", size), threads=threads)
        reference = keras_runner(model)
        flat = max(float(np.std(reference(x))) for x in inputs) < FLAT_STD
        check = verify(reference, runner, inputs, f"{arch} norm={norm} int8", "int8")
        worst = min(check.comparisons, key=lambda c: c.psnr)
        results.append(NormQuality(norm, worst.psnr, max(c.max_abs for c in check.comparisons), check.passed, flat))
        verdict = "not meaningful: the float output is flat with these weights" if flat else (
            f"{'meets' if check.passed else 'misses'} {check.threshold}"
        )
        report(
            f"int8 {arch} norm={norm:<9} {size[0]}x{size[1]}: PSNR {worst.psnr:5.1f} dB, max abs "
            f"{results[-1].max_abs:.3f} ({verdict})"
        )
    return results
