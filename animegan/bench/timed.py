"""A backend wrapper that counts the seconds spent inside the model, for end-to-end benchmarks."""

from __future__ import annotations

import time

import numpy as np


class TimedBackend:
    """The backend, counting the seconds spent inside it (``seconds``)."""

    def __init__(self, backend):
        self.backend, self.name, self.stride, self.seconds = backend, backend.name, backend.stride, 0.0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = np.asarray(self.backend(batch))
        self.seconds += time.perf_counter() - start
        return out
