"""Imports official AnimeGAN weights into the project's Keras generators.

Sources: TF1 checkpoints in the official AnimeGAN / AnimeGANv2 variable layout
(``generator/G_MODEL/<scope>/<leaf>``) and ``.pt`` state_dicts in the layout of the popular PyTorch
port of AnimeGANv2. Both are turned into ``{(layer name, weight attribute): array}`` in Keras layouts and
assigned by name, checking that every variable finds its layer and every layer weight gets a value.
"""

from __future__ import annotations

import glob
import math
import re
from pathlib import Path

import numpy as np

from animegan.errors import AnimeGANError
from animegan.models.registry import build_generator
from animegan.weights.torch_pt import load_state_dict

LayerWeights = dict[tuple[str, str], np.ndarray]

_TF1_LEAVES = {
    "weights": "kernel",
    "w": "kernel",
    "depthwise_weights": "depthwise_kernel",
    "pointwise_weights": "pointwise_kernel",
    "biases": "bias",
    "bias": "bias",
    "gamma": "gamma",
    "beta": "beta",
    "moving_mean": "moving_mean",
    "moving_variance": "moving_variance",
}
_OPTIMIZER_SLOT = re.compile(r"/(Adam|Adam_\d+|Momentum|RMSProp\w*)$")


def source_format(src: str | Path) -> str:
    """``"pt"`` or ``"tf1"``; a one-line error when SRC is neither."""
    path = Path(src)
    if path.suffix in (".pt", ".pth"):
        if not path.is_file():
            raise AnimeGANError(f"weights file not found: {path}")
        return "pt"
    if path.is_dir() and (path / "checkpoint").is_file():
        return "tf1"
    if Path(f"{path}.index").is_file():
        return "tf1"
    raise AnimeGANError(
        f"{src} is neither a .pt state_dict nor a TF1 checkpoint "
        "(a directory with a 'checkpoint' file, or a prefix with a .index file beside it)"
    )


