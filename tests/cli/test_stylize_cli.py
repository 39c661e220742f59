"""`animegan stylize` on real files: sizes, names, alpha, EXIF, 16-bit, bad inputs, overwrite rules."""

import hashlib
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from animegan.cli.main import main


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def photos(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(rng.integers(0, 255, (42, 54, 3), dtype=np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.integers(0, 255, (30, 22), dtype=np.uint8), "L").save(folder / "gray.png")
    rgba = rng.integers(0, 255, (26, 34, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(folder / "sub" / "alpha.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, displayed rotated 90 degrees clockwise
    Image.fromarray(rng.integers(0, 255, (20, 36, 3), dtype=np.uint8)).save(folder / "rotated.jpg", exif=exif)
    cv2.imwrite(str(folder / "deep.png"), rng.integers(0, 65535, (18, 24, 3), dtype=np.uint16))
    (folder / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return folder


def test_folder_run_keeps_sizes_names_alpha_and_reports_bad_files(photos, tmp_path, v2_keras, capsys):
    out = tmp_path / "out"
    before = {p: _digest(p) for p in photos.rglob("*") if p.is_file()}
    code = main(["stylize", str(photos), "-o", str(out), "-m", str(v2_keras)])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot read image" in err and "broken.png" in err and "Traceback" not in err
    assert "5 written" in err and "1 failed" in err
    assert Image.open(out / "rgb.png").size == (54, 42)
    gray = Image.open(out / "gray.png")
    assert gray.mode == "RGB" and gray.size == (22, 30)
    alpha_out = Image.open(out / "sub" / "alpha.png")
    assert alpha_out.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(alpha_out)[..., 3], np.asarray(Image.open(photos / "sub" / "alpha.png"))[..., 3])
    assert Image.open(out / "rotated.png").size == (20, 36)  # displayed orientation: width 20, height 36
    deep = cv2.imread(str(out / "deep.png"), cv2.IMREAD_UNCHANGED)
    assert deep.dtype == np.uint16 and deep.shape == (18, 24, 3)
    assert {p: _digest(p) for p in photos.rglob("*") if p.is_file()} == before  # inputs untouched


def test_existing_outputs_are_skipped_unless_overwrite(photos, tmp_path, v2_keras, capsys):
    out = tmp_path / "out"
    target = photos / "rgb.png"
    assert main(["stylize", str(target), "-o", str(out), "-m", str(v2_keras)]) == 0
    (out / "rgb.png").write_bytes(b"keep me")
    assert main(["stylize", str(target), "-o", str(out), "-m", str(v2_keras)]) == 0
    assert (out / "rgb.png").read_bytes() == b"keep me"
    assert "exists (use --overwrite)" in capsys.readouterr().err
    assert main(["stylize", str(target), "-o", str(out), "-m", str(v2_keras), "--overwrite"]) == 0
    assert Image.open(out / "rgb.png").size == (54, 42)


def test_never_overwrites_an_input(photos, v2_keras, capsys):
    target = photos / "rgb.png"
    before = _digest(target)
    code = main(["stylize", str(target), "-o", str(photos), "-m", str(v2_keras), "--format", "same", "--overwrite"])
    assert code == 1
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert _digest(target) == before


def test_globs_formats_and_max_side(photos, tmp_path, v2_keras):
    out = tmp_path / "out"
    code = main(["stylize", str(photos / "*.png"), "-o", str(out), "-m", str(v2_keras), "--format", "jpg", "--max-side", "16"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["deep.jpg", "gray.jpg", "rgb.jpg"]
    assert Image.open(out / "rgb.jpg").size == (54, 42)  # processed small, written at the input's size


def test_tiles_on_the_cli(photos, tmp_path, v2_keras):
    out = tmp_path / "out"
    code = main(["stylize", str(photos / "rgb.png"), "-o", str(out), "-m", str(v2_keras), "--tile", "24", "--tile-overlap", "8", "--batch-size", "3"])
    assert code == 0 and Image.open(out / "rgb.png").size == (54, 42)


def test_missing_inputs_and_models_are_one_line_errors(tmp_path, v2_keras, capsys):
    assert main(["stylize", str(tmp_path / "nothere.png"), "-o", str(tmp_path / "o"), "-m", str(v2_keras)]) == 1
    assert "no such input" in capsys.readouterr().err
    photo = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(photo)
    assert main(["stylize", str(photo), "-o", str(tmp_path / "o"), "-m", str(tmp_path / "missing.keras")]) == 1
    err = capsys.readouterr().err
    missing = str(tmp_path / "missing.keras")
    assert err.startswith(f"animegan: error: model {missing!r}: no such file, and not a pretrained style")
    assert err.count("\n") == 1
    bad_model = tmp_path / "bad.keras"
    bad_model.write_bytes(b"not a zip")
    assert main(["stylize", str(photo), "-o", str(tmp_path / "o"), "-m", str(bad_model)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("animegan: error: cannot load Keras model") and "\n" not in err


def test_console_errors_have_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "animegan", "stylize", str(tmp_path), "-o", str(tmp_path / "o"), "-m", str(tmp_path / "x.keras")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "animegan: error:" in result.stderr
