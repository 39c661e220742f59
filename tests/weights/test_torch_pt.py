import pickle
import zipfile

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.weights.torch_pt import load_state_dict


def _write_pt(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")


def test_reads_the_reference_state_dict(shared_dir):
    state = load_state_dict(shared_dir / "reference/animegan_v2/generator-random.pt")
    assert len(state) == 77
    assert sum(v.size for v in state.values()) == 2_143_552
    assert state["block_a.0.1.weight"].shape == (32, 3, 7, 7)
    assert state["block_a.0.1.weight"].dtype == np.float32
    assert np.isfinite(state["block_c.1.layers.1.1.bias"]).all()


def test_refuses_code_execution(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    _write_pt(path, pickle.dumps(Evil(), protocol=2))
    with pytest.raises(AnimeGANError, match=r"refusing to load .*print"):
        load_state_dict(path)
    system = tmp_path / "system.pt"
    _write_pt(system, b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R.")
    with pytest.raises(AnimeGANError, match=r"refusing to load os\.system"):
        load_state_dict(system)


def test_not_a_zip_and_not_a_state_dict(tmp_path):
    legacy = tmp_path / "old.pt"
    legacy.write_bytes(b"\x80\x02not a zip")
    with pytest.raises(AnimeGANError, match="not a zip-format PyTorch checkpoint"):
        load_state_dict(legacy)
    plain = tmp_path / "plain.pt"
    _write_pt(plain, pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(AnimeGANError, match="does not hold a plain state_dict"):
        load_state_dict(plain)
