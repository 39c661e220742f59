"""How many bytes of activations a generator produces per input pixel, found by running it symbolically."""

from __future__ import annotations

import keras
import numpy as np

from animegan.models.norm_statistics import _run

_PROBE = 16  # probe photo side, in strides


def activation_bytes(model) -> float:
    """The sum over every layer's outputs of their bytes, per pixel of the input photo.

    Runtimes free or reuse some of them as they go, so the peak is a fraction of this sum (see
    ``inference.memory.RUNTIME_FACTORS``); what matters is that it grows with the layers' widths
    and resolutions, which a pixel count alone cannot tell.
    """
    size = _PROBE * int(getattr(model, "stride", 4))
    total = [0]

    def operation(op):
        def call(*args, **kwargs):
            out = op(*args, **kwargs)
            for tensor in keras.tree.flatten(out):
                itemsize = np.dtype(tensor.dtype).itemsize if tensor.dtype else 4
                total[0] += int(np.prod(tensor.shape[1:])) * itemsize
            return out

        return call

    _run(model, keras.KerasTensor((1, size, size, 3)), operation)
    return total[0] / size**2
