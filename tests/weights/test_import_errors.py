"""Wrong architecture, missing, unknown and mis-shaped variables give one-line errors naming them."""

import zipfile

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.weights import importers
from animegan.weights.importers import import_weights, source_format


def test_wrong_arch_names_the_variable(shared_dir):
    with pytest.raises(AnimeGANError, match=r"variable block_a\.0\.1\.weight has no counterpart in animegan-v1"):
        import_weights(shared_dir / "reference/animegan_v2/generator-random.pt", "animegan-v1")
    with pytest.raises(AnimeGANError, match=r"generator/G_MODEL/.* has no counterpart in animegan-v2"):
        import_weights(shared_dir / "reference/animegan_v1", "animegan-v2")


def test_missing_unknown_and_misshaped_variables(shared_dir, monkeypatch):
    state = importers.load_state_dict(shared_dir / "reference/animegan_v2/generator-random.pt")
    pt = shared_dir / "reference/animegan_v2/generator-random.pt"

    def with_state(modified):
        monkeypatch.setattr(importers, "load_state_dict", lambda _path, **_limits: modified)

    with_state({k: v for k, v in state.items() if k != "block_d.1.2.bias"})
    with pytest.raises(AnimeGANError, match="lack 1 variable"):
        import_weights(pt, "animegan-v2")
    with_state({**state, "block_z.0.1.weight": np.zeros((1,), "float32")})
    with pytest.raises(AnimeGANError, match=r"unknown variable block_z\.0\.1\.weight"):
        import_weights(pt, "animegan-v2")
    with_state({**state, "block_b.0.1.weight": np.zeros((128, 64, 5, 5), "float32")})
    with pytest.raises(AnimeGANError, match=r"variable block_b\.0\.1\.weight has shape \(5, 5, 64, 128\)"):
        import_weights(pt, "animegan-v2")


def test_source_format_errors(tmp_path):
    with pytest.raises(AnimeGANError, match="weights file not found"):
        source_format(tmp_path / "nothere.pt")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(AnimeGANError, match="neither a .pt state_dict nor a TF1 checkpoint"):
        source_format(tmp_path / "notes.txt")
    broken = tmp_path / "broken.pt"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("x/readme", "no pickle here")
    with pytest.raises(AnimeGANError, match="no data.pkl inside"):
        import_weights(broken, "animegan-v2")


@pytest.fixture
def v1_copy(shared_dir, tmp_path):
    """A writable copy of the reference v1 checkpoint (prefix returned), to damage."""
    for name in ("Hayao-random.index", "Hayao-random.data-00000-of-00001"):
        (tmp_path / name).write_bytes((shared_dir / "reference/animegan_v1" / name).read_bytes())
    return tmp_path / "Hayao-random"


@pytest.mark.parametrize(
    "damage,message",
    [
        ("no data", "has its .index but no .data file beside it"),
        ("truncated data", ": its .data file is truncated"),
        ("empty data", ": its .data file is truncated"),
        ("flipped data", "Checksum does not match"),
        ("truncated index", "not an sstable"),
    ],
)
def test_damaged_tf1_checkpoint_is_one_line(v1_copy, damage, message, capsys):
    from animegan.cli.main import main

    data = v1_copy.with_name("Hayao-random.data-00000-of-00001")
    index = v1_copy.with_name("Hayao-random.index")
    if damage == "no data":
        data.unlink()
    elif damage == "flipped data":
        raw = bytearray(data.read_bytes())
        raw[5000:5100] = b"x" * 100
        data.write_bytes(bytes(raw))
    else:
        target = index if damage == "truncated index" else data
        target.write_bytes(target.read_bytes()[: {"truncated data": 1_000_000, "empty data": 0}.get(damage, 2000)])
    out = v1_copy.with_name("out.keras")
    assert main(["weights", "import", str(v1_copy), "--arch", "animegan-v1", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("animegan: error: ") and message in err, err
    assert "Traceback" not in err and not out.exists()
