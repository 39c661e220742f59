"""One server per test session (a free port on 127.0.0.1, small limits), and the photos the tests send."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

WEB_EXTRA = "the web extra is not installed: pip install 'animegan[web]'"
# Small limits so that every refusal is cheap to provoke: 1 MB, 2 MP, 1.05 MP of work.
MAX_UPLOAD = 1024 * 1024
MAX_PIXELS = 2_000_000


class Pictures:
    """Making and reading the pictures the tests send (a fixture: test modules cannot import conftest)."""

    max_upload = MAX_UPLOAD
    max_pixels = MAX_PIXELS

    @staticmethod
    def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
        """A deterministic photo-like uint8 RGB picture: gradients, soft discs and a little noise."""
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        rgb = np.stack([x / width, y / height, 1 - (x + y) / (width + height)], axis=-1)
        for _ in range(5):
            cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(0.1, 0.4) * min(height, width)
            disc = np.clip(1.5 - np.hypot(y - cy, x - cx) / r, 0, 1)[..., None]
            rgb = rgb * (1 - disc) + disc * rng.uniform(0, 1, 3)
        rgb += rng.normal(0, 0.02, rgb.shape)
        return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)

    @staticmethod
    def png(rgb: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="PNG")
        return buffer.getvalue()

    @staticmethod
    def decoded(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="session")
def pictures() -> type[Pictures]:
    return Pictures


@pytest.fixture(scope="session")
def photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "garden.png"
    path.write_bytes(Pictures.png(Pictures.photo_like(120, 160)))
    return path


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The server every test module talks to: default settings except small limits and its own temp folder."""
    pytest.importorskip("gradio", reason=WEB_EXTRA)
    from animegan.serve.app import running
    from animegan.serve.settings import Limits, ServeSettings

    settings = ServeSettings(
        port=0,
        limits=Limits(max_upload_bytes=MAX_UPLOAD, max_pixels=MAX_PIXELS),
        temp_dir=tmp_path_factory.mktemp("serve"),
    )
    with running(settings) as started:
        yield started


@pytest.fixture(scope="session")
def cli_result(tmp_path_factory, photo):
    """What `animegan stylize` writes for the test photo, by options: the pixels the server must match."""
    from animegan.cli.main import main

    made: dict[tuple[str, ...], np.ndarray] = {}

    def result(*options: str) -> np.ndarray:
        if options not in made:
            out = tmp_path_factory.mktemp("cli")
            assert main(["stylize", str(photo), "-o", str(out), *options]) == 0
            made[options] = np.asarray(Image.open(out / f"{photo.stem}.png").convert("RGB"))
        return made[options]

    return result
