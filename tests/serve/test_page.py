"""The page's handlers, called as Gradio calls them: several photos in several styles, a video, failures."""

import pytest
from PIL import Image

gr = pytest.importorskip("gradio")

from animegan.inference.video_clips import inspect_clip, make_clip  # noqa: E402
from animegan.serve.jobs import Stylist  # noqa: E402
from animegan.serve.page import Page  # noqa: E402
from animegan.serve.settings import Limits  # noqa: E402
from animegan.serve.styles import StyleRegistry  # noqa: E402
from animegan.weights.resolve import BUNDLED_DEFAULT  # noqa: E402


class Progress:
    """Records what the handler reports, as gr.Progress would draw it."""

    def __init__(self):
        self.calls = []

    def __call__(self, progress, desc=None, unit="steps"):
        self.calls.append((progress, desc, unit))


@pytest.fixture(scope="module")
def page(server):
    parts = server.server
    styles = StyleRegistry([f"copy={BUNDLED_DEFAULT}"], downloads=False)
    return Page(Stylist(styles, Limits(max_video_seconds=3)), parts.worker, parts.uploads)


def _uploaded(page, name, content):
    """A file where Gradio puts uploads (the handler deletes it when done)."""
    folder = page.uploads.gradio / f"upload-{name}"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def test_several_photos_in_several_styles(page, pictures):
    first = _uploaded(page, "a.png", pictures.png(pictures.photo_like(60, 80, seed=1)))
    second = _uploaded(page, "b.jpg", pictures.png(pictures.photo_like(50, 40, seed=2)))
    progress = Progress()
    slider, gallery, video, downloads, pairs, files, status = page.stylize(
        [str(first), str(second)], ["copy", "default"], 0, False, "png", False, progress=progress
    )
    assert [Image.open(p).size for p in downloads["value"]] == [(80, 60), (80, 60), (40, 50), (40, 50)]
    names = [p.rsplit("/", 1)[1] for p in downloads["value"]]
    assert names == ["a-copy.png", "a-default.png", "b-copy.png", "b-default.png"]
    assert Image.open(slider[0]).size == Image.open(slider[1]).size == (80, 60)  # before and after
    assert gallery["visible"] and len(gallery["value"]) == 4 and not video["visible"]
    assert files is None and status.startswith("4 results")
    assert [call[0] for call in progress.calls] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert not first.exists() and not second.exists()  # uploads are deleted once stylized


def test_a_bad_photo_is_reported_and_the_others_still_run(page, pictures):
    good = _uploaded(page, "good.png", pictures.png(pictures.photo_like(40, 40)))
    bad = _uploaded(page, "bad.png", b"not an image")
    with pytest.warns(UserWarning, match="cannot read image bad.png"):
        *_, status = page.stylize([str(bad), str(good)], ["default"], 1024, False, "jpg", False)
    assert status.startswith("1 result") and "1 failed" in status
    assert not bad.exists()


def test_when_nothing_can_be_made_the_page_says_why(page, pictures):
    bad = _uploaded(page, "bad.png", b"not an image")
    with pytest.raises(gr.Error, match="cannot read image bad.png: not a recognised image file"):
        page.stylize([str(bad)], ["default"], 1024, False, "png", False)
    with pytest.raises(gr.Error, match="drop a photo or a video first"):
        page.stylize([], ["default"], 1024, False, "png", False)
    with pytest.raises(gr.Error, match="unknown style"):
        page.stylize([str(_uploaded(page, "c.png", b"x"))], ["/etc/passwd"], 1024, False, "png", False)


def test_a_video_shows_frame_progress(page, tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 64, 48, fps=8, seconds=1.0, audio=None)
    upload = _uploaded(page, "clip.mp4", clip.read_bytes())
    progress = Progress()
    _, _, video, downloads, *_ = page.stylize([str(upload)], ["default"], 0, False, "png", False, progress=progress)
    facts = inspect_clip(video["value"])
    assert (facts.width, facts.height, facts.frames) == (64, 48, 8)
    assert downloads["value"] == [video["value"]]
    assert progress.calls[0] == ((0, 8), "clip.mp4 · default", "frames")
    assert not upload.exists()


def test_video_limits(page, tmp_path):
    clip = make_clip(tmp_path / "long.mp4", 64, 48, fps=4, seconds=4.0, audio=None)
    long = _uploaded(page, "long.mp4", clip.read_bytes())
    with pytest.raises(gr.Error, match="too long: 4.0 s"):
        page.stylize([str(long)], ["default"], 0, False, "png", False)
    clip = make_clip(tmp_path / "one.mp4", 64, 48, fps=4, seconds=0.5, audio=None)
    one = _uploaded(page, "one.mp4", clip.read_bytes())
    with pytest.raises(gr.Error, match="one video at a time"):
        page.stylize([str(one), str(one)], ["default"], 0, False, "png", False)


def test_results_expire_after_keep_results(server):
    keep = server.server.settings.keep_results
    assert server.server.page.delete_cache == (min(60, keep), keep)  # Gradio deletes older files on this beat
