"""Input expansion with videos: found in folders and globs beside photos, named by the container rules."""

from pathlib import Path

from animegan.data.images import IMAGE_EXTENSIONS
from animegan.inference.inputs import VIDEO_EXTENSIONS, expand_inputs, is_video, output_name


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_folders_and_globs_find_photos_and_videos_together(tmp_path):
    for name in ("a.jpg", "b.mp4", "sub/c.MOV", "sub/d.avi", "notes.txt"):
        touch(tmp_path / "in" / name)
    found = expand_inputs([str(tmp_path / "in")], tmp_path / "out")
    assert sorted(str(j.output.relative_to(tmp_path / "out")) for j in found.jobs) == [
        "a.png",
        "b.mp4",
        "sub/c.MOV",
        "sub/d.mp4",
    ]
    globbed = expand_inputs([str(tmp_path / "in" / "*.mp4")], tmp_path / "out")
    assert [j.source.name for j in globbed.jobs] == ["b.mp4"]


def test_video_outputs_keep_writable_containers_and_ignore_the_photo_format():
    assert output_name(Path("x/clip.webm"), "jpg") == Path("x/clip.webm")
    assert output_name(Path("clip.mkv"), "same") == Path("clip.mkv")
    assert output_name(Path("clip.ts"), "png") == Path("clip.mp4")
    assert output_name(Path("photo.jpeg"), "png") == Path("photo.png")
    assert is_video(Path("A.M2TS")) and not is_video(Path("a.png"))


def test_photo_only_expansion_is_still_available(tmp_path):
    touch(tmp_path / "in" / "a.png")
    touch(tmp_path / "in" / "b.mp4")
    found = expand_inputs([str(tmp_path / "in")], tmp_path / "out", extensions=IMAGE_EXTENSIONS)
    assert [j.source.name for j in found.jobs] == ["a.png"]
    assert not VIDEO_EXTENSIONS & IMAGE_EXTENSIONS
