"""Video frames through the three overlapping stages of ``stages.run_stages``.

The decode thread iterates ``chunks``, whose producer does all the per-frame preparation (conversion,
scaling, padding, stacking), so the calling thread only runs ``model`` on ready batches; the encode
thread hands each finished chunk to ``consume``. Memory stays at about ``2 * depth + 3`` batches.
Failures and Ctrl-C stop every stage as ``run_stages`` describes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from animegan.inference.stages import run_stages


@dataclass
class Chunk:
    """A batch of frames on its way through the stages, with whatever must be written after them."""

    batch: np.ndarray | None  # model input (N, H, W, C); None for a chunk that only carries extras
    stamps: list[Any] = field(default_factory=list)  # per frame, for the consumer (timestamps)
    extras: list[Any] = field(default_factory=list)  # written after the frames (audio packets)
    output: np.ndarray | None = None  # the model's result, set by the calling thread


def run_pipeline(
    chunks: Iterable[Chunk],
    model: Callable[[np.ndarray], np.ndarray],
    consume: Callable[[Chunk], None],
    depth: int = 2,
) -> None:
    """Runs every chunk through ``model`` (where it has a batch) and ``consume``, in order."""

    def run_model(chunk: Chunk) -> None:
        if chunk.batch is not None:
            chunk.output = model(chunk.batch)

    run_stages(chunks, run_model, consume, depth)
