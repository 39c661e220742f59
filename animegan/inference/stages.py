"""Three stages that overlap: produce (a thread), the middle step (the calling thread), consume (a thread).

The producer thread iterates ``items``, whose generator does all the reading and preparation, so the
calling thread only runs ``middle`` (the model) on ready items; the consumer thread hands each finished
item to ``consume`` (encoding, writing). Bounded queues of ``depth`` items join the stages: while the
model runs, the next items are being prepared and the last ones written, and at most ``2 * depth + 3``
items are alive at once. The middle step runs in the calling thread so that Ctrl-C, which Python
delivers there, stops the run between two model calls. Video (``video_pipeline``) and photo batches
(``photos``) both run on this one mechanism.

Whatever stops one stage stops the others: an exception in a thread, or any exception (KeyboardInterrupt
included) in the calling thread. The threads are joined before ``run_stages`` returns or raises, and the
first failure is raised in the calling thread with its own traceback. A producer that blocks on
something of its own (a memory budget) waits on ``stop`` too, so that it ends when the run does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

_POLL_S = 0.05  # how often a blocked stage checks whether another one has stopped
_END = object()


class _Stage(threading.Thread):
    def __init__(self, name: str, work: Callable[[], None], stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self._work = work
        self._halt = stop
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._work()
        except BaseException as error:  # raised again in the calling thread by run_stages
            self.error = error
            self._halt.set()


def run_stages(
    items: Iterable[T],
    middle: Callable[[T], object],
    consume: Callable[[T], None],
    depth: int = 2,
    stop: threading.Event | None = None,
) -> None:
    """Runs every item through ``middle`` (calling thread) and ``consume`` (a thread), in order.

    ``stop`` is the event that ends every stage; give one when the producer must watch it.
    """
    stop = stop if stop is not None else threading.Event()
    todo: queue.Queue = queue.Queue(depth)
    done: queue.Queue = queue.Queue(depth)

    def produce() -> None:
        for item in items:
            if not _put(todo, item, stop):
                return
        _put(todo, _END, stop)

    def finish() -> None:
        while (item := _get(done, stop)) is not _END and item is not None:
            consume(item)

    stages = [_Stage("animegan-decode", produce, stop), _Stage("animegan-encode", finish, stop)]
    for stage in stages:
        stage.start()
    try:
        while (item := _get(todo, stop)) is not _END and item is not None:
            middle(item)
            if not _put(done, item, stop):
                break
        else:
            if item is _END:
                _put(done, _END, stop)
        stages[1].join()  # the consumer finishes writing, or stops early if a stage failed
    except BaseException:
        stop.set()
        raise
    finally:
        stop.set()  # releases the producer if it is still blocked (it is done when all went well)
        for stage in stages:
            stage.join()
    for stage in stages:
        if stage.error is not None:
            raise stage.error


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Puts ``item`` unless the pipeline stops first; False when it did."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue, stop: threading.Event) -> object | None:
    """The next item, or None once the pipeline stops."""
    while not stop.is_set():
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
    return None
