"""What every image-to-image generator of the project has in common."""

from __future__ import annotations

import keras

from animegan.layers.norms import check_norm
from animegan.layers.resize import check_upsample_mode


class ImageGenerator(keras.Model):
    """A functional, fully convolutional generator: NHWC RGB in [-1, 1] to the same.

    Subclasses build their graph with ``_build(inputs)`` and set ``architecture`` (the registry name)
    and ``stride`` (input H and W must be multiples of it).
    """

    architecture = ""
    stride = 4
    default_norm = "instance"
    default_upsample = "half_pixel"

    def __init__(self, norm: str | None = None, upsample: str | None = None, **kwargs):
        # === Config ===
        norm = check_norm(norm or self.default_norm)
        upsample = check_upsample_mode(upsample or self.default_upsample)
        # === Functional Model ===
        inputs = keras.Input(shape=(None, None, 3), name="photo")
        outputs = self._build(inputs, norm, upsample)
        kwargs.setdefault("name", self.architecture.replace("-", "_"))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.norm = norm
        self.upsample = upsample

    def _build(self, inputs, norm: str, upsample: str):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "norm": self.norm, "upsample": self.upsample}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def tanh_output(x):
    """The image output, kept float32 under mixed precision."""
    return keras.layers.Activation("tanh", dtype="float32", name="stylized")(x)
