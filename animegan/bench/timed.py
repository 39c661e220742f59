"""A backend wrapper that counts the seconds spent inside the model, for end-to-end benchmarks."""

from __future__ import annotations

import time

import numpy as np


class TimedBackend:
    """The backend, counting the seconds spent inside it (``seconds``)."""

    def __init__(self, backend):
        self.backend, self.name, self.stride, self.seconds = backend, backend.name, backend.stride, 0.0
        self.input_size = getattr(backend, "input_size", None)  # a fixed-size export's, for the tile choice

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = np.asarray(self.backend(batch))
        self.seconds += time.perf_counter() - start
        return out

    @property
    def memory_per_pixel(self) -> float | None:
        """The backend's estimate, so that the memory budget plans as it would without the timing."""
        return getattr(self.backend, "memory_per_pixel", None)

    @property
    def statistics(self):
        """The backend's whole-image statistics runner (its time is not counted)."""
        return getattr(self.backend, "statistics", None)
