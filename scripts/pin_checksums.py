"""Downloads every preset's files once and prints the sha256/size values to pin in weights/presets.py.

For maintainers, with network access: ``python scripts/pin_checksums.py [NAME ...]``. Each file is
fetched into a temporary folder (nothing goes into the user cache), held to the checksums the preset
already has (the port's git blob ids), converted with the importer to prove it is what the preset says,
and reported as a ``RemoteFile(...)`` line to paste into ``animegan/weights/presets.py``. Review the
output (the URLs must be the official, commit-pinned ones) before pasting: a pinned checksum is what
every user's download is then held to.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

from animegan.errors import AnimeGANError  # noqa: E402
from animegan.weights.download import download, git_blob_id  # noqa: E402
from animegan.weights.presets import PRESETS  # noqa: E402


def pin(name: str, folder: Path) -> list[str]:
    from animegan.weights.importers import import_weights

    preset = PRESETS[name]
    lines = [f"# {name}"]
    for remote in preset.files:
        path = download(remote.url, folder / remote.name, sha256=remote.sha256, git_blob=remote.git_blob, size=remote.size)
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(
            f'RemoteFile("{remote.name}", "{remote.url}", sha256="{sha256}", size={path.stat().st_size}, '
            f'git_blob="{git_blob_id(path)}"),'
        )
    import_weights(folder / preset.import_source, preset.arch, preset.upsample)  # must convert
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="presets to pin (default: all)")
    args = parser.parse_args(argv)
    names = args.names or list(PRESETS)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        parser.error(f"unknown preset(s): {', '.join(unknown)}; known: {', '.join(PRESETS)}")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="animegan-pin-") as tmp:
        for name in names:
            try:
                print("\n".join(pin(name, Path(tmp) / name)), flush=True)
            except AnimeGANError as error:
                print(f"# {name}: FAILED: {error}", file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
