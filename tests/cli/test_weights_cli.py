import numpy as np

from animegan.cli.main import main


def test_import_pt_then_stylize_with_it(shared_dir, tmp_path, capsys):
    out = tmp_path / "v2.keras"
    src = shared_dir / "reference/animegan_v2/generator-random.pt"
    assert main(["weights", "import", str(src), "--arch", "animegan-v2", "--upsample", "align_corners", "-o", str(out)]) == 0
    assert "upsample=align_corners" in capsys.readouterr().err
    import keras

    model = keras.saving.load_model(out)
    io = np.load(shared_dir / "reference/animegan_v2/io.npz")
    y = model.predict(io["coffee_input"], verbose=0)
    assert np.abs(y - io["coffee_output_align_corners_1"]).max() < 1e-3
    # An existing output is not replaced without --overwrite.
    assert main(["weights", "import", str(src), "--arch", "animegan-v2", "-o", str(out)]) == 1
    assert "exists; pass --overwrite" in capsys.readouterr().err


def test_wrong_arch_is_one_line(shared_dir, tmp_path, capsys):
    src = shared_dir / "reference/animegan_v1"
    assert main(["weights", "import", str(src), "--arch", "animegan-v2", "-o", str(tmp_path / "x.keras")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("animegan: error: variable generator/G_MODEL/") and "\n" not in err
    assert not (tmp_path / "x.keras").exists()
