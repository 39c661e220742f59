"""``run_photos``, the photo batch as a library: results in job order, one bad item never stops the rest."""

import threading

import numpy as np
import pytest
from PIL import Image

import animegan.inference.photos as photos
from animegan.errors import AnimeGANError
from animegan.inference.inputs import Job
from animegan.inference.photos import PhotoOptions, run_photos


class Negate:
    """A stand-in model: any size that is a multiple of the stride, output -input (so the picture inverts)."""

    name = "negate"
    stride = 4

    def __init__(self, fail_on_width=None, error=RuntimeError("MIRROR_PAD failed to prepare")):
        self.fail_on_width, self.error, self.shapes = fail_on_width, error, []

    def __call__(self, batch):
        assert batch.shape[1] % self.stride == 0 and batch.shape[2] % self.stride == 0
        self.shapes.append(batch.shape)
        if self.fail_on_width is not None and batch.shape[2] == self.fail_on_width:
            raise self.error
        return -batch


def photo(path, width, height, value=60):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (value, 120, 200)).save(path)
    return path


@pytest.fixture()
def folder(tmp_path):
    sources = [photo(tmp_path / "in" / f"{i}.png", 20 + 4 * i, 12) for i in range(5)]
    return [Job(source, tmp_path / "out" / source.name) for source in sources]


def test_results_come_in_job_order_and_each_photo_is_written(folder):
    seen = []
    results = run_photos(Negate(), folder, on_result=seen.append)
    assert [r.job for r in results] == folder and seen == results
    assert {r.status for r in results} == {"written"}
    for job in folder:
        out = np.asarray(Image.open(job.output))
        assert out.shape == np.asarray(Image.open(job.source)).shape
        assert tuple(out[0, 0]) == (255 - 60, 255 - 120, 255 - 200)


@pytest.mark.parametrize(
    "error", [RuntimeError("MIRROR_PAD failed to prepare\nnode 12"), MemoryError(), AnimeGANError("bad shape")]
)
def test_a_failing_item_is_one_line_naming_the_file_and_the_rest_still_runs(folder, error):
    backend = Negate(fail_on_width=28, error=error)  # the third photo: 28 pixels wide
    results = run_photos(backend, folder)
    assert [r.status for r in results] == ["written", "written", "failed", "written", "written"]
    reason = results[2].reason
    assert str(folder[2].source) in reason and "\n" not in reason
    assert not folder[2].output.exists()


def test_debug_raises_an_unexpected_error_with_its_traceback(folder):
    before = set(threading.enumerate())  # other tests in this worker may keep threads of their own
    with pytest.raises(RuntimeError, match="MIRROR_PAD"):
        run_photos(Negate(fail_on_width=28), folder, debug=True)
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("animegan-")]


def test_skips_refusals_and_bad_files_keep_their_places(tmp_path, folder):
    folder[1].output.parent.mkdir(parents=True)
    folder[1].output.write_bytes(b"not mine")
    folder[3].source.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    onto_input = Job(folder[0].source, folder[4].source)
    results = run_photos(Negate(), [*folder, onto_input])
    assert [r.status for r in results] == ["written", "skipped", "written", "failed", "written", "failed"]
    assert "exists (use --overwrite)" in results[1].reason and folder[1].output.read_bytes() == b"not mine"
    assert "cannot read image" in results[3].reason
    assert "refusing" in results[5].reason and f"the input {folder[4].source}" in results[5].reason


def test_two_jobs_onto_one_output_are_refused_before_any_work(folder):
    backend = Negate()
    with pytest.raises(AnimeGANError, match="would both be written to"):
        run_photos(backend, [folder[0], Job(folder[1].source, folder[0].output)])
    assert backend.shapes == [] and not folder[0].output.exists()


def test_tiny_photos_are_padded_to_what_the_network_needs_and_cropped_back(tmp_path):
    jobs = [Job(photo(tmp_path / f"{w}x{h}.png", w, h), tmp_path / "out" / f"{w}x{h}.png") for w, h in [(1, 1), (3, 2), (4, 4), (2, 40)]]
    backend = Negate()
    results = run_photos(backend, jobs)
    assert {r.status for r in results} == {"written"}
    assert all(min(shape[1:3]) >= 16 for shape in backend.shapes)
    assert [Image.open(job.output).size for job in jobs] == [(1, 1), (3, 2), (4, 4), (2, 40)]


def test_animated_files_get_a_note_with_their_result(tmp_path):
    frames = [Image.new("RGB", (8, 8), (i * 80, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    [result] = run_photos(Negate(), [Job(tmp_path / "anim.gif", tmp_path / "out" / "anim.png")])
    assert result.status == "written"
    assert result.notes == (f"{tmp_path / 'anim.gif'} holds 3 frames; only the first is stylized",)


def test_stale_temporaries_of_killed_runs_are_removed_first(tmp_path, folder):
    out = folder[0].output.parent
    out.mkdir(parents=True)
    stale = out / ".0.png.4194400.animegan-tmp.png"  # above Linux's largest pid: its writer is gone
    stale.write_bytes(b"half")
    notes = []
    run_photos(Negate(), folder[:1], note=notes.append)
    assert not stale.exists() and notes == [f"note: removed 1 temporary file(s) left in {out} by a killed run"]


def test_photos_in_flight_stay_within_the_pixel_budget(folder, monkeypatch):
    """With a budget of one pixel, the reader waits until the previous photo is written."""
    monkeypatch.setattr(photos, "PIXELS_IN_FLIGHT", 1)
    in_flight, most = set(), [0]
    real_read, real_write = photos.read_image, photos.write_image

    def read(path):
        in_flight.add(path.name)
        most[0] = max(most[0], len(in_flight))
        return real_read(path)

    def write(path, *args, **kwargs):
        real_write(path, *args, **kwargs)
        in_flight.discard(path.name)

    monkeypatch.setattr(photos, "read_image", read)
    monkeypatch.setattr(photos, "write_image", write)
    results = run_photos(Negate(), folder)
    assert {r.status for r in results} == {"written"}
    assert most[0] <= 2  # the one being written and the next one, read and waiting
