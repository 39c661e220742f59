"""download.py (pooch) against a local faulty server: checksums, retries, HTTP errors, offline, nothing half-written."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys

import pytest

from animegan.errors import AnimeGANError
from animegan.weights.download import DownloadError, IntegrityError, cache_dir, download, git_blob_id


@pytest.fixture(scope="module")
def payload() -> bytes:
    return random.Random(0).randbytes(300_000)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ANIMEGAN_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "animegan"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "animegan"
    monkeypatch.setenv("ANIMEGAN_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_git_blob_id_is_what_git_computes(tmp_path):
    # Ids that `git hash-object` prints for an empty file and for "hello\n".
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "hello").write_bytes(b"hello\n")
    assert git_blob_id(tmp_path / "empty") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_id(tmp_path / "hello") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_download_with_checksums(local_server, payload, tmp_path):
    local_server.behaviour.files["/w.pt"] = payload
    digest = hashlib.sha256(payload).hexdigest()
    url = local_server.url("/w.pt")
    dest = download(url, tmp_path / "w.pt", sha256=digest, git_blob=_git_blob(payload), progress=False)
    assert dest.read_bytes() == payload
    assert _leftovers(tmp_path) == ["w.pt"]
    # Already there and verified: no second request.
    download(url, dest, sha256=digest, git_blob=_git_blob(payload), progress=False)
    assert local_server.behaviour.requests == ["/w.pt"]


@pytest.mark.parametrize("check", ["sha256", "git_blob"])
def test_wrong_bytes_are_refused_after_the_retries(local_server, payload, tmp_path, retry_waits, check):
    b = local_server.behaviour
    b.files["/w.pt"] = payload
    b.corrupt = True
    expected = hashlib.sha256(payload).hexdigest() if check == "sha256" else _git_blob(payload)
    with pytest.raises(IntegrityError) as error:
        download(local_server.url("/w.pt"), tmp_path / "w.pt", **{check: expected}, progress=False)
    message = str(error.value)
    kind = "sha256" if check == "sha256" else "git blob"
    assert message.startswith(f"w.pt from {local_server.url('/w.pt')} is corrupt ({kind} ")
    assert f"expected {expected}); it was deleted" in message and "\n" not in message
    assert isinstance(error.value, AnimeGANError)
    assert len(b.requests) == 3 and retry_waits == [1, 2]  # pooch's retries, then the refusal
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_is_retried_and_never_kept(local_server, payload, tmp_path, retry_waits):
    b = local_server.behaviour
    b.files["/w.pt"] = payload
    b.truncate_next = 1
    url = local_server.url("/w.pt")
    with pytest.raises(DownloadError, match=r"\(connection closed after \d+ bytes, \d+ more expected\)$"):
        download(url, tmp_path / "w.pt", attempts=1, progress=False)
    assert _leftovers(tmp_path) == []
    b.truncate_next = 1
    dest = download(url, tmp_path / "w.pt", sha256=hashlib.sha256(payload).hexdigest(), progress=False)
    assert dest.read_bytes() == payload
    assert len(b.requests) == 3 and retry_waits == [1]
    assert _leftovers(tmp_path) == ["w.pt"]


def test_http_500_then_success(local_server, payload, tmp_path, retry_waits):
    b = local_server.behaviour
    b.files["/w.pt"] = payload
    b.fail_next = 2
    dest = download(local_server.url("/w.pt"), tmp_path / "w.pt", git_blob=_git_blob(payload), progress=False)
    assert dest.read_bytes() == payload
    assert len(b.requests) == 3 and retry_waits == [1, 2]
    b.fail_next = 3
    with pytest.raises(DownloadError, match=r"\(HTTP 500 Internal Server Error\)$"):
        download(local_server.url("/w.pt"), tmp_path / "x.pt", progress=False)
    assert _leftovers(tmp_path) == ["w.pt"]


def test_wrong_size_leaves_nothing(local_server, payload, tmp_path):
    local_server.behaviour.files["/w.pt"] = payload
    with pytest.raises(IntegrityError, match=rf"\({len(payload)} bytes, expected 123\)"):
        download(local_server.url("/w.pt"), tmp_path / "w.pt", size=123, attempts=1, progress=False)
    assert _leftovers(tmp_path) == []


def test_http_error_and_offline_are_one_line(local_server, tmp_path):
    with pytest.raises(DownloadError, match=r"\(HTTP 404 Not Found\)$"):
        download(local_server.url("/missing.pt"), tmp_path / "m.pt", attempts=1, progress=False)
    url = local_server.url("/w.pt")
    local_server.stop()
    with pytest.raises(DownloadError) as error:
        download(url, tmp_path / "w.pt", attempts=1, progress=False)
    assert str(error.value) == f"could not download {url} (Connection refused)"
    assert error.value.reason == "Connection refused"
    assert _leftovers(tmp_path) == []


def test_a_wrong_file_placed_by_hand_is_refused_and_deleted(local_server, payload, tmp_path):
    (tmp_path / "w.pt").write_bytes(payload[:-1])
    with pytest.raises(IntegrityError, match="git blob"):
        download(local_server.url("/w.pt"), tmp_path / "w.pt", git_blob=_git_blob(payload), progress=False)
    assert _leftovers(tmp_path) == [] and local_server.behaviour.requests == []


def test_concurrent_downloads_of_one_file_fetch_it_once(local_server, payload, tmp_path):
    import threading

    local_server.behaviour.files["/w.pt"] = payload
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
    assert not errors and results == [payload] * 3
    assert len(local_server.behaviour.requests) == 1
    assert _leftovers(tmp_path) == ["w.pt"]


def test_staging_of_a_killed_download_is_removed_by_the_next(local_server, payload, tmp_path):
    """A SIGKILLed run leaves its pid-named staging folder; the next download into the folder removes it."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".w.pt.{int(dead.stdout)}.animegan-tmp.download.pt"
    stale.mkdir()
    (stale / "tmpabc123").write_bytes(payload[:100])
    local_server.behaviour.files["/w.pt"] = payload
    download(local_server.url("/w.pt"), tmp_path / "w.pt", progress=False)
    assert _leftovers(tmp_path) == ["w.pt"]
