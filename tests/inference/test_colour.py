"""--preserve-colour: the input's chroma with the style's lightness, for arrays, photos and videos."""

import av
import cv2
import numpy as np
import pytest

from animegan.data.images import read_image, write_image
from animegan.inference.colour import preserve_colour
from animegan.inference.inputs import Job
from animegan.inference.photos import PhotoOptions, run_photos
from animegan.inference.video import VideoOptions, stylize_video
from animegan.inference.video_clips import make_clip, texture


def lab(rgb):
    unit = rgb.astype(np.float32) / 255 if rgb.dtype == np.uint8 else rgb.astype(np.float32)
    return cv2.cvtColor(unit, cv2.COLOR_RGB2Lab)


def chroma_error(a, b, lightness_of=None):
    """Mean |delta a*| and |delta b*| (CIELAB units) between two pictures.

    With ``lightness_of``, only where that picture's L* is between 30 and 80: black ink lines and
    white highlights cannot hold a saturated colour at all, so there the output keeps only the hue.
    """
    difference = np.abs(lab(a)[..., 1:] - lab(b)[..., 1:]).mean(axis=-1)
    if lightness_of is not None:
        lightness = lab(lightness_of)[..., 0]
        difference = difference[(lightness > 30) & (lightness < 80)]
    return float(difference.mean())


def hue_error(a, b):
    """Mean hue difference (radians) of ``a`` from ``b``, weighted by ``b``'s chroma."""
    first, second = lab(a), lab(b)
    turn = np.arctan2(first[..., 2], first[..., 1]) - np.arctan2(second[..., 2], second[..., 1])
    chroma = np.hypot(second[..., 1], second[..., 2])
    return float((np.abs(np.angle(np.exp(1j * turn))) * chroma).sum() / chroma.sum())


def edge_correlation(a, b):
    """Correlation of the L* gradient magnitudes of two pictures: whose lines and shading they share."""
    def edges(rgb):
        lightness = lab(rgb)[..., 0]
        return np.hypot(cv2.Sobel(lightness, cv2.CV_32F, 1, 0), cv2.Sobel(lightness, cv2.CV_32F, 0, 1)).ravel()

    return float(np.corrcoef(edges(a), edges(b))[0, 1])


def colourful(width, height):
    """Smooth hues across the picture, mid lightness: every colour in gamut at most lightness."""
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width]).reshape(2, 1, 1)
    hsv = np.stack([x * 300, 0.6 + 0.2 * y, np.full_like(x, 0.7)], axis=-1).astype(np.float32)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def inked(rgb, lines=True):
    """A stand-in style: darker, bluish, posterized, with black lines of its own (a grid)."""
    out = np.round(rgb * 4) / 4 * 0.8
    out[..., 2] = np.clip(out[..., 2] + 0.2, 0, 1)
    if lines:
        out[::12], out[:, ::12] = 0.05, 0.05
    return out.astype(np.float32)


class Inked:
    name, stride = "inked", 4

    def __init__(self, lines=True):
        self.lines = lines

    def __call__(self, batch):
        return np.stack([inked((frame + 1) / 2, self.lines) * 2 - 1 for frame in batch])


def test_the_output_has_the_inputs_chroma_and_the_styles_lightness():
    source = colourful(96, 64)
    stylized = inked(source)
    out = preserve_colour(stylized, source)
    assert out.dtype == np.float32 and out.shape == source.shape and 0 <= out.min() and out.max() <= 1
    assert chroma_error(stylized, source) > 5  # the style moved the colours (23) ...
    assert chroma_error(out, source, lightness_of=stylized) < 0.5  # ... and they are back (0.17)
    assert hue_error(out, source) < 0.01  # even in the ink lines, what chroma is left has the hue (0.0024)
    assert np.abs(lab(out)[..., 0] - lab(stylized)[..., 0]).mean() < 0.3  # L* is the style's (0.08)
    assert edge_correlation(out, stylized) > 0.9 > edge_correlation(out, source) + 0.5
    eight_bit = preserve_colour(np.round(stylized * 255).astype(np.uint8), np.round(source * 255).astype(np.uint8))
    assert eight_bit.dtype == np.uint8 and np.abs(eight_bit / 255.0 - out).max() < 0.02
    with pytest.raises(ValueError, match="sizes differ"):
        preserve_colour(stylized[:10], source)


def test_a_real_style_on_a_kodak_photo_keeps_its_lines_and_takes_the_photos_colours(shared_dir):
    from animegan.inference.backends import load_backend
    from animegan.inference.stylize import stylize_array
    from animegan.weights.resolve import BUNDLED_DEFAULT

    photo = read_image(shared_dir / "data" / "kodak24" / "23.png").rgb
    source = cv2.resize(photo, (192, 128), interpolation=cv2.INTER_AREA)
    stylized = stylize_array(load_backend(BUNDLED_DEFAULT, threads=1), source)
    out = preserve_colour(stylized, source)
    # Measured on Kodak 23 at 192x128 with the bundled style: chroma off by 7.7 without the option,
    # 0.16 with it (L* 30-80; 0.61 overall, the rest in ink lines), hue by 0.003 rad.
    assert chroma_error(stylized, source) > 3 and chroma_error(out, source, lightness_of=stylized) < 0.5
    assert hue_error(out, source) < 0.01
    assert edge_correlation(out, stylized) > 0.95 and edge_correlation(out, stylized) > edge_correlation(out, source)


def test_photos_get_the_option_through_the_photo_loop(tmp_path):
    source = colourful(40, 28)
    write_image(tmp_path / "in.png", source)
    for preserve in (False, True):
        job = Job(tmp_path / "in.png", tmp_path / f"out{preserve}.png")
        [result] = run_photos(Inked(), [job], PhotoOptions(preserve_colour=preserve))
        assert result.status == "written", result.reason
    plain, kept = (read_image(tmp_path / f"out{p}.png").rgb for p in (False, True))
    assert chroma_error(plain, source) > 5 and chroma_error(kept, source, lightness_of=plain) < 1
    assert hue_error(kept, source) < 0.02
    assert edge_correlation(kept, plain) > 0.9


def test_videos_get_the_option_too(tmp_path):
    pictures = [np.round(colourful(64, 48) * 255).astype(np.uint8)] * 3 + [texture(64, 48, 0)] * 3
    clip = make_clip(tmp_path / "clip.mkv", frames=pictures, audio=None, codec="ffv1")
    outputs = {}
    for preserve in (False, True):
        job = Job(clip, tmp_path / str(preserve) / "clip.mkv")
        # No ink lines: 4:2:0 video spreads a line's zero chroma onto its neighbours, whatever the option does.
        stylize_video(Inked(lines=False), job, VideoOptions(codec="ffv1", temporal=None, preserve_colour=preserve))
        with av.open(str(job.output)) as container:
            outputs[preserve] = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    with av.open(str(clip)) as container:  # the input as the model saw it: with 4:2:0 chroma
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    for before, plain, kept in zip(frames, outputs[False], outputs[True]):
        # uint8 rounding and 4:2:0 chroma again in the output: a looser bound than for arrays
        # (measured: 20 without the option; 0.48 and 0.97 with it, hue 0.007 and 0.035 rad)
        assert chroma_error(plain, before) > 4 and chroma_error(kept, before, lightness_of=plain) < 1.5
        assert hue_error(kept, before) < 0.05
