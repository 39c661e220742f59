"""Dense flow, warping and the forward-backward mask on synthetic motion whose flow is known."""

import numpy as np
import pytest

from animegan.inference.flow import FlowEstimator, consistent, gray, warp
from animegan.inference.video_clips import texture

SHIFT = 3  # pixels the picture moves right between the two frames


@pytest.fixture(scope="module")
def pan():
    """Two frames of a pan: the second is the first moved SHIFT px right, with new content at the left."""
    first = texture(128, 96, 0)
    second = texture(128, 96, 1)  # the revealed strip: content the first frame never showed
    second[:, SHIFT:] = first[:, :-SHIFT]
    return first, second


def known_flow(height, width, dx):
    flow = np.zeros((height, width, 2), np.float32)
    flow[..., 0] = dx
    return flow


def test_warping_along_the_known_flow_recovers_the_frame_and_masks_the_revealed_strip(pan):
    first, second = pan
    back, forward = known_flow(96, 128, -SHIFT), known_flow(96, 128, SHIFT)  # second -> first, first -> second
    np.testing.assert_array_equal(warp(first, back)[:, SHIFT:], second[:, SHIFT:])
    np.testing.assert_array_equal(warp(second, forward)[:, :-SHIFT], first[:, :-SHIFT])
    mask = consistent(back, forward)
    assert mask.dtype == bool and mask.shape == (96, 128)
    assert not mask[:, :SHIFT].any() and mask[:, SHIFT:].all()  # revealed: nothing in the first frame
    assert not consistent(forward, back)[:, -SHIFT:].any() and consistent(forward, back)[:, :-SHIFT].all()


def test_a_reverse_flow_that_does_not_lead_back_fails_the_check():
    back, forward = known_flow(48, 64, -2), known_flow(48, 64, 2)
    forward[10:20, 20:30] = 0  # where these pixels land, the way back says they did not move
    mask = consistent(back, forward)
    assert not mask[10:20, 22:32].any()
    assert mask[30:, 2:].all() and mask[:10, 2:].all()


def test_warping_keeps_shape_and_type_for_images_and_flows():
    flow = known_flow(8, 10, 0.5)
    assert warp(np.zeros((8, 10, 3), np.uint8), flow).dtype == np.uint8
    assert warp(np.zeros((8, 10), np.float32), flow).shape == (8, 10)
    assert warp(flow, flow).shape == (8, 10, 2)  # a flow field warps like any two-channel image
    halfway = warp(np.tile(np.arange(10, dtype=np.float32), (8, 1)), flow)
    np.testing.assert_allclose(halfway[:, :-1], np.tile(np.arange(9) + 0.5, (8, 1)))  # bilinear between neighbours


@pytest.mark.parametrize("preset", ["ultrafast", "fast", "medium"])
def test_dis_finds_the_shift_and_its_mask_drops_the_revealed_strip(pan, preset):
    first, second = (gray(frame) for frame in pan)
    estimate = FlowEstimator(preset)
    back, forward = estimate(second, first), estimate(first, second)
    interior = back[8:-8, 8 + SHIFT : -8]
    assert np.median(interior[..., 0]) == pytest.approx(-SHIFT, abs=0.2)
    assert np.median(np.abs(interior[..., 1])) < 0.2
    mask = consistent(back, forward)
    assert mask[:, :SHIFT].mean() < 0.2  # the revealed strip is (almost all) masked
    assert mask[8:-8, 8 + SHIFT : -8].mean() > 0.9  # what both frames show is kept


def test_gray_reads_uint8_and_unit_float_alike():
    rgb = texture(8, 6, 2)
    np.testing.assert_array_equal(gray(rgb), gray(rgb / 255.0))
