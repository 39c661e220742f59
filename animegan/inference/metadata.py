"""What travels with an exported model: name, architecture, norm, upsampling, stride, input contract,
its normalization sites (for whole-image statistics in tiles) and its activation bytes per pixel.

A ``.tflite`` or ``.onnx`` file gets a sidecar ``FILE.json`` beside it; a SavedModel directory keeps the
same JSON as ``assets/animegan.json``. The inference backends read the stride from it, and the
CLI prints it, so nothing here may import TensorFlow (the TFLite path starts without it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from animegan.errors import AnimeGANError
from animegan.layers.norm_sites import NormSite

ASSET_NAME = "animegan.json"
FORMAT_VERSION = 1
STATISTICS_SIGNATURE = "statistics"  # the exports' signature taking and giving normalization statistics


@dataclass(frozen=True)
class ExportMetadata:
    """The contract of one exported generator.

    ``input_kind`` is "image" (NHWC RGB in ``input_range`` to the same) or "latent" (``latent_dim``
    floats per picture to NHWC RGB of ``output_size``). ``input_size`` is ``(height, width)`` for a
    fixed-shape image export and ``None`` for any size (H and W multiples of ``stride``).

    ``norm_sites``: the normalization layers whose statistics the ``statistics`` signature takes and
    gives (``models.norm_statistics``), ``()`` when the model has none, ``None`` when the export has no
    such signature (older exports, ONNX). ``activation_bytes``: the model's layer outputs per input
    pixel (``models.footprint``), what the memory budget is estimated from.
    """

    name: str
    architecture: str
    norm: str
    upsample: str
    stride: int
    format: str
    quantization: str = "none"
    input_size: tuple[int, int] | None = None
    input_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NHWC RGB"
    input_kind: str = "image"
    latent_dim: int | None = None
    output_size: tuple[int, int] | None = None  # latent models: the pictures' (height, width)
    signatures: dict[str, str] = field(default_factory=dict)
    norm_sites: tuple[NormSite, ...] | None = None
    activation_bytes: float | None = None
    animegan_version: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ExportMetadata:
        data = json.loads(text)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for name in ("input_size", "output_size"):
            if known.get(name) is not None:
                known[name] = tuple(int(v) for v in known[name])
        if known.get("norm_sites") is not None:
            known["norm_sites"] = tuple(NormSite.from_dict(site) for site in known["norm_sites"])
        if "input_range" in known:
            known["input_range"] = tuple(float(v) for v in known["input_range"])
        return cls(**known)

    @property
    def is_latent(self) -> bool:
        return self.input_kind == "latent"

    def describe(self) -> str:
        if self.is_latent:
            out = "x".join(str(v) for v in self.output_size) if self.output_size else "?"
            return (
                f"{self.architecture} norm={self.norm} upsample={self.upsample} quantization={self.quantization} "
                f"input=latent[{self.latent_dim}] output={out}"
            )
        size = "any HxW" if self.input_size is None else "{}x{}".format(*self.input_size)
        return (
            f"{self.architecture} norm={self.norm} upsample={self.upsample} stride={self.stride} "
            f"quantization={self.quantization} input={size}"
        )


def metadata_path(model_path: str | Path) -> Path:
    """Where the metadata of an exported model lives (a SavedModel directory or a sidecar file)."""
    path = Path(model_path)
    if path.is_dir():
        return path / "assets" / ASSET_NAME
    return path.with_name(path.name + ".json")


def read_metadata(model_path: str | Path) -> ExportMetadata:
    """The metadata exported beside ``model_path``; a one-line error when it is missing or broken."""
    path = metadata_path(model_path)
    try:
        return ExportMetadata.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnimeGANError(
            f"{model_path} has no metadata ({path} is missing); export it with 'animegan export' "
            "or copy its .json beside it"
        ) from None
    except (OSError, ValueError, TypeError) as error:
        raise AnimeGANError(f"cannot read export metadata {path}: {error}") from None


def site_names(index: int) -> tuple[str, str, str, str]:
    """The ``statistics`` signature's names for site ``index``: (mean input, variance input,
    measured mean output, measured variance output)."""
    return f"mean_{index:03d}", f"variance_{index:03d}", f"measured_mean_{index:03d}", f"measured_variance_{index:03d}"


def statistics_feed(batch, mask, own: float, means, variances) -> dict:
    """The ``statistics`` signature's inputs by name, float32 numpy arrays."""
    import numpy as np

    batch = np.asarray(batch, np.float32)
    feed = {
        "photo": batch,
        "mask": np.asarray(mask, np.float32),
        "own": np.full((batch.shape[0], 1), own, np.float32),
    }
    for k, (mean, variance) in enumerate(zip(means, variances)):
        mean_name, variance_name, _, _ = site_names(k)
        feed[mean_name] = np.asarray(mean, np.float32)
        feed[variance_name] = np.asarray(variance, np.float32)
    return feed


def statistics_results(outputs: dict, count: int) -> tuple:
    """(stylized, measured means, measured variances) from the signature's outputs by name."""
    names = [site_names(k) for k in range(count)]
    return outputs["stylized"], [outputs[n[2]] for n in names], [outputs[n[3]] for n in names]
