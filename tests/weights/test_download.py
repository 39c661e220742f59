"""download.py against a local server: checksum, resume after truncation, restart, mismatch, offline."""

from __future__ import annotations

import hashlib

import pytest

from animegan.errors import AnimeGANError
from animegan.weights.download import DownloadError, IntegrityError, cache_dir, download


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ANIMEGAN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "animegan"
    monkeypatch.setenv("ANIMEGAN_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_download_with_checksum(local_server, reference_pt, tmp_path):
    local_server.behaviour.files["/w.pt"] = reference_pt
    digest = hashlib.sha256(reference_pt).hexdigest()
    dest = download(local_server.url("/w.pt"), tmp_path / "w.pt", sha256=digest, size=len(reference_pt), progress=False)
    assert dest.read_bytes() == reference_pt
    assert _leftovers(tmp_path) == ["w.pt"]
    # Already there and verified: no second request.
    download(local_server.url("/w.pt"), dest, sha256=digest, progress=False)
    assert len(local_server.behaviour.requests) == 1


def test_truncated_transfer_resumes_with_range(local_server, reference_pt, tmp_path):
    b = local_server.behaviour
    b.files["/w.pt"] = reference_pt
    b.truncate_next = 1
    url = local_server.url("/w.pt")
    digest = hashlib.sha256(reference_pt).hexdigest()
    # One attempt only: the interrupted transfer raises and keeps the .part, never the final name.
    with pytest.raises(DownloadError, match="connection closed after"):
        download(url, tmp_path / "w.pt", sha256=digest, attempts=1, progress=False)
    assert _leftovers(tmp_path) == ["w.pt.part"]
    assert 0 < (tmp_path / "w.pt.part").stat().st_size < len(reference_pt)
    # The next call asks for the rest and ends with the right file.
    dest = download(url, tmp_path / "w.pt", sha256=digest, progress=False)
    assert dest.read_bytes() == reference_pt
    assert b.requests[0]["range"] is None
    assert b.requests[1]["range"] == f"bytes={len(reference_pt) // 2}-"
    assert _leftovers(tmp_path) == ["w.pt"]


def test_retries_within_one_call(local_server, reference_pt, tmp_path):
    b = local_server.behaviour
    b.files["/w.pt"] = reference_pt
    b.truncate_next = 2
    dest = download(local_server.url("/w.pt"), tmp_path / "w.pt", size=len(reference_pt), progress=False)
    assert dest.read_bytes() == reference_pt
    assert [r["range"] is not None for r in b.requests] == [False, True, True]


def test_server_without_ranges_restarts_cleanly(local_server, reference_pt, tmp_path):
    b = local_server.behaviour
    b.files["/w.pt"] = reference_pt
    b.ranges = False
    b.truncate_next = 1
    digest = hashlib.sha256(reference_pt).hexdigest()
    dest = download(local_server.url("/w.pt"), tmp_path / "w.pt", sha256=digest, progress=False)
    assert dest.read_bytes() == reference_pt  # the 200 answer overwrote the half .part, not appended to it
    assert b.requests[1]["range"] is not None


def test_checksum_mismatch_leaves_nothing(local_server, reference_pt, tmp_path):
    b = local_server.behaviour
    b.files["/w.pt"] = reference_pt
    b.corrupt = True
    digest = hashlib.sha256(reference_pt).hexdigest()
    with pytest.raises(IntegrityError, match=r"w\.pt from http://127\.0\.0\.1:\d+/w\.pt is corrupt \(sha256 ") as error:
        download(local_server.url("/w.pt"), tmp_path / "w.pt", sha256=digest, progress=False)
    assert isinstance(error.value, AnimeGANError) and "\n" not in str(error.value)
    assert _leftovers(tmp_path) == []


def test_wrong_size_leaves_nothing(local_server, reference_pt, tmp_path):
    local_server.behaviour.files["/w.pt"] = reference_pt
    with pytest.raises(IntegrityError, match="expected 123"):
        download(local_server.url("/w.pt"), tmp_path / "w.pt", size=123, progress=False)
    assert _leftovers(tmp_path) == []


def test_http_error_and_offline_are_download_errors(local_server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(local_server.url("/missing.pt"), tmp_path / "m.pt", attempts=1, progress=False)
    url = local_server.url("/w.pt")
    local_server.stop()
    with pytest.raises(DownloadError, match="could not download http://127.0.0.1"):
        download(url, tmp_path / "w.pt", attempts=1, progress=False)
    assert _leftovers(tmp_path) == []


def test_concurrent_downloads_of_one_file_fetch_it_once(local_server, reference_pt, tmp_path):
    import threading

    local_server.behaviour.files["/w.pt"] = reference_pt
    results, errors = [], []

    def fetch():
        try:
            results.append(download(local_server.url("/w.pt"), tmp_path / "w.pt", progress=False).read_bytes())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and results == [reference_pt] * 3
    assert len(local_server.behaviour.requests) == 1
    assert _leftovers(tmp_path) == ["w.pt"]
