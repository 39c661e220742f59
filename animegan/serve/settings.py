"""What one server runs with: configuration as data, filled from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from animegan.inference.memory import DEFAULT_MAX_MEMORY

LOCAL_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; each refusal is one clear message (see ``limits.py``)."""

    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 24_000_000  # decoded size of one uploaded photo
    # Most pixels run through the model in one piece: memory grows with it (about 2 KB a pixel for the
    # bundled model), so larger work sizes need max_side or tiles.
    max_work_pixels: int = 1_050_000  # a little over 1024x1024
    max_video_seconds: float = 30.0
    max_memory: int = DEFAULT_MAX_MEMORY  # bytes per photo or video frame, as `animegan stylize --max-memory`


@dataclass(frozen=True)
class ServeSettings:
    host: str = LOCAL_HOST
    port: int = 7860
    models: tuple[str, ...] = ()  # --model values: [NAME=]PATH or a preset name
    downloads: bool = True  # list presets that are not cached yet (downloaded on first use)
    threads: int | None = None  # TFLite interpreter threads
    queue_size: int = 32  # model calls that may wait behind the running one
    loaded_models: int = 2  # backends kept in memory at once
    limits: Limits = field(default_factory=Limits)
    keep_results: int = 600  # seconds the page's results stay downloadable
    keep_uploads: Path | None = None  # a folder that keeps a copy of every upload; None: keep nothing
    temp_dir: Path | None = None  # where uploads and results live while in use; None: a fresh temp folder
