"""The one atomic writer: complete files or nothing, folders swapped whole, stale temporaries cleaned."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from animegan.atomic import open_for_writing, remove_stale, replacing, temporary_path, write_bytes
from animegan.errors import AnimeGANError


def test_a_write_replaces_the_target_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "a.bin"
    write_bytes(target, b"first")
    write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.bin"]


def test_an_error_mid_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with open_for_writing(target) as f:
            f.write(b"half")
            assert temporary_path(target).exists() and temporary_path(target).suffix == ".png"
            raise RuntimeError("encoder failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_a_folder_is_swapped_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with replacing(target) as temporary:
        temporary.mkdir()
        (temporary / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_path_under_a_file_is_one_line_before_any_work(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(AnimeGANError, match=r"cannot write .*: .*file is not a folder"):
        write_bytes(tmp_path / "file" / "sub" / "a.bin", b"x")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc/self/mounts semantics")
def test_a_read_only_folder_is_one_line(tmp_path):
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if os.access(read_only, os.W_OK):  # root ignores mode bits; a read-only mount is tested elsewhere
            pytest.skip("running as root: mode bits do not stop writes")
        with pytest.raises(AnimeGANError, match="not writable"):
            write_bytes(read_only / "a.bin", b"x")
    finally:
        read_only.chmod(0o700)


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".a.png.{dead.pid}.animegan-tmp.png"
    live = tmp_path / f".b.png.{os.getpid()}.animegan-tmp.png"
    other = tmp_path / ".c.png.123.tmp.png"  # not ours: never touched
    for path in (stale, live, other):
        path.write_bytes(b"x")
    assert remove_stale(tmp_path) == 1
    assert not stale.exists() and live.exists() and other.exists()
