"""Three stages that overlap: decode (a thread), the model (the calling thread), encode (a thread).

The decode thread iterates ``chunks``, whose producer does all the per-frame preparation (conversion,
scaling, padding, stacking), so the calling thread only runs ``model`` on ready batches; the encode
thread hands each finished chunk to ``consume``. Bounded queues of ``depth`` chunks join the stages:
while the model runs, the next batches are being decoded and the last ones encoded, and memory stays at
about ``2 * depth + 3`` batches. The model runs in the calling thread so that Ctrl-C, which Python
delivers there, interrupts it directly.

Whatever stops one stage stops the others: an exception in a thread, or any exception (KeyboardInterrupt
included) in the calling thread. The threads are joined before ``run_pipeline`` returns or raises, and
the first failure is raised in the calling thread with its own traceback.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_POLL_S = 0.05  # how often a blocked stage checks whether another one has stopped
_END = object()


@dataclass
class Chunk:
    """A batch of frames on its way through the stages, with whatever must be written after them."""

    batch: np.ndarray | None  # model input (N, H, W, C); None for a chunk that only carries extras
    stamps: list[Any] = field(default_factory=list)  # per frame, for the consumer (timestamps)
    extras: list[Any] = field(default_factory=list)  # written after the frames (audio packets)
    context: list[Any] = field(default_factory=list)  # per frame, what the producer saw that the consumer needs
    output: np.ndarray | None = None  # the model's result, set by the calling thread


class _Stage(threading.Thread):
    def __init__(self, name: str, work: Callable[[], None], stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self._work = work
        self._halt = stop
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._work()
        except BaseException as error:  # raised again in the calling thread by run_pipeline
            self.error = error
            self._halt.set()


def run_pipeline(
    chunks: Iterable[Chunk],
    model: Callable[[np.ndarray], np.ndarray],
    consume: Callable[[Chunk], None],
    depth: int = 2,
) -> None:
    """Runs every chunk through ``model`` (where it has a batch) and ``consume``, in order."""
    stop = threading.Event()
    todo: queue.Queue = queue.Queue(depth)
    done: queue.Queue = queue.Queue(depth)

    def decode() -> None:
        for chunk in chunks:
            if not _put(todo, chunk, stop):
                return
        _put(todo, _END, stop)

    def encode() -> None:
        while (chunk := _get(done, stop)) is not _END and chunk is not None:
            consume(chunk)

    stages = [_Stage("animegan-decode", decode, stop), _Stage("animegan-encode", encode, stop)]
    for stage in stages:
        stage.start()
    try:
        while (chunk := _get(todo, stop)) is not _END and chunk is not None:
            if chunk.batch is not None:
                chunk.output = model(chunk.batch)
            if not _put(done, chunk, stop):
                break
        else:
            if chunk is _END:
                _put(done, _END, stop)
        stages[1].join()  # the encoder finishes writing, or stops early if a stage failed
    except BaseException:
        stop.set()
        raise
    finally:
        stop.set()  # releases the decoder if it is still blocked (it is done when all went well)
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
