"""The training scans: which images of a folder the ``tf.data`` pipeline can decode, reported one per line.

A file is opened and decoded in full once (as the pipeline will, so a truncated JPEG is found here and
not mid-epoch); the verdict is kept in the user cache (``image-checks.json``) keyed by the file's path,
size and modification time, so the next run only looks at the files that changed.
"""

from __future__ import annotations

from pathlib import Path

CHECKS_FILE = "image-checks.json"


def checks_path() -> Path:
    """Where the verdicts are cached: beside the downloaded weights (``$ANIMEGAN_CACHE`` overrides)."""
    from animegan.weights.download import cache_dir

    return cache_dir() / CHECKS_FILE


def scan_images(folder, what: str, report=print) -> tuple[Path, ...]:
    """The usable images under ``folder`` (recursive, sorted); one ``report`` line per skipped file."""
    from animegan.data.dataset import scan_image_folder, skipped_lines

    scanned = scan_image_folder(folder, what, checks=checks_path())
    for line in skipped_lines(scanned):
        report(line)
    return scanned.paths
