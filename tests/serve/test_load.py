"""20 concurrent API requests on 127.0.0.1: all answered correctly, one model call at a time, queue bounded."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

httpx = pytest.importorskip("httpx", reason="the web extra is not installed: pip install 'animegan[web]'")

CONCURRENT = 20


@pytest.mark.slow
def test_concurrent_requests_are_queued_and_all_answered(server, pictures):
    assert server.url.startswith("http://127.0.0.1:")
    body = pictures.png(pictures.photo_like(96, 128, seed=3))
    worker = server.server.worker
    with httpx.Client(base_url=server.url, timeout=300) as http:
        reference = http.post("/v1/stylize", content=body)
        assert reference.status_code == 200
        worker.peak_pending = 0
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(lambda _: http.post("/v1/stylize", content=body), range(CONCURRENT)))
    assert [a.status_code for a in answers] == [200] * CONCURRENT
    expected = pictures.decoded(reference.content)
    for answer in answers:
        np.testing.assert_array_equal(pictures.decoded(answer.content), expected)
    assert worker.peak_running == 1
    # They did queue, within the bound: memory holds one image in the model and the waiting uploads'
    # bytes (scripts/bench_serve.py measures the server's memory in its own process).
    assert 1 < worker.peak_pending <= worker.queue_size + 1
