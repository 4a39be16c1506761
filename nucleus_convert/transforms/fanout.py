"""One item stream written into several datasets at once: a writer thread per output, fed
through a bounded queue, so the source is read once and memory holds a few items per output.

Conventions:

* Each output is written by :func:`nucleus_convert.api.write` in its own thread, with its own
  header, scenes and loss report; the writers are the formats' own (the GIL is shared: this is
  about reading once, not about speed).
* A writer that fails stops the run: the others are told to abort (their iterator raises
  :class:`Aborted`, so each removes its partial output as any failed write does) and the first
  error, in output order, is raised. An error or interrupt in the caller's thread does the
  same, and :func:`fan_out` returns only when every writer thread has ended.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from nucleus_convert.model import Item

__all__ = ["Aborted", "Output", "fan_out"]

_END = object()
_DEPTH = 16
"""Items queued per output before the reader waits."""


class Aborted(Exception):
    """Raised inside a writer's item stream when the run is stopped elsewhere."""


class Output:
    """One destination: a queue of items and the thread that writes them."""

    def __init__(self, name: str, write: Callable[[Iterator[Item]], Any], stop: threading.Event):
        self.name = name
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_DEPTH)
        self._stop = stop
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(write,), name=f"nucleus-convert-{name}", daemon=True
        )

    def _items(self) -> Iterator[Item]:
        while True:
            try:
                value = self._queue.get(timeout=0.05)
            except queue.Empty:
                if self._stop.is_set():
                    raise Aborted(self.name) from None
                continue
            if value is _END:
                return
            yield value

    def _run(self, write: Callable[[Iterator[Item]], Any]) -> None:
        try:
            self.result = write(self._items())
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc
            self._stop.set()

    def start(self) -> None:
        self._thread.start()

    def put(self, value: Any) -> None:
        """Queue ``value``; raise :class:`Aborted` when the run stopped meanwhile."""
        while True:
            if self._stop.is_set():
                raise Aborted(self.name)
            try:
                self._queue.put(value, timeout=0.05)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise Aborted(self.name) from None

    def join(self) -> None:
        self._thread.join()


def fan_out(
    items: Iterable[Item],
    route: Callable[[Item], str | None],
    writers: Mapping[str, Callable[[Iterator[Item]], Any]],
) -> dict[str, Any]:
    """Write each item to the output ``route(item)`` names (``None``: to none); ``writers``
    give each output's write (taking its item iterator). Returns each writer's result."""
    stop = threading.Event()
    outputs = {name: Output(name, write, stop) for name, write in writers.items()}
    for out in outputs.values():
        out.start()
    try:
        for item in items:
            name = route(item)
            if name is not None:
                outputs[name].put(item)
        for out in outputs.values():
            out.put(_END)
    except Aborted:
        pass  # a writer failed: its error is raised below
    except BaseException:
        stop.set()
        raise
    finally:
        for out in outputs.values():
            out.join()
    for out in outputs.values():
        if out.error is not None and not isinstance(out.error, Aborted):
            raise out.error
    return {name: out.result for name, out in outputs.items()}
