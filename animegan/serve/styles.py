"""The styles a server offers, by name: the bundled default, the pretrained presets, ``--model`` files.

A request names a style; it never gives a path. ``StyleRegistry.get`` refuses any name it does not
list, so a path, a ``..`` or a preset that this server hides is one 400 error. Backends are loaded on
first use through the project's ``resolve_model`` (a preset not cached yet is downloaded then) and
``load_backend``, and the most recently used ``loaded_models`` of them stay in memory.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from animegan.errors import AnimeGANError
from animegan.inference.backends import Backend, load_backend
from animegan.serve.errors import RequestError
from animegan.weights.presets import PRESETS, find_preset
from animegan.weights.resolve import is_cached, resolve_model

DEFAULT_STYLE = "default"
_BUNDLED_LICENCE = (
    "MIT: the project's own model, trained on public-domain and CC0 photos (scripts/make_default_model.py)"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Style:
    name: str  # what a request names: letters, digits, '_', '.', '-'
    label: str  # what the page's menu shows
    description: str
    licence: str
    kind: str  # "bundled", "preset" or "model" (given with --model)
    spec: str | None  # what resolve_model takes: None (the bundled default), a preset name or a path

    @property
    def needs_download(self) -> bool:
        """A preset whose converted model is not in the cache yet (asked afresh: a download changes it)."""
        preset = find_preset(self.spec) if self.kind == "preset" and self.spec else None
        return preset is not None and not is_cached(preset)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "licence": self.licence,
            "kind": self.kind,
            "needs_download": self.needs_download,
        }


def _bundled() -> Style:
    return Style(
        DEFAULT_STYLE,
        "Cel shading (bundled default)",
        "the project's own small model: flat colours and soft outlines, works offline",
        _BUNDLED_LICENCE,
        "bundled",
        None,
    )


def _preset_styles(downloads: bool) -> list[Style]:
    styles = []
    for preset in PRESETS.values():
        cached = is_cached(preset)
        if not cached and not downloads:
            continue
        size = preset.size or preset.approx_bytes
        label = preset.name if cached else f"{preset.name} (downloads {size / 1e6:.1f} MB on first use)"
        styles.append(Style(preset.name, label, preset.description, preset.licence, "preset", preset.name))
    return styles


def _model_style(value: str, taken: set[str]) -> Style:
    """One ``--model`` value: ``[NAME=]PATH``; the name defaults to the file's stem."""
    name, sep, spec = value.partition("=")
    if not sep or Path(value).exists():
        name, spec = "", value
    path = Path(spec).expanduser()
    if not path.exists():
        raise AnimeGANError(f"--model {value}: no such file or folder")
    name = name or re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem if path.is_file() else path.name) or "model"
    if not _NAME.match(name):
        raise AnimeGANError(f"--model {value}: a style name may hold letters, digits, '_', '.' and '-' only")
    base, number = name, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return Style(name, f"{name} (--model {path.name})", f"given with --model: {path.name}",
                 "as its owner licensed it (a model given to this server)", "model", str(path))


class StyleRegistry:
    def __init__(
        self,
        models: Sequence[str] = (),
        downloads: bool = True,
        threads: int | None = None,
        loaded_models: int = 2,
    ):
        styles = [_bundled()]
        chosen: list[str] = []
        for value in models:
            preset = find_preset(value) if not Path(value).exists() else None
            if preset is not None:
                chosen.append(preset.name)
                continue
            style = _model_style(value, {s.name for s in styles} | set(PRESETS))
            styles.append(style)
            chosen.append(style.name)
        styles += _preset_styles(downloads)
        self.styles: dict[str, Style] = {s.name: s for s in styles}
        for name in chosen:  # a preset named with --model is offered even with --no-download
            if name not in self.styles:
                preset = PRESETS[name]
                self.styles[name] = Style(name, name, preset.description, preset.licence, "preset", name)
        # The first --model is what the page starts on; else the bundled default.
        self.default = chosen[0] if chosen else DEFAULT_STYLE
        self.threads = threads
        self.loaded_models = max(1, loaded_models)
        self._loaded: OrderedDict[str, Backend] = OrderedDict()
        self._lock = threading.Lock()

    def __iter__(self):
        return iter(self.styles.values())

    def get(self, name: str | None) -> Style:
        """The style called ``name`` (None: the default); a one-line 400 error for anything else."""
        if name is None or name == "":
            name = self.default
        style = self.styles.get(name)
        if style is None:
            shown = name if len(name) <= 80 else name[:77] + "..."
            known = ", ".join(self.styles)
            raise RequestError(f"unknown style {shown!r}; this server offers: {known} (GET /v1/models)")
        return style

    def unload(self) -> None:
        """Drops the loaded models now, while the interpreter runs, rather than during its shutdown."""
        with self._lock:
            self._loaded.clear()

    def backend(self, name: str | None) -> Backend:
        """The loaded backend of a style; loads (and for a preset first downloads) it on first use."""
        style = self.get(name)
        with self._lock:
            backend = self._loaded.get(style.name)
            if backend is not None:
                self._loaded.move_to_end(style.name)
                return backend
            try:
                path = resolve_model(style.spec, progress=False)
            except AnimeGANError as error:
                raise RequestError(f"style {style.name} is not available: {error}", status=503) from None
            backend = load_backend(path, threads=self.threads)
            self._loaded[style.name] = backend
            while len(self._loaded) > self.loaded_models:
                self._loaded.popitem(last=False)
            return backend