def read_tf1_checkpoint(src: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a TF1 checkpoint; a missing, truncated or damaged file is one line."""
    import tensorflow as tf

    prefix = str(src)
    if Path(src).is_dir():
        prefix = tf.train.latest_checkpoint(str(src))
        if prefix is None:
            raise AnimeGANError(f"{src}/checkpoint names no checkpoint that exists")
    if not list(Path(prefix).parent.glob(f"{glob.escape(Path(prefix).name)}.data-*-of-*")):
        raise AnimeGANError(f"TF1 checkpoint {prefix} has its .index but no .data file beside it")
    try:
        reader = tf.train.load_checkpoint(prefix)
        return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    except IndexError:  # what the reader raises when a .data file ends before a tensor the .index lists
        raise AnimeGANError(f"cannot read TF1 checkpoint {prefix}: its .data file is truncated") from None
    except (tf.errors.OpError, ValueError, RuntimeError) as error:
        raise AnimeGANError(f"cannot read TF1 checkpoint {prefix}: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _layer_name(scope: str) -> str:
    """TF1 scope to layer name: '/' becomes '.', the InstanceNorm/LayerNorm scopes become Norm."""
    parts = [re.sub(r"^(InstanceNorm|LayerNorm)", "Norm", part) for part in scope.split("/")]
    return ".".join(parts)


def tf1_layer_weights(variables: dict[str, np.ndarray]) -> LayerWeights:
    """Generator variables of an official checkpoint; discriminator and optimizer slots are ignored."""
    out: LayerWeights = {}
    for name, value in variables.items():
        if "G_MODEL/" not in name or _OPTIMIZER_SLOT.search(name):
            continue
        scope, _, leaf = name.split("G_MODEL/", 1)[1].rpartition("/")
        if leaf not in _TF1_LEAVES:
            raise AnimeGANError(f"unknown variable {name} in checkpoint")
        out[(_layer_name(scope), _TF1_LEAVES[leaf])] = (value, name)
    if not out:
        raise AnimeGANError("checkpoint holds no generator variables (no 'G_MODEL/' scope)")
    return out


_PT_BLOCKS = {"block_a": "A", "block_b": "B", "block_c": "C", "block_d": "D", "block_e": "E"}


def _pt_conv_scope(block: str, index: int) -> str:
    """The TF1 scope of the index-th ConvNormLReLU in a port block."""
    scope = _PT_BLOCKS[block]
    if block == "block_c":  # C: Conv, r1..r4, Conv_1
        return "C/Conv_1" if index == 5 else "C/Conv"
    return f"{scope}/Conv" + (f"_{index}" if index else "")


def _pt_target(key: str) -> tuple[str, str]:
    """Maps a port key to (TF1 scope, leaf); raises KeyError for keys outside the layout."""
    if key == "out_layer.0.weight":
        return "out_layer/Conv", "weights"
    match = re.fullmatch(r"block_c\.([1-4])\.layers\.(.+)", key)
    if match:
        r = f"C/r{match[1]}"
        inner = {
            "0.1.weight": (f"{r}/Conv", "weights"),
            "0.2.weight": (f"{r}/LayerNorm", "gamma"),
            "0.2.bias": (f"{r}/LayerNorm", "beta"),
            "1.1.weight": (f"{r}/r{match[1]}", "w"),
            "1.1.bias": (f"{r}/r{match[1]}", "bias"),
            "1.2.weight": (f"{r}/1", "gamma"),
            "1.2.bias": (f"{r}/1", "beta"),
            "2.weight": (f"{r}/Conv_1", "weights"),
            "3.weight": (f"{r}/2", "gamma"),
            "3.bias": (f"{r}/2", "beta"),
        }
        return inner[match[2]]
    match = re.fullmatch(r"(block_[a-e])\.(\d)\.([12])\.(weight|bias)", key)
    if not match or (match[1] == "block_c" and match[2] not in "05"):
        raise KeyError(key)
    conv_scope = _pt_conv_scope(match[1], int(match[2]))
    if match[3] == "1":
        if match[4] != "weight":
            raise KeyError(key)
        return conv_scope, "weights"
    return conv_scope.replace("/Conv", "/LayerNorm"), "gamma" if match[4] == "weight" else "beta"


def pt_layer_weights(state: dict[str, np.ndarray]) -> LayerWeights:
    """The PyTorch port's state_dict in Keras layouts (kernels OIHW → HWIO, depthwise → HWC1)."""
    out: LayerWeights = {}
    for key, value in state.items():
        try:
            scope, leaf = _pt_target(key)
        except KeyError:
            raise AnimeGANError(f"unknown variable {key} (not in the AnimeGANv2 PyTorch port's layout)") from None
        if leaf == "w":
            value = value.transpose(2, 3, 0, 1)
        elif value.ndim == 4:
            value = value.transpose(2, 3, 1, 0)
        out[(_layer_name(scope), _TF1_LEAVES[leaf])] = (value, key)
    return out


def assign_layer_weights(model, weights: LayerWeights) -> None:
    """Assigns every value by layer name; one-line errors name the offending variable."""
    layers = {layer.name: layer for layer in model.layers}
    assigned = set()
    for (layer_name, attribute), (value, source_name) in weights.items():
        layer = layers.get(layer_name)
        variable = getattr(layer, attribute, None) if layer is not None else None
        if variable is None:
            raise AnimeGANError(
                f"variable {source_name} has no counterpart in {model.architecture} (is --arch right?)"
            )
        if tuple(variable.shape) != tuple(value.shape):
            raise AnimeGANError(
                f"variable {source_name} has shape {tuple(value.shape)}, "
                f"{model.architecture} expects {tuple(variable.shape)} (is --arch right?)"
            )
        variable.assign(value.astype(np.float32))
        assigned.add(id(variable))
    missing = [v.path for v in model.weights if id(v) not in assigned]
    if missing:
        raise AnimeGANError(f"the weights lack {len(missing)} variable(s) of {model.architecture}, e.g. {missing[0]}")


def default_upsample(fmt: str) -> str:
    """The resize mode the source was trained with."""
    return "legacy" if fmt == "tf1" else "half_pixel"


# A state_dict holds exactly the generator's parameters; the margin admits a storage a little larger
# than its tensor (a saved view), never the gigabytes of a crafted file.
PT_MARGIN = 1.125


def element_budget(model) -> int:
    """How many elements a .pt file for ``model`` may hold: its parameter count plus a small margin."""
    return int(sum(math.prod(v.shape) for v in model.weights) * PT_MARGIN) + 1024


def import_weights(src: str | Path, arch: str, upsample: str | None = None):
    """Builds ``arch`` and loads SRC into it; returns the Keras generator."""
    fmt = source_format(src)
    weights = tf1_layer_weights(read_tf1_checkpoint(src)) if fmt == "tf1" else None  # a damaged file fails fast
    model = build_generator(arch, upsample=upsample or default_upsample(fmt))
    if fmt == "pt":  # read within what the generator needs
        weights = pt_layer_weights(load_state_dict(src, max_elements=element_budget(model)))
    assign_layer_weights(model, weights)
    return model
