"""The model worker's bounded queue and the limits checked before decoding."""

import threading

import numpy as np
import pytest

from animegan.inference.stylize import limit_side
from animegan.serve.errors import RequestError, ServerBusy
from animegan.serve.limits import check_photo, check_video, work_size
from animegan.serve.settings import Limits
from animegan.serve.worker import ModelWorker


def test_one_job_at_a_time_and_a_full_queue_is_refused():
    worker = ModelWorker(queue_size=2)
    release = threading.Event()
    futures = [worker.submit(release.wait) for _ in range(3)]  # one running, two waiting
    with pytest.raises(ServerBusy, match="busy") as caught:
        worker.submit(release.wait)
    assert caught.value.status == 429
    with pytest.raises(ServerBusy):
        worker.check_room()
    release.set()
    assert all(f.result(timeout=10) for f in futures)
    assert worker.run(lambda: 7) == 7  # room again
    assert (worker.peak_running, worker.peak_pending, worker.pending) == (1, 3, 0)
    worker.close()


def test_a_job_sees_the_callers_context():
    import contextvars

    var = contextvars.ContextVar("var", default="unset")
    worker = ModelWorker(queue_size=1)
    var.set("caller")
    assert worker.run(var.get) == "caller"
    worker.close()


@pytest.mark.parametrize("size", [(120, 160), (333, 500), (1000, 7), (64, 64)])
@pytest.mark.parametrize("max_side", [None, 50, 97, 400])
def test_work_size_is_what_stylize_runs_at(size, max_side):
    assert work_size(*size, max_side) == limit_side(np.zeros((*size, 3), np.float32), max_side).shape[:2]


def test_photo_limits():
    limits = Limits(max_pixels=2_000_000, max_work_pixels=1_050_000)
    check_photo(1000, 1000, limits, None, None)
    check_photo(1400, 1400, limits, None, 512)  # tiles: any work size
    with pytest.raises(RequestError, match="too large: 1500x1500 is 2.2 MP") as caught:
        check_photo(1500, 1500, limits, None, None)
    assert caught.value.status == 413
    with pytest.raises(RequestError, match=r"ask for max_side=\d+ or less, or tile=512") as caught:
        check_photo(1200, 1400, limits, None, None)
    side = int(str(caught.value).split("max_side=")[1].split()[0])
    check_photo(1200, 1400, limits, side, None)  # the advice fits
    with pytest.raises(RequestError):
        check_photo(1200, 1400, limits, side + 1, None)  # and is the largest that does
    with pytest.raises(RequestError, match="tile 2048 is too large"):
        check_photo(1000, 1000, limits, None, 2048)


def test_video_limits():
    limits = Limits(max_video_seconds=10, max_work_pixels=1_050_000)
    check_video(1080, 1920, 9.5, limits, 1024)
    with pytest.raises(RequestError, match="too long: 12.0 s"):
        check_video(360, 640, 12.0, limits, None)
    with pytest.raises(RequestError, match="choose a max side of"):
        check_video(1080, 1920, 5.0, limits, None)
