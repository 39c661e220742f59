"""What a run may write: never an input (however it is named or linked), never one place twice."""

import os
from pathlib import Path

import pytest

from animegan.errors import AnimeGANError
from animegan.inference.inputs import Job, OutputGuard, check_outputs, expand_inputs, output_place


def touch(path: Path, content: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("names", "fmt"),
    [(("a.jpg", "a.png"), "png"), (("a.jpg", "a.png"), "jpg"), (("clip.avi", "clip.mp4"), "png")],
)
def test_colliding_stems_are_one_line_naming_both(tmp_path, names, fmt):
    for name in names:
        touch(tmp_path / "coll" / name)
    jobs = expand_inputs([str(tmp_path / "coll")], tmp_path / "coll", fmt).jobs
    with pytest.raises(AnimeGANError) as info:
        check_outputs(jobs)
    message = str(info.value)
    assert "\n" not in message and "would both be written to" in message
    assert all(str(tmp_path / "coll" / name) in message for name in names)


def test_distinct_outputs_pass_and_the_same_place_is_found_through_links(tmp_path):
    touch(tmp_path / "in" / "a.png")
    touch(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    out.mkdir()
    check_outputs([Job(tmp_path / "in/a.png", out / "a.png"), Job(tmp_path / "in/b.png", out / "b.png")])
    (tmp_path / "link").symlink_to(out)
    same = [Job(tmp_path / "in/a.png", out / "x.png"), Job(tmp_path / "in/b.png", tmp_path / "link/./x.png")]
    with pytest.raises(AnimeGANError, match="would both be written to"):
        check_outputs(same)
    assert output_place(out / "new" / "y.png") == output_place(tmp_path / "link" / "new" / "y.png")


def test_an_output_that_is_an_input_is_refused_by_name_symlink_and_hard_link(tmp_path):
    a = touch(tmp_path / "in" / "a.png")
    b = touch(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sym.png").symlink_to(b)
    os.link(b, out / "hard.png")
    (tmp_path / "in_link").symlink_to(tmp_path / "in")
    guard = OutputGuard([Job(a, out / "x.png"), Job(b, out / "y.png")])
    assert "refusing to overwrite the input" in guard.refusal(Job(a, tmp_path / "in_link" / "a.png"))
    for output in (out / "sym.png", out / "hard.png", tmp_path / "in" / "." / "b.png"):
        reason = guard.refusal(Job(a, output))
        assert reason is not None and str(b) in reason and "\n" not in reason
    assert guard.refusal(Job(a, out / "fresh.png")) is None
    assert "would both be written to" in guard.refusal(Job(b, out / "fresh.png"))  # claimed just above


def test_output_folder_equal_to_input_folder_refuses_each_same_name(tmp_path):
    for name in ("a.png", "b.jpg"):
        touch(tmp_path / "coll" / name)
    jobs = expand_inputs([str(tmp_path / "coll")], tmp_path / "coll", "same").jobs
    check_outputs(jobs)  # no two onto one place ...
    guard = OutputGuard(jobs)
    assert all("refusing to overwrite the input" in guard.refusal(job) for job in jobs)  # ... but each onto itself


def test_temporaries_of_killed_runs_are_never_inputs(tmp_path):
    touch(tmp_path / "in" / "a.png")
    touch(tmp_path / "in" / ".a.png.4194400.animegan-tmp.png")
    touch(tmp_path / "in" / ".hidden.png")  # an ordinary hidden photo is still an input
    found = expand_inputs([str(tmp_path / "in")], tmp_path / "out").jobs
    assert sorted(job.source.name for job in found) == [".hidden.png", "a.png"]
