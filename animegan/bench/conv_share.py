"""How much of a backend's time is spent outside the convolutions.

ONNX Runtime profiles itself: the share is read from its per-node profile (every kernel that is not a
convolution). LiteRT, TensorFlow and XLA give no per-op times here, so their share is derived: the same
backend times a conv-only twin of the network, in which every normalization, activation and reflection
pad is an ``Identity`` and each padded convolution pads itself (``padding="same"``: the same output
shapes, the same conv FLOPs), and share = 1 - twin time / full time. The resizes and residual adds stay
in the twin, so the derived share is a lower bound.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

CONV_OPS = {"Conv", "FusedConv", "NchwcConv", "QLinearConv", "ConvInteger"}
_REMOVED = ("GroupNormalization", "BatchNormalization", "LayerNormalization", "LeakyReLU", "ReLU", "Activation", "ReflectionPadding2D")


def profile_shares(profile_json: str | Path, runs: int = 1) -> tuple[float, dict[str, float]]:
    """(share of kernel time outside convolutions, milliseconds per run by op type) of an ORT profile."""
    by_op: collections.Counter = collections.Counter()
    for event in json.loads(Path(profile_json).read_text()):
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
    total = sum(by_op.values())
    if not total:
        return float("nan"), {}
    outside = sum(t for op, t in by_op.items() if op not in CONV_OPS)
    return outside / total, {op: t / 1000.0 / runs for op, t in by_op.most_common()}


def conv_twin(model):
    """``model`` with only its convolutions left (and resizes, adds): see the module docstring."""
    import keras

    padded = {layer.name for layer in model.layers if _after_pad(layer)}

    def clone(layer):
        if type(layer).__name__ in _REMOVED:
            return keras.layers.Identity(name=layer.name)
        config = layer.get_config()
        if layer.name in padded:
            config["padding"] = "same"
        return layer.__class__.from_config(config)

    twin = keras.models.clone_model(model, clone_function=clone)
    for layer in twin.layers:
        if layer.weights and type(layer).__name__ not in _REMOVED:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return twin


def _after_pad(layer) -> bool:
    try:
        source = layer.input._keras_history.operation
    except (AttributeError, ValueError):
        return False
    return type(source).__name__ == "ReflectionPadding2D"
