"""The .pt reader against files the tests craft themselves (zip + pickle, no torch): legal views import
exactly; views past their storage, bad strides, lying sizes and deflate bombs are one line, unread."""

import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from animegan.errors import AnimeGANError
from animegan.weights.torch_pt import load_state_dict

BUDGET = 1000  # elements the hostile cases' "architecture" allows
GIB = 1 << 30


def _write_pt(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")


def _floats(n: int) -> bytes:
    return np.arange(n, dtype="<f4").tobytes()


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


def test_legal_views_read_exactly(tmp_path, pt_writer):
    """Offsets into a shared storage, a transposed (non-contiguous) view, and an empty tensor."""
    T, S = pt_writer.Tensor, pt_writer.Storage
    base = np.arange(24, dtype="<f4")
    path = pt_writer.write(
        tmp_path / "views.pt",
        {
            "a": T("0", 0, (2, 3), (3, 1)),
            "b": T("0", 6, (3, 2), (1, 3)),  # the transpose of elements 6..11
            "c": T("0", 23, (1, 1), (99, 99)),  # strides of size-1 dimensions do not matter
            "empty": T("0", 24, (0, 5), (5, 1)),
            "bf16": T("1", 1, (2,), (1,)),
        },
        {"0": S(base.tobytes()), "1": S(np.array([0, 0x3F80, 0xC000], "<u2").tobytes(), numel=3, dtype="BFloat16Storage")},
    )
    state = load_state_dict(path, max_elements=BUDGET)
    assert np.array_equal(state["a"], base[:6].reshape(2, 3))
    assert np.array_equal(state["b"], base[6:12].reshape(2, 3).T)
    assert state["c"].tolist() == [[23.0]]
    assert state["empty"].shape == (0, 5)
    assert state["bf16"].tolist() == [1.0, -2.0]
    assert all(v.flags.writeable and v.flags.owndata for v in state.values())  # copies, not views of the file


def _hostile(tmp_path, pt_writer, case: str):
    """One crafted file per way a .pt can lie; returns its path."""
    T, S = pt_writer.Tensor, pt_writer.Storage
    ten = S(_floats(10))
    cases = {
        "past the storage": ({"w": T("0", 0, (4, 4), (4, 1))}, {"0": ten}, None),
        "offset past the storage": ({"w": T("0", 9, (2,), (1,))}, {"0": ten}, None),
        "negative stride": ({"w": T("0", 9, (5,), (-1,))}, {"0": ten}, None),
        "negative offset": ({"w": T("0", -3, (2,), (1,))}, {"0": ten}, None),
        "overflowing stride": ({"w": T("0", 0, (2,), (1 << 70,))}, {"0": ten}, None),
        "overflowing sizes": ({"w": T("0", 0, (1 << 40, 1 << 40), (1, 1))}, {"0": ten}, None),
        "stride-0 gigabytes": ({"w": T("0", 0, (1 << 30,), (0,))}, {"0": ten}, None),
        "size and stride differ": ({"w": T("0", 0, (2, 2), (1,))}, {"0": ten}, None),
        "storage shorter than declared": ({"w": T("0", 0, (10,), (1,))}, {"0": S(_floats(6), numel=10)}, None),
        "storage longer than declared": ({"w": T("0", 0, (4,), (1,))}, {"0": S(_floats(10), numel=4)}, None),
        "huge declared storage": ({"w": T("0", 0, (10,), (1,))}, {"0": S(_floats(10), numel=1 << 32)}, None),
        "deflate bomb storage": ({"w": T("0", 0, (10,), (1,))}, {"0": ten}, {"0": {"inflates_to": 4 * GIB}}),
        "deflate bomb pickle": ({"w": T("0", 0, (10,), (1,))}, {"0": ten}, {"data.pkl": {"inflates_to": 4 * GIB}}),
    }
    tensors, storages, bombs = cases[case]
    return pt_writer.write(tmp_path / f"{case.replace(' ', '_')}.pt", tensors, storages, bombs=bombs)


HOSTILE = {
    "past the storage": "a tensor of shape (4, 4) reaches element 15 of a storage of 10 (a view past its storage)",
    "offset past the storage": "reaches element 10 of a storage of 10",
    "negative stride": "negative, non-integer or out-of-range offset, size or stride",
    "negative offset": "negative, non-integer or out-of-range offset, size or stride",
    "overflowing stride": "negative, non-integer or out-of-range offset, size or stride",
    "overflowing sizes": "a view past its storage",
    "stride-0 gigabytes": "the tensors claim more than the 1000 elements",
    "size and stride differ": "size and stride do not match",
    "storage shorter than declared": "archive/data/0 declares 24 bytes, expected 40 bytes",
    "storage longer than declared": "archive/data/0 declares 40 bytes, expected 16 bytes",
    "huge declared storage": "storage 0 declares 4294967296 elements, beyond the 1000 elements",
    "deflate bomb storage": "archive/data/0 declares 4294967296 bytes, expected 40 bytes",
    "deflate bomb pickle": "archive/data.pkl declares 4294967296 bytes, expected at most 4194304 bytes",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_one_line(tmp_path, pt_writer, case):
    path = _hostile(tmp_path, pt_writer, case)
    with pytest.raises(AnimeGANError) as error:
        load_state_dict(path, max_elements=BUDGET)
    message = str(error.value)
    assert message.startswith(f"cannot read {path}: ") and "\n" not in message
    assert HOSTILE[case] in message


def test_a_bomb_that_declares_a_small_size_is_cut_short(tmp_path, pt_writer):
    """zipfile inflates no further than the declared size: 40 bytes are read of a 4 GiB stream."""
    head = _floats(10)
    path = pt_writer.write(
        tmp_path / "lying.pt",
        {"w": pt_writer.Tensor("0", 0, (10,), (1,))},
        {"0": pt_writer.Storage(head)},
        bombs={"0": {"inflates_to": 4 * GIB, "declared": len(head), "head": head}},
    )
    assert zipfile.ZipFile(path).getinfo("archive/data/0").compress_size < 8 << 20
    assert load_state_dict(path, max_elements=BUDGET)["w"].tolist() == list(range(10))


def _reference_as_crafted(reference: dict, tmp_path, pt_writer):
    """The reference state_dict rewritten with every kind of legal view: the biases share one storage
    at offsets, and each 4-D kernel is stored transposed (channels last) and read back through strides."""
    T, S = pt_writer.Tensor, pt_writer.Storage
    tensors, storages, shared, offset = {}, {}, [], 0
    for i, (name, value) in enumerate(reference.items()):
        if value.ndim == 1:
            tensors[name] = T("shared", offset, value.shape, (1,))
            shared.append(value)
            offset += value.size
        else:
            stored = np.ascontiguousarray(value.transpose(*reversed(range(value.ndim))), "<f4")
            storages[str(i)] = S(stored.tobytes())
            strides = tuple(s // 4 for s in stored.strides)[::-1]
            tensors[name] = T(str(i), 0, value.shape, strides)
    storages["shared"] = S(np.concatenate(shared).astype("<f4").tobytes())
    return pt_writer.write(tmp_path / "crafted.pt", tensors, storages)


def test_non_contiguous_views_import_correctly(shared_dir, tmp_path, pt_writer):
    from animegan.weights.importers import import_weights

    source = shared_dir / "reference/animegan_v2/generator-random.pt"
    reference = load_state_dict(source)
    crafted = _reference_as_crafted(reference, tmp_path, pt_writer)
    state = load_state_dict(crafted)
    assert state.keys() == reference.keys()
    assert all(np.array_equal(state[k], reference[k]) for k in reference)
    model = import_weights(crafted, "animegan-v2")
    kernel = reference["block_a.0.1.weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO, as the importer does
    assert np.array_equal(model.get_layer("A.Conv").kernel.numpy(), kernel)


def test_import_refuses_more_storage_than_the_architecture_has(shared_dir, tmp_path, pt_writer):
    """The budget comes from the generator: the reference plus one spare storage of 1 Mi floats is refused."""
    from animegan.weights.importers import element_budget, import_weights

    reference = load_state_dict(shared_dir / "reference/animegan_v2/generator-random.pt")
    T, S = pt_writer.Tensor, pt_writer.Storage
    tensors = {name: T(name, 0, v.shape, tuple(s // 4 for s in v.strides)) for name, v in reference.items()}
    storages = {name: S(v.astype("<f4").tobytes()) for name, v in reference.items()}
    spare = list(reference)[-1]
    storages[spare] = S(np.resize(reference[spare], 1 << 20).astype("<f4").tobytes())
    path = pt_writer.write(tmp_path / "big.pt", tensors, storages)
    with pytest.raises(AnimeGANError, match=r"beyond the (\d+) elements the target architecture allows") as error:
        import_weights(path, "animegan-v2")
    budget = int(error.value.args[0].split("beyond the ")[1].split()[0])
    assert 2_143_552 < budget < 2_143_552 * 1.2  # the generator's parameters plus a small margin
    from animegan.models.registry import build_generator

    assert element_budget(build_generator("animegan-v2")) == budget


def test_cli_import_of_a_hostile_file_writes_nothing(tmp_path, pt_writer, capsys):
    from animegan.cli.main import main

    path = _hostile(tmp_path, pt_writer, "past the storage")
    out = tmp_path / "out.keras"
    assert main(["weights", "import", str(path), "--arch", "animegan-v2", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("animegan: error: cannot read ") and "past its storage" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.slow
def test_peak_memory_of_hostile_imports_is_bounded(shared_dir, tmp_path, pt_writer):
    """Every hostile file through import_weights in one fresh process, whose peak RSS is measured.

    The bound: a fresh process that imports TensorFlow and Keras and builds the AnimeGANv2 generator
    peaks at about 0.7 GB here (measured: the reference import alone); the reader may add at most the
    architecture's budget (2.4 M elements, under 20 MB at 8 bytes each, held twice). 1.5 GB leaves room
    for allocator and TF differences, and is far below the 4 GiB that a single bomb or declared-huge
    storage would take if it were inflated or allocated (12.5 GB measured before the checks).
    """
    paths = [_hostile(tmp_path, pt_writer, case) for case in sorted(HOSTILE)]
    reference = load_state_dict(shared_dir / "reference/animegan_v2/generator-random.pt")
    # the reference again, but one storage's 4 GiB deflate stream declares only the storage's own size
    T, S = pt_writer.Tensor, pt_writer.Storage
    tensors = {name: T(name, 0, v.shape, tuple(s // 4 for s in v.strides)) for name, v in reference.items()}
    storages = {name: S(v.astype("<f4").tobytes()) for name, v in reference.items()}
    first = next(iter(reference))
    size = len(storages[first].data)
    lying = pt_writer.write(
        tmp_path / "lying.pt", tensors, storages,
        bombs={first: {"inflates_to": 4 * GIB, "declared": size, "head": storages[first].data}},
    )
    inner = textwrap.dedent(
        """
        import sys
        from animegan.errors import AnimeGANError
        from animegan.weights.importers import import_weights
        for path in sys.argv[1:]:
            try:
                import_weights(path, "animegan-v2")
                print("imported")
            except AnimeGANError as error:
                print("refused" if "\\n" not in str(error) else "multi-line")
        """
    )
    outer = textwrap.dedent(
        f"""
        import resource, subprocess, sys
        done = subprocess.run([sys.executable, "-c", {inner!r}, *sys.argv[1:]], capture_output=True, text=True)
        print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(done.stdout, done.stderr[-2000:], file=sys.stderr)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", outer, *map(str, paths), str(lying)], capture_output=True, text=True, timeout=300
    )
    code, peak_kb = map(int, done.stdout.split())
    results = done.stderr.split()[: len(paths) + 1]
    print(f"peak RSS of {len(paths) + 1} hostile imports: {peak_kb / 1024:.0f} MiB")
    assert code == 0, done.stderr
    assert results == ["refused"] * len(paths) + ["imported"], done.stderr
    assert peak_kb < 1.5e9 / 1024
