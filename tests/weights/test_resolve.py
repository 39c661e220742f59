"""resolve_model: a preset pointing at a local server is downloaded, converted, cached and reused offline."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from animegan.cli.main import main
from animegan.errors import AnimeGANError
from animegan.weights.presets import PRESETS, Preset, RemoteFile, temporary_preset
from animegan.weights.resolve import resolve_model


def _preset(url: str, sha256: str | None, name: str = "local_test") -> Preset:
    return Preset(
        name=name,
        description="the random-weight reference generator, served by the test",
        arch="animegan-v2",
        source_format="pt",
        files=(RemoteFile("generator-random.pt", url, sha256=sha256),),
        licence="test data",
        upsample="half_pixel",
    )


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ANIMEGAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_downloads_converts_then_reuses_offline(local_server, reference_pt, cache, shared_dir, capsys):
    local_server.behaviour.files["/g.pt"] = reference_pt
    digest = hashlib.sha256(reference_pt).hexdigest()
    with temporary_preset(_preset(local_server.url("/g.pt"), digest)):
        path = resolve_model("local_test", progress=False)
        assert path == cache / "models" / "local_test.keras"
        assert sorted(p.name for p in (cache / "downloads").iterdir()) == ["generator-random.pt"]
        import keras

        io = np.load(shared_dir / "reference/animegan_v2/io.npz")
        y = keras.saving.load_model(path).predict(io["coffee_input"], verbose=0)
        assert np.abs(y - io["coffee_output_align_corners_0"]).max() < 1e-3

        local_server.stop()  # no network from here on
        requests = len(local_server.behaviour.requests)
        assert resolve_model("local_test", progress=False) == path
        assert resolve_model("LOCAL_TEST", progress=False) == path
        assert len(local_server.behaviour.requests) == requests == 1
        # `weights list` shows it as cached.
        assert main(["weights", "list"]) == 0
        line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("local_test"))
        assert " cached " in line and "not cached" not in line


def test_existing_path_is_returned_as_is(tmp_path, cache):
    model = tmp_path / "mine.keras"
    model.write_bytes(b"x")
    assert resolve_model(str(model)) == model


def test_unknown_name_lists_the_styles(cache):
    with pytest.raises(AnimeGANError) as error:
        resolve_model("ghibli")
    message = str(error.value)
    assert "'ghibli'" in message and "\n" not in message
    for name in ("hayao", "shinkai", "paprika", "face_paint_512_v1", "face_paint_512_v2", "celeba_distill"):
        assert name in message
    with pytest.raises(AnimeGANError, match="no such file"):
        resolve_model("models/missing.keras")


def test_offline_is_one_line_with_url_and_manual_command(local_server, cache, retry_waits):
    url = local_server.url("/g.pt")
    local_server.stop()
    with temporary_preset(_preset(url, None)):
        with pytest.raises(AnimeGANError) as error:
            resolve_model("local_test", progress=False)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"could not download generator-random.pt from {url} (Connection refused); ")
    assert f"into {cache / 'downloads'}/" in message
    expected = f"animegan weights import generator-random.pt --arch animegan-v2 --upsample half_pixel -o {cache / 'models' / 'local_test.keras'}"
    assert message.endswith(expected)
    assert not (cache / "models").exists()
    assert not any((cache / "downloads").iterdir())


def test_a_file_placed_by_hand_is_used_offline(local_server, reference_pt, cache):
    url = local_server.url("/g.pt")
    local_server.stop()
    (cache / "downloads").mkdir(parents=True)
    (cache / "downloads" / "generator-random.pt").write_bytes(reference_pt)
    with temporary_preset(_preset(url, hashlib.sha256(reference_pt).hexdigest())):
        assert resolve_model("local_test", progress=False).is_file()


def test_checksum_mismatch_caches_nothing(local_server, reference_pt, cache, retry_waits):
    local_server.behaviour.files["/g.pt"] = reference_pt
    local_server.behaviour.corrupt = True
    with temporary_preset(_preset(local_server.url("/g.pt"), hashlib.sha256(reference_pt).hexdigest())):
        with pytest.raises(AnimeGANError, match="is corrupt"):
            resolve_model("local_test", progress=False)
    assert not any((cache / "downloads").iterdir())
    assert not (cache / "models").exists()


def test_unpinned_garbage_fails_conversion_and_is_deleted(local_server, cache):
    local_server.behaviour.files["/g.pt"] = b"<html>rate limited</html>"
    with temporary_preset(_preset(local_server.url("/g.pt"), None)):
        with pytest.raises(AnimeGANError, match="do not convert") as error:
            resolve_model("local_test", progress=False)
    assert "\n" not in str(error.value)
    assert str(error.value).endswith(
        f"deleted generator-random.pt from {cache / 'downloads'}, so the next run fetches it again"
    )
    assert not any((cache / "downloads").iterdir())
    assert not (cache / "models").exists()


def test_temporary_preset_is_removed():
    with temporary_preset(_preset("http://127.0.0.1:9/x.pt", None)):
        assert "local_test" in PRESETS
    assert "local_test" not in PRESETS


def test_builtin_presets_are_well_formed():
    from animegan.choices import GENERATOR_ARCHITECTURES, UPSAMPLE_MODES

    assert {"hayao", "shinkai", "paprika", "face_paint_512_v1", "face_paint_512_v2", "celeba_distill", "paprika_pt"} <= set(PRESETS)
    for preset in PRESETS.values():
        assert preset.arch in GENERATOR_ARCHITECTURES and preset.upsample in UPSAMPLE_MODES
        assert preset.source_format in ("pt", "tf1")
        for remote in preset.files:
            # pinned to a commit (40 hex digits), never a branch
            assert re.fullmatch(r"https://github\.com/[\w-]+/[\w-]+/raw/[0-9a-f]{40}/\S+", remote.url), remote.url
            assert remote.url.endswith("/" + remote.name)
            if preset.source_format == "pt":  # the port's files are verified by their git blob ids
                assert re.fullmatch(r"[0-9a-f]{40}", remote.git_blob or ""), preset.name
    assert PRESETS["hayao"].files[0].url == (
        "https://github.com/TachibanaYoshino/AnimeGANv2/raw/94d74af09efbec2b6e3d2b8cd9f5ed0f8eeeb8e3"
        "/checkpoint/generator_Hayao_weight/Hayao-64.ckpt.index"
    )
    assert PRESETS["paprika_pt"].files[0].git_blob == "58086c9db9fc7a9e5c2876ca31b8079599352643"
    assert PRESETS["hayao"].import_source == "Hayao-64.ckpt"
    assert PRESETS["paprika_pt"].import_source == "paprika.pt"


def test_tf1_checkpoint_preset(local_server, cache, shared_dir):
    """A preset of several files (a TF1 .index + .data pair) converts through the checkpoint prefix."""
    folder = shared_dir / "reference/animegan_v1"
    files = []
    for name in ("Hayao-random.index", "Hayao-random.data-00000-of-00001"):
        local_server.behaviour.files[f"/{name}"] = (folder / name).read_bytes()
        files.append(RemoteFile(name, local_server.url(f"/{name}"), size=(folder / name).stat().st_size))
    preset = Preset(
        name="local_tf1", description="v1 reference", arch="animegan-v1", source_format="tf1",
        files=tuple(files), licence="test data", upsample="legacy",
    )
    with temporary_preset(preset):
        path = resolve_model("local_tf1", progress=False)
    import keras

    io = np.load(folder / "io.npz")
    y = keras.saving.load_model(path).predict(io["astronaut_input"], verbose=0)
    assert np.abs(y - io["astronaut_output"]).max() < 1e-3


# --- damaged or hostile files in the cache, through `animegan stylize -m NAME` (no network: the files are there) ---


@pytest.fixture
def photo(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.new("RGB", (16, 12), (200, 120, 40)).save(path)
    return path


def _stylize_fails(preset_name, photo, tmp_path, capsys) -> str:
    assert main(["stylize", str(photo), "-o", str(tmp_path / "out"), "-m", preset_name]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("animegan: error: "), err
    assert not (tmp_path / "out").exists()
    return err.strip()


def _hostile_pt(tmp_path, pt_writer):
    T, S = pt_writer.Tensor, pt_writer.Storage
    return pt_writer.write(tmp_path / "hostile.pt", {"w": T("0", 0, (64, 64), (64, 1))}, {"0": S(bytes(40))})


def test_hostile_pt_in_the_cache_is_refused_and_deleted(cache, photo, tmp_path, pt_writer, capsys):
    (cache / "downloads").mkdir(parents=True)
    _hostile_pt(tmp_path, pt_writer).rename(cache / "downloads" / "generator-random.pt")
    with temporary_preset(_preset("http://127.0.0.1:9/g.pt", None)):
        err = _stylize_fails("local_test", photo, tmp_path, capsys)
    assert "do not convert (cannot read " in err and "(a view past its storage)" in err
    assert err.endswith(f"deleted generator-random.pt from {cache / 'downloads'}, so the next run fetches it again")
    assert not any((cache / "downloads").iterdir()) and not (cache / "models").exists()


def test_hostile_pt_that_matches_its_pin_is_refused_and_kept(cache, photo, tmp_path, pt_writer, capsys):
    """Upstream itself serving a hostile file: refused, and kept (fetching it again would not help)."""
    from animegan.weights.download import git_blob_id

    hostile = _hostile_pt(tmp_path, pt_writer)
    (cache / "downloads").mkdir(parents=True)
    preset = Preset(
        name="local_test", description="", arch="animegan-v2", source_format="pt", licence="", upsample="legacy",
        files=(RemoteFile("hostile.pt", "http://127.0.0.1:9/hostile.pt", git_blob=git_blob_id(hostile)),),
    )
    hostile.rename(cache / "downloads" / "hostile.pt")
    with temporary_preset(preset):
        err = _stylize_fails("local_test", photo, tmp_path, capsys)
    assert "past its storage" in err and err.endswith("so fetching them again would not help")
    assert (cache / "downloads" / "hostile.pt").is_file() and not (cache / "models").exists()


def test_builtin_preset_refuses_a_cached_file_that_is_not_upstream(cache, photo, tmp_path, pt_writer, capsys):
    """A hostile face_paint_512_v1.pt in the cache fails its git blob id before it is parsed."""
    (cache / "downloads").mkdir(parents=True)
    _hostile_pt(tmp_path, pt_writer).rename(cache / "downloads" / "face_paint_512_v1.pt")
    err = _stylize_fails("face_paint_512_v1", photo, tmp_path, capsys)
    assert "face_paint_512_v1.pt from https://github.com/bryandlee/animegan2-pytorch/raw/25d7b017" in err
    assert "is corrupt (git blob " in err and "expected 19c1a1da4d9580186109a2b055d91044e5127de6" in err
    assert not any((cache / "downloads").iterdir()) and not (cache / "models").exists()


def test_truncated_tf1_checkpoint_in_the_cache_is_deleted(cache, photo, tmp_path, shared_dir, capsys):
    """`-m hayao` with a truncated .data in the cache: one line, both files deleted, fetched next run."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True)
    source = shared_dir / "reference/animegan_v1"
    (downloads / "Hayao-64.ckpt.index").write_bytes((source / "Hayao-random.index").read_bytes())
    data = (source / "Hayao-random.data-00000-of-00001").read_bytes()
    (downloads / "Hayao-64.ckpt.data-00000-of-00001").write_bytes(data[: len(data) // 3])
    err = _stylize_fails("hayao", photo, tmp_path, capsys)
    assert f"cannot read TF1 checkpoint {downloads / 'Hayao-64.ckpt'}: its .data file is truncated" in err
    assert err.endswith(
        f"deleted Hayao-64.ckpt.index, Hayao-64.ckpt.data-00000-of-00001 from {downloads}, "
        "so the next run fetches them again"
    )
    assert not any(downloads.iterdir()) and not (cache / "models").exists()
