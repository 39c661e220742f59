"""The three-stage pipeline alone: order, extras, overlap, and how failures and Ctrl-C stop it."""

import threading
import time

import numpy as np
import pytest

from animegan.inference.video_pipeline import Chunk, run_pipeline


def numbered(count, size=2):
    for i in range(count):
        yield Chunk(np.full((size, 4, 4, 3), i, np.float32), stamps=[i] * size, extras=[f"audio{i}"])


def live_stages():
    """The pipeline's own stage threads (other tests in this worker may run threads of their own)."""
    return [t for t in threading.enumerate() if t.name in ("animegan-decode", "animegan-encode")]


def test_chunks_arrive_in_order_with_model_output_and_extras():
    seen = []
    run_pipeline(numbered(7), lambda batch: batch * 2, seen.append)
    assert [c.stamps[0] for c in seen] == list(range(7))
    assert [c.extras for c in seen] == [[f"audio{i}"] for i in range(7)]
    for i, chunk in enumerate(seen):
        np.testing.assert_array_equal(chunk.output, np.full((2, 4, 4, 3), 2 * i, np.float32))
    assert not live_stages()


def test_a_chunk_without_frames_skips_the_model():
    calls = []
    seen = []
    chunks = [Chunk(None, extras=["only audio"]), Chunk(np.zeros((1, 4, 4, 3), np.float32), stamps=[0])]
    run_pipeline(chunks, lambda b: calls.append(b.shape) or b, seen.append)
    assert calls == [(1, 4, 4, 3)]
    assert seen[0].output is None and seen[0].extras == ["only audio"]


def test_stages_overlap():
    """Decode, model and encode each take 40 ms a chunk: run one after another, 12 chunks take 1.44 s."""

    def slow_chunks():
        for chunk in numbered(12):
            time.sleep(0.04)
            yield chunk

    def slow_model(batch):
        time.sleep(0.04)
        return batch

    start = time.perf_counter()
    run_pipeline(slow_chunks(), slow_model, lambda chunk: time.sleep(0.04))
    assert time.perf_counter() - start < 1.0  # about 0.56 s when the stages overlap


@pytest.mark.parametrize("stage", ["decode", "model", "encode"])
def test_an_error_in_any_stage_is_raised_and_every_thread_ends(stage):
    def chunks():
        for i, chunk in enumerate(numbered(50)):
            if stage == "decode" and i == 3:
                raise ValueError("decode broke")
            yield chunk

    def model(batch):
        if stage == "model" and batch[0, 0, 0, 0] == 3:
            raise ValueError("model broke")
        return batch

    def consume(chunk):
        if stage == "encode" and chunk.stamps[0] == 3:
            raise ValueError("encode broke")

    with pytest.raises(ValueError, match=f"{stage} broke"):
        run_pipeline(chunks(), model, consume)
    assert not live_stages()


def test_keyboard_interrupt_in_the_model_stops_the_threads_and_propagates():
    consumed = []

    def model(batch):
        if batch[0, 0, 0, 0] == 2:
            raise KeyboardInterrupt
        return batch

    with pytest.raises(KeyboardInterrupt):
        run_pipeline(numbered(1000), model, consumed.append)
    assert not live_stages()
    assert [c.stamps[0] for c in consumed] == [0, 1][: len(consumed)]  # nothing after the interrupt


def test_queues_are_bounded_while_the_model_is_slow():
    produced = []

    def chunks():
        for chunk in numbered(40):
            produced.append(chunk)
            yield chunk

    def model(batch):
        time.sleep(0.01)
        # the decoder is at most depth chunks ahead of the model (+1 being made, +1 just taken)
        assert len(produced) - batch[0, 0, 0, 0] <= 2 + 2
        return batch

    run_pipeline(chunks(), model, lambda chunk: None, depth=2)
