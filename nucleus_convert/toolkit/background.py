"""Jobs run by one background thread while the caller goes on, for work that releases the GIL
(zlib compression, numpy copies, writing a file), so that it overlaps the caller's Python.

The caller sees the same outcomes as if it had run each job itself, in order: a job's
exception is raised again, unchanged, by the next :meth:`BackgroundJobs.submit` or
:meth:`~BackgroundJobs.finish` after it, and after an error of the caller's own,
:meth:`~BackgroundJobs.abort` gives the earliest failure among the jobs submitted before it
(which is the error running them in line would have raised first). Nothing is left running:
``finish`` and ``abort`` wait for the job in progress, so no file appears after the caller
has removed its output.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["BackgroundJobs"]


class BackgroundJobs:
    """Up to ``in_flight`` jobs queued on one thread, started on the first :meth:`submit`."""

    def __init__(self, in_flight: int = 8) -> None:
        self.in_flight = in_flight
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job``; first wait for the oldest jobs while ``in_flight`` are queued."""
        while len(self._pending) >= self.in_flight:
            self._collect_oldest()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nucleus-convert")
        self._pending.append(self._pool.submit(job))

    def finish(self) -> None:
        """Wait for every job; raise the first failure."""
        while self._pending:
            self._collect_oldest()
        self._shutdown()

    def abort(self, *, await_results: bool = True) -> BaseException | None:
        """After an error of the caller's: the earliest failure among the queued jobs (None
        when none failed). ``await_results=False`` (an interrupt) cancels the jobs that have
        not started; the one running is always awaited."""
        first: BaseException | None = None
        while self._pending:
            future = self._pending.popleft()
            if first is not None or not await_results:
                future.cancel()
                continue
            first = future.exception()
        self._shutdown()
        return first

    def _collect_oldest(self) -> None:
        error = self._pending.popleft().exception()
        if error is not None:
            self.abort(await_results=False)
            raise error

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
