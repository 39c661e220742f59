"""One model call at a time, in arrival order, with a bounded queue: memory stays bounded under load.

Each server has one ``ModelWorker``: a single thread that runs the jobs the REST routes and the page
hand it. A job waiting for its turn holds only its upload's bytes; decoding and the model run happen on
the worker's thread, one job at a time. When ``queue_size`` jobs already wait behind the running one, a
new one is refused at once with ``ServerBusy`` (HTTP 429) instead of piling up.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from animegan.serve.errors import ServerBusy

T = TypeVar("T")


class ModelWorker:
    def __init__(self, queue_size: int):
        self.queue_size = queue_size
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="animegan-model")
        self._lock = threading.Lock()
        self._pending = 0  # jobs accepted and not finished: the running one and those waiting
        self._running = 0
        self.peak_pending = 0  # the most jobs ever accepted at once (the load test reads these two)
        self.peak_running = 0  # the most ever running at once: 1 by construction
        self.stopping = threading.Event()  # set by close(): a long job (a video) checks it and gives up

    @property
    def pending(self) -> int:
        return self._pending

    def check_room(self) -> None:
        """Raises ``ServerBusy`` when a job submitted now would be refused (a quick test before reading a body)."""
        if self._pending > self.queue_size:
            raise self._busy()

    def submit(self, job: Callable[..., T], *args) -> Future[T]:
        """Queues ``job(*args)``; raises ``ServerBusy`` when the queue is full.

        The job runs in a copy of the caller's context, so what the caller set there (Gradio's progress
        tracker) reaches it.
        """
        with self._lock:
            if self._pending > self.queue_size:
                raise self._busy()
            self._pending += 1
            self.peak_pending = max(self.peak_pending, self._pending)
        try:
            future = self._executor.submit(contextvars.copy_context().run, self._run, job, *args)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def run(self, job: Callable[..., T], *args) -> T:
        """Queues ``job(*args)`` and waits for its result (or its exception)."""
        return self.submit(job, *args).result()

    def close(self) -> None:
        """Drops the waiting jobs and waits for the running one (a video stops at its next frames)."""
        self.stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: Callable[..., T], *args) -> T:
        with self._lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        try:
            return job(*args)
        finally:
            with self._lock:
                self._running -= 1

    def _busy(self) -> ServerBusy:
        return ServerBusy(
            f"the server is busy: {self._pending} requests are running or queued "
            f"(at most {self.queue_size + 1}); try again shortly"
        )

    def _finished(self, future: Future | None) -> None:
        with self._lock:
            self._pending -= 1
