"""`animegan stylize` as a hostile user runs it: colliding names, outputs onto inputs, links, tiny, huge and
lying images, damaged models, failures in the middle of a batch. Inputs stay byte-identical throughout."""

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import animegan.inference.video as video
from animegan.cli.main import main
from animegan.inference.video import VideoResult

DEFAULT_KERAS = Path(__file__).resolve().parents[2] / "animegan" / "assets" / "default.keras"


def digests(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def error_lines(err):
    return [line for line in err.splitlines() if "error:" in line]


def photo(path, width=20, height=12, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
    return path


class Identity:
    name = "identity"
    stride = 4

    def __init__(self, fail_on_width=None):
        self.fail_on_width = fail_on_width

    def __call__(self, batch):
        if batch.shape[2] == self.fail_on_width:
            raise RuntimeError("tflite/kernels/mirror_pad.cc MIRROR_PAD failed to prepare")
        return batch


@pytest.mark.parametrize(
    ("names", "extra"),
    [(("a.jpg", "a.png"), []), (("a.jpg", "a.png"), ["--format", "jpg"]), (("clip.avi", "clip.mp4"), [])],
)
def test_colliding_stems_are_one_line_before_any_work(tmp_path, names, extra, fake_backend, capsys):
    backend = Identity()
    fake_backend(backend)
    coll = tmp_path / "coll"
    coll.mkdir()
    for i, name in enumerate(names):
        if name.startswith("clip"):
            (coll / name).write_bytes(b"video %d" % i)  # never opened: the run stops before any work
        else:
            photo(coll / name, seed=i)
    before = digests(coll)
    code = main(["stylize", str(coll), "-o", str(coll), "--overwrite", "-m", "unused.keras", *extra])
    err = capsys.readouterr().err
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("animegan: error: ") and "would both be written to" in line
    assert all(str(coll / name) in line for name in names)
    assert digests(coll) == before  # nothing written, nothing replaced


def test_output_folder_equal_to_input_folder_never_touches_an_input(tmp_path, fake_backend, capsys):
    fake_backend(Identity())
    coll = tmp_path / "coll"
    for i, name in enumerate(("a.png", "b.jpg", "sub/c.png")):
        photo(coll / name, seed=i)
    before = digests(coll)
    code = main(["stylize", str(coll), "-o", str(coll), "--format", "same", "--overwrite", "-m", "unused.keras"])
    err = capsys.readouterr().err
    assert code == 1 and "0 written" in err and "3 failed" in err
    assert len(error_lines(err)) == 3 and all("refusing to overwrite the input" in line for line in error_lines(err))
    assert digests(coll) == before
    # without --format same the outputs are new .png files beside the inputs: written, inputs untouched
    assert main(["stylize", str(coll / "b.jpg"), "-o", str(coll), "-m", "unused.keras"]) == 0
    assert (coll / "b.png").is_file() and digests(coll) == {**before, coll / "b.png": digests(coll)[coll / "b.png"]}


def test_links_to_inputs_are_inputs(tmp_path, fake_backend, capsys):
    fake_backend(Identity())
    source = photo(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").symlink_to(source)
    (tmp_path / "in_link").symlink_to(tmp_path / "in")
    before = digests(tmp_path / "in")
    assert main(["stylize", str(source), "-o", str(out), "--overwrite", "-m", "unused.keras"]) == 1
    assert main(["stylize", str(source), "-o", str(tmp_path / "in_link"), "--format", "same", "--overwrite", "-m", "x"]) == 1
    (out / "a.png").unlink()
    os.link(source, out / "a.png")
    assert main(["stylize", str(source), "-o", str(out), "--overwrite", "-m", "unused.keras"]) == 1
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 3 and all(f"the input {source}" in line for line in error_lines(err))
    assert digests(tmp_path / "in") == before and (out / "a.png").samefile(source)


def test_a_failure_in_the_middle_is_one_line_and_the_batch_goes_on(tmp_path, fake_backend, capsys):
    fake_backend(Identity(fail_on_width=24))
    folder = tmp_path / "in"
    for i, width in enumerate((16, 24, 32)):
        photo(folder / f"{i}.png", width=width)
    out = tmp_path / "out"
    assert main(["stylize", str(folder), "-o", str(out), "-m", "unused.keras"]) == 1
    err = capsys.readouterr().err
    [line] = error_lines(err)
    assert f"{folder / '1.png'}: unexpected RuntimeError: tflite/kernels/mirror_pad.cc" in line
    assert "2 written" in err and "1 failed" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "2.png"]
    with pytest.raises(RuntimeError, match="MIRROR_PAD"):
        main(["--debug", "stylize", str(folder), "-o", str(tmp_path / "debug"), "-m", "unused.keras"])


def test_a_video_failing_unexpectedly_does_not_stop_the_others(tmp_path, fake_backend, monkeypatch, capsys):
    fake_backend(Identity())
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(b"")

    def stylize_video(backend, job, options, note, progress):
        if job.source.name == "a.mp4":
            raise ValueError("a library failed on a strange file\nwith details")
        job.output.parent.mkdir(parents=True, exist_ok=True)
        job.output.write_bytes(b"styled")
        return VideoResult(job.output, 1, 1)

    monkeypatch.setattr(video, "stylize_video", stylize_video)
    assert main(["stylize", str(folder), "-o", str(tmp_path / "out"), "-m", "unused.keras"]) == 1
    err = capsys.readouterr().err
    assert error_lines(err) == [f"error: {folder / 'a.mp4'}: unexpected ValueError: a library failed on a strange file (--debug shows the traceback)"]
    assert "1 written" in err and (tmp_path / "out" / "b.mp4").read_bytes() == b"styled"
    with pytest.raises(ValueError, match="strange file"):
        main(["--debug", "stylize", str(folder), "-o", str(tmp_path / "o2"), "-m", "unused.keras"])


def test_stale_temporaries_are_removed_and_never_read(tmp_path, fake_backend, capsys):
    fake_backend(Identity())
    source = photo(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    left = [out / ".a.png.4194400.animegan-tmp.png", tmp_path / "in" / ".a.png.4194401.animegan-tmp.png"]
    for path in left:
        path.write_bytes(b"half an image")
    assert main(["stylize", str(source.parent), "-o", str(out), "-m", "unused.keras"]) == 0
    err = capsys.readouterr().err
    assert f"removed 1 temporary file(s) left in {out}" in err and "1 written" in err
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]


def _damaged_models(folder):
    data = DEFAULT_KERAS.read_bytes()
    flipped = bytearray(data)
    with zipfile.ZipFile(DEFAULT_KERAS) as archive:
        weights = archive.getinfo("model.weights.h5")
    middle = weights.header_offset + 100 + weights.compress_size // 2
    flipped[middle : middle + 64] = bytes(b ^ 0xFF for b in flipped[middle : middle + 64])
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "not a model")
    models = {"truncated.keras": data[: len(data) // 2], "flipped.keras": bytes(flipped), "other.keras": other.getvalue()}
    for name, content in models.items():
        (folder / name).write_bytes(content)
    return [folder / name for name in models]


def test_damaged_keras_models_are_one_line_not_file_not_found(tmp_path, capsys):
    source = photo(tmp_path / "p.png")
    for model in _damaged_models(tmp_path):
        assert main(["stylize", str(source), "-o", str(tmp_path / "out"), "-m", str(model)]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"animegan: error: cannot load Keras model {model}: the file is corrupt") and "\n" not in err
        assert "File not found" not in err
    assert not (tmp_path / "out").exists()


def _gif_screen(path, side):
    Image.new("P", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    data[6:10] = struct.pack("<HH", side, side)
    path.write_bytes(bytes(data))
    return path


def test_hostile_folder_in_bounded_memory(tmp_path, make_png):
    """Tiny, lying, over-the-cap, animated and broken files among good ones, with the bundled .tflite model,
    in a fresh process: one line per bad file, every good one written at its size, peak memory bounded."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_png(folder / "bomb.png", 13000, 13000, zlib.compress(b"\0" * 20_000_000, 9))
    sizes = {"one.png": (1, 1), "two_three.png": (2, 3), "four.png": (4, 4), "good.jpg": (40, 28)}
    for name, (width, height) in sizes.items():
        photo(folder / name, width, height)
    frames = [Image.new("RGB", (12, 8), (i * 90, 40, 0)) for i in range(3)]
    frames[0].save(folder / "pages.tiff", save_all=True, append_images=frames[1:])
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    screen = _gif_screen(tmp_path / "screen.gif", 40000)
    before = digests(tmp_path)
    # The peak is the child's own: on Linux, getrusage's ru_maxrss carries the parent's size over fork
    # and exec (a pytest process with TensorFlow loaded is 1 GB), the VmHWM of /proc/self/status does not.
    script = textwrap.dedent(
        f"""
        import json, re, resource, sys
        from pathlib import Path
        from animegan.cli.main import main
        code = main(["stylize", {str(folder)!r}, {str(screen)!r}, "-o", {str(tmp_path / "out")!r}, "--threads", "1"])
        status = Path("/proc/self/status")
        if status.exists():
            peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read_text()).group(1)) * 1024
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        print(json.dumps({{"code": code, "peak": peak, "tensorflow": "tensorflow" in sys.modules}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    lines = error_lines(done.stderr)
    assert facts["code"] == 1 and not facts["tensorflow"] and "Traceback" not in done.stderr
    assert len(lines) == 3, lines
    bomb, broken, over = (next(line for line in lines if name in line) for name in ("bomb.png", "broken.png", "screen.gif"))
    assert "decompression bomb" in bomb and "cannot read image" in broken and "40000x40000" in over
    assert f"note: {folder / 'pages.tiff'} holds 3 frames; only the first is stylized" in done.stderr
    assert "5 written" in done.stderr and "3 failed" in done.stderr
    out = tmp_path / "out"
    for name, size in {**sizes, "pages.tiff": (12, 8)}.items():
        assert Image.open(out / Path(name).with_suffix(".png")).size == size
    # Decoding the bomb alone would take 13000 * 13000 * 3 bytes = 507 MB; the run stays far below.
    assert facts["peak"] < 400 * 2**20, facts["peak"] / 2**20  # measured: about 85 MB
    assert {p: d for p, d in digests(tmp_path).items() if out not in p.parents} == before


def test_ctrl_c_in_a_photo_batch_exits_130_and_leaves_only_complete_files(tmp_path, fake_backend, capsys):
    class InterruptOnThird(Identity):
        calls = 0

        def __call__(self, batch):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return batch

    fake_backend(InterruptOnThird())
    folder = tmp_path / "in"
    for i in range(6):
        photo(folder / f"{i}.png", seed=i)
    out = tmp_path / "out"
    assert main(["stylize", str(folder), "-o", str(out), "-m", "unused.keras"]) == 130
    assert "interrupted" in capsys.readouterr().err
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert set(written) <= {"0.png", "1.png"}  # at most the two before the interrupt, complete; no temporary
    assert all(Image.open(out / name).size == (20, 12) for name in written)
