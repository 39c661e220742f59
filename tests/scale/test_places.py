"""Planning and staging of a Ray job's files: local ones as plain `stylize` plans them, URIs through pyarrow."""

from __future__ import annotations

import numpy as np
import pytest

from animegan.cli.main import main
from animegan.inference.photos import PhotoOptions
from animegan.inference.video import VideoOptions
from animegan.scale import places
from animegan.scale.places import Task, plan
from animegan.scale.ray_stylize import split_existing
from animegan.scale.ray_worker import StylizeWorker, WorkerSettings
from animegan.scale.shipped_model import ShippedModel


def test_local_inputs_are_planned_as_plain_stylize_plans_them(tmp_path, make_photos, monkeypatch):
    from animegan.inference.inputs import expand_inputs

    make_photos(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    arguments = ["in", "in/sub/*.png", (tmp_path / "in" / "p1.png").as_uri(), "nothing-here"]
    job = plan(arguments, "out", "jpg")
    expected = expand_inputs(["in", "in/sub/*.png", str(tmp_path / "in" / "p1.png"), "nothing-here"], "out", "jpg")
    assert [(t.source, t.output) for t in job.tasks] == [(str(j.source), str(j.output)) for j in expected.jobs]
    assert job.missing == ["nothing-here"]
    assert plan(["in"], (tmp_path / "o").as_uri()).tasks[0].output == str(tmp_path / "o" / "broken.png")


@pytest.fixture()
def bucket(tmp_path, monkeypatch):
    """``s3://bucket/...`` served from a local folder through a pyarrow filesystem that is not the local one."""
    from pyarrow import fs

    root = tmp_path / "bucket"
    root.mkdir()

    def open_uri(uri):
        assert uri.startswith("s3://bucket/"), uri
        return fs.SubTreeFileSystem(str(root), fs.LocalFileSystem()), uri.removeprefix("s3://bucket/")

    monkeypatch.setattr(places, "open_uri", open_uri)
    return root


def test_remote_files_are_staged_stylized_and_uploaded_like_local_ones(
    bucket, tiny_models, tmp_path, make_photos, capsys, monkeypatch
):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    make_photos(bucket / "in")
    job = plan(["s3://bucket/in", "s3://bucket/none"], "s3://bucket/out")
    assert job.missing == ["s3://bucket/none"]
    assert sorted((t.source, t.output) for t in job.tasks) == [
        (f"s3://bucket/in/{name}", f"s3://bucket/out/{name}") for name in ("broken.png", "p1.png", "p2.png", "sub/p0.png")
    ]
    settings = WorkerSettings(PhotoOptions(), VideoOptions(), threads=1, cwd=str(tmp_path))
    worker = StylizeWorker(ShippedModel.pack(tiny_models["tflite"]), settings)
    rows = worker({key: np.array([getattr(t, key) for t in job.tasks]) for key in ("source", "output", "video")})
    by_source = dict(zip(rows["source"], rows["error"]))
    assert by_source.pop("s3://bucket/in/broken.png").startswith("cannot read image s3://bucket/in/broken.png: ")
    assert set(by_source.values()) == {""} and sum(rows["written"]) == 3

    assert main(["stylize", str(bucket / "in"), "-o", str(tmp_path / "plain"), "-m", str(tiny_models["tflite"]), "--threads", "1"]) == 1
    for name in ("p1.png", "p2.png", "sub/p0.png"):
        assert (bucket / "out" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    assert [p.name for p in (tmp_path / "scratch").iterdir()] == ["animegan-ray-models"]  # staging removed
    pending, summary = split_existing(job.tasks, overwrite=False, report=lambda line: None)
    assert [t.source for t in pending] == ["s3://bucket/in/broken.png"] and len(summary.skipped) == 3
    capsys.readouterr()


def test_an_output_that_is_its_input_is_refused(tmp_path, make_photos):
    make_photos(tmp_path / "in")
    lines = []
    pending, summary = split_existing([Task(str(tmp_path / "in" / "p1.png"), str(tmp_path / "in" / "p1.png"), False)], False, lines.append)
    assert pending == [] and len(summary.failed) == 1
    assert lines == [f"error: refusing to overwrite the input {tmp_path / 'in' / 'p1.png'}; choose another output folder"]
