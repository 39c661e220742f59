"""Whether the training pipeline can decode an image file, found once per file and remembered.

``image_problems`` opens each file's header with Pillow (cheap), then decodes it in full with the
pipeline's own ``decode_image`` (what ``tf.data`` will run every epoch), so a truncated JPEG is refused
before training instead of ending it mid-epoch with ``jpeg::Uncompress failed``. The verdicts can be
kept in a JSON file keyed by the file's resolved path, size and modification time (and the TensorFlow
version, whose decoders decide): a later scan of the same photos decodes only what changed.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from animegan.errors import AnimeGANError, item_failure

CHECKS_VERSION = 1
_TF_NOISE = re.compile(r"\{\{[^}]*\}\}|\[\[[^\]]*\]\]|\[Op:[^\]]*\]")
_log = logging.getLogger(__name__)


def decode_image(tf, path):
    """The pipeline's decoder: any TF-decodable file as (H, W, 3) float32 in [0, 1] (first frame of a GIF)."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, dtype=tf.uint8, expand_animations=False)
    image.set_shape([None, None, 3])
    return tf.image.convert_image_dtype(image, tf.float32)


@functools.cache
def _full_decoder():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)], autograph=False)
    def decoded_shape(path):
        return tf.shape(decode_image(tf, path))

    return decoded_shape


def _reason_line(text: str) -> str:
    """The line that says what went wrong: TensorFlow puts it last, after where the op was traced."""
    lines = [line.strip().removesuffix(" name:") for line in _TF_NOISE.sub("", text).splitlines() if line.strip()]
    return lines[-1] if lines else "no detail"


def image_problem(path: Path) -> str | None:
    """None when the pipeline can decode ``path``, else why not (one line)."""
    import tensorflow as tf
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.size  # noqa: B018  (parses the header)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        return f"unreadable ({_reason_line(str(error)) if str(error) else type(error).__name__})"
    try:
        _full_decoder()(tf.constant(str(path)))
    except tf.errors.OpError as error:
        return f"truncated or corrupt ({_reason_line(error.message)})"
    return None


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _decoder_version() -> str:
    import tensorflow as tf

    return f"{CHECKS_VERSION}/tf{tf.__version__}"


def _load(checks: Path) -> dict:
    try:
        saved = json.loads(checks.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:  # a damaged cache is rebuilt, never an error
        _log.debug("ignoring %s: %s", checks, error)
        return {}
    if not isinstance(saved, dict) or saved.get("decoder") != _decoder_version():
        return {}
    return saved.get("files", {}) if isinstance(saved.get("files"), dict) else {}


def _save(checks: Path, files: dict) -> None:
    from animegan.atomic import write_text

    payload = {"decoder": _decoder_version(), "files": files}
    try:
        write_text(checks, json.dumps(payload, separators=(",", ":")))
    except (AnimeGANError, OSError) as error:  # a cache that cannot be written only costs time
        _log.debug("cannot save %s: %s", checks, error)


def _checked(path: Path) -> str | None:
    try:
        return image_problem(path)
    except Exception as error:  # one odd file is one skipped line, never the end of the scan
        return item_failure(path, error)


def image_problems(paths: list[Path], checks: str | os.PathLike[str] | None = None) -> dict[Path, str | None]:
    """``path -> None`` (usable) or the reason it is not, for every path; cached in ``checks`` if given."""
    known = _load(Path(checks)) if checks else {}
    verdicts, stamps, todo = {}, {}, []
    for path in paths:
        key = str(path.resolve())
        try:
            stamps[key] = _stamp(path)
        except OSError as error:
            verdicts[path] = f"unreadable ({error.strerror or error})"
            continue
        entry = known.get(key)
        if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamps[key]:
            verdicts[path] = entry[2]
        else:
            todo.append(path)
    # The decoders release the GIL; a few threads overlap them without holding many images at once.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for path, problem in zip(todo, pool.map(_checked, todo)):
            verdicts[path] = problem
    if checks and todo:
        for path in todo:
            key = str(path.resolve())
            known[key] = [*stamps[key], verdicts[path]]
        _save(Path(checks), known)
    return verdicts
