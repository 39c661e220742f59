"""Flow-guided blending of stylized frames: the tracker, the blender, scene cuts, and whole videos.

The "model" here is a fake that flickers: it adds blocky noise drawn from a seed taken from each
frame's own pixels, so one frame always gets the same noise (a per-frame run and a temporal run
see the same stylized frames) while consecutive frames get different noise, as a real style's
textures do.
"""

import hashlib

import av
import cv2
import numpy as np
import pytest

from animegan.inference.inputs import Job
from animegan.inference.temporal import Motion, MotionTracker, TemporalBlender, TemporalOptions
from animegan.inference.video import VideoOptions, stylize_video
from animegan.inference.video_clips import inspect_clip, make_clip, texture
from animegan.inference.warp_error import pair_error, psnr, video_metrics

WIDTH, HEIGHT = 64, 48


class Flicker:
    """Identity plus blocky noise that depends only on the frame."""

    name = "flicker"
    stride = 4

    def __call__(self, batch):
        out = np.empty_like(batch)
        for index, frame in enumerate(batch):
            seed = int.from_bytes(hashlib.sha256(frame.tobytes()).digest()[:8], "little")
            blocks = np.random.default_rng(seed).normal(0, 0.15, (frame.shape[0] // 8, frame.shape[1] // 8, 3))
            noise = cv2.resize(blocks.astype(np.float32), frame.shape[1::-1], interpolation=cv2.INTER_NEAREST)
            out[index] = np.clip(frame + noise, -1, 1)
        return out


def pan_frames(count, seed, step=2):
    """``count`` frames of a camera pan ``step`` px a frame to the right over a random texture."""
    wide = texture(WIDTH + step * count, HEIGHT, seed)
    return [wide[:, step * i : step * i + WIDTH] for i in range(count)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("temporal")
    return {
        "pan": make_clip(folder / "pan.mp4", frames=pan_frames(12, 0), crf=10),
        "cut": make_clip(folder / "cut.mkv", frames=pan_frames(6, 1) + pan_frames(6, 2), codec="ffv1", audio=None),
        "static": make_clip(folder / "static.mp4", frames=[texture(WIDTH, HEIGHT, 3)] * 6, audio=None),
    }


def decoded(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_the_tracker_trusts_still_pixels_and_not_the_revealed_strip():
    tracker = MotionTracker(TemporalOptions(weight=0.5))
    first, second = pan_frames(2, 4)
    assert tracker(first) is None  # nothing before the first frame
    motion = tracker(second)
    assert motion.flow.shape == (HEIGHT, WIDTH, 2) and motion.trust.shape == (HEIGHT, WIDTH, 1)
    assert np.median(motion.flow[8:-8, 8:-8, 0]) == pytest.approx(2, abs=0.25)  # second -> first: 2 px right
    assert motion.trust.max() <= 0.5
    assert motion.trust[:, -2:].mean() < 0.1  # content the first frame never showed
    assert np.mean(motion.trust[4:-4, 4:-6] > 0.25) > 0.9
    still = tracker(second)
    assert np.abs(still.flow).max() < 0.05 and still.trust.min() == pytest.approx(0.5)


def test_flow_on_smaller_frames_is_scaled_back_to_the_frame():
    wide = texture(128 + 8, 96, 4)
    first, second = wide[:, :128], wide[:, 4:132]  # 4 px a frame
    tracker = MotionTracker(TemporalOptions(flow_side=64))  # flow at 64x48: 2 px there
    tracker(first)
    motion = tracker(second)
    assert motion.flow.shape == (96, 128, 2) and motion.trust.shape == (96, 128, 1)
    assert np.median(motion.flow[16:-16, 16:-16, 0]) == pytest.approx(4, abs=0.5)
    assert np.median(np.abs(motion.flow[16:-16, 16:-16, 1])) < 0.5
    assert np.mean(motion.trust[8:-8, 8:-16] > 0) > 0.8


def test_a_scene_cut_gives_no_motion_so_the_frame_is_its_own_result():
    tracker, blend = MotionTracker(), TemporalBlender()
    (a, b), c = pan_frames(2, 5), texture(WIDTH, HEIGHT, 6)
    stylized = [texture(WIDTH, HEIGHT, seed) for seed in (7, 8, 9)]
    outputs = [blend(s, tracker(frame)) for s, frame in zip(stylized, (a, b, c))]
    np.testing.assert_array_equal(outputs[0], stylized[0])
    assert np.abs(outputs[1].astype(int) - stylized[1]).mean() > 5  # blended with the first
    np.testing.assert_array_equal(outputs[2], stylized[2])  # the cut: a fresh start


def test_the_blend_mixes_by_the_trust_along_the_flow():
    blend = TemporalBlender()
    previous = np.full((4, 6, 3), 200, np.uint8)
    current = np.full((4, 6, 3), 100, np.uint8)
    blend(previous, None)
    trust = np.zeros((4, 6, 1), np.float32)
    trust[:, 3:] = 0.6
    out = blend(current, Motion(np.zeros((4, 6, 2), np.float32), trust))
    assert (out[:, :3] == 100).all() and (out[:, 3:] == 160).all()


def test_e_warp_of_a_static_clip_is_zero_and_of_a_flickering_one_is_not(clips):
    metrics = video_metrics(clips["static"], {"same": clips["static"]}, reference="same")
    assert metrics.pairs == 5 and metrics.e_warp["input"] < 1e-6 and metrics.e_warp["same"] < 1e-6
    frame = texture(WIDTH, HEIGHT, 3)
    still, mask = np.zeros((HEIGHT, WIDTH, 2), np.float32), np.ones((HEIGHT, WIDTH), bool)
    assert pair_error(frame, frame, still, mask) == 0.0
    noisy = np.clip(frame + np.random.default_rng(0).normal(0, 10, frame.shape), 0, 255).astype(np.uint8)
    assert pair_error(frame, noisy, still, mask) == pytest.approx(np.mean((frame / 255 - noisy / 255) ** 2), rel=1e-5)
    assert psnr(frame, frame) == 100.0 and 25 < psnr(frame, noisy) < 30


def test_temporal_blending_lowers_e_warp_and_keeps_frames_times_and_audio(clips, tmp_path):
    source = clips["pan"]
    outputs = {}
    for mode, temporal in (("per-frame", None), ("temporal", TemporalOptions())):
        job = Job(source, tmp_path / mode / "pan.mp4")
        result = stylize_video(Flicker(), job, VideoOptions(batch_size=4, temporal=temporal))
        outputs[mode] = result.output
        facts, before = inspect_clip(result.output), inspect_clip(source)
        assert result.frames == facts.frames == before.frames == 12
        assert facts.times == pytest.approx(before.times, abs=1e-6)
        assert [a.codec for a in facts.audio] == ["aac"]
        assert facts.audio[0].seconds == pytest.approx(before.audio[0].seconds, abs=1 / 24)
    metrics = video_metrics(source, outputs, reference="per-frame")
    floor = metrics.e_warp["input"]
    assert metrics.e_warp["per-frame"] > 10 * floor
    assert metrics.e_warp["temporal"] - floor < 0.5 * (metrics.e_warp["per-frame"] - floor)
    assert 20 < metrics.psnr["temporal"] < 40  # still the (noisy) style, not the input


def test_the_first_frame_after_a_cut_equals_the_per_frame_result(clips, tmp_path):
    frames = {}
    for mode, temporal in (("per-frame", None), ("temporal", TemporalOptions())):
        job = Job(clips["cut"], tmp_path / mode / "cut.mkv")
        stylize_video(Flicker(), job, VideoOptions(batch_size=4, codec="ffv1", temporal=temporal))
        frames[mode] = decoded(job.output)  # ffv1: lossless, so equal pictures decode equal
    alike = [np.array_equal(a, b) for a, b in zip(frames["per-frame"], frames["temporal"])]
    assert alike == [True] + [False] * 5 + [True] + [False] * 5
