"""The point cloud JSON files of a Nucleus bundle, written in this process or in a pool.

Serialising a 120,000-point scan takes ~15 ms and writes ~10 MB, so a folder of scans is
CPU-bound: the ``nucleus`` writer's ``workers`` option spreads the files over a
:class:`concurrent.futures.ProcessPoolExecutor`.

* ``workers=1``: every file is loaded, serialised and written here, in item order (the
  in-process path).
* ``workers=N > 1``: the first point cloud is still written here; the pool of ``N`` processes
  starts at the second one, so a dataset with a single cloud never pays for it. ``workers=0``
  (the default) means every core this process may run on (``os.sched_getaffinity``, else
  ``os.cpu_count()``); on a one-core machine that is the in-process path.
* The parent names the file and builds the item's payload; a worker gets the points (or a
  ``.bin``/JSON path to load) and the target path, serialises with
  :func:`~nucleus_convert.geometry.pointcloud.pointcloud_json_bytes` and writes the file. A
  ``.pcd``/``.ply`` path is loaded here first, so open3d (and its threads) stays out of the
  workers.
* At most ``2 * N`` files are in flight: submitting waits for the oldest, so memory does not
  grow with the dataset. Results are collected in submission order.
* Errors: the worker raises the very :class:`~nucleus_convert.errors.OutputError` the
  in-process path raises (``item 'x': ...``), re-raised here without the remote traceback; a
  worker that dies (killed, out of memory) is an ``OutputError`` naming the item whose result
  was awaited. When anything fails, in a worker or in the writer, the pool is shut down and
  its running jobs awaited before the error propagates, so no worker writes into the bundle's
  temporary folder after the caller removed it. When the writer fails while earlier clouds
  are in flight, those are awaited first and the earliest failure among them wins: the error
  is the one the in-process path would have raised.
* Where no process pool can be made (no working ``sem_open``, say), the files are written in
  this process.

The pool uses the platform's default start method (``fork`` on Linux up to Python 3.13:
workers start in milliseconds and inherit the loaded modules; ``forkserver`` or ``spawn``
elsewhere, which need the calling script's top level guarded by ``if __name__ ==
"__main__":`` as usual for multiprocessing).
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.execution.orphans import die_with_parent
from nucleus_convert.geometry.pointcloud import pointcloud_json_bytes
from nucleus_convert.model import PointCloudMedia

__all__ = ["PointCloudFiles", "available_cores", "parse_workers", "write_pointcloud_json_file"]

_IN_FLIGHT_PER_WORKER = 2
_OPEN3D_SUFFIXES = (".pcd", ".ply")
_DIED = (
    "a point cloud worker process died before writing its file (killed, or out of memory?); "
    "workers=1 writes in this process"
)

Source = npt.NDArray[np.float32] | str
"""What a job loads its points from: the points themselves, or a path for
:meth:`PointCloudMedia.load`."""


def parse_workers(value: Any) -> int:
    """The ``workers`` option: a whole number >= 0 (0 = every core, 1 = in-process)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    try:
        n = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a whole number >= 0, got {value!r}") from None
    if isinstance(value, float) and value != n:
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    if n < 0:
        raise ValueError(f"expected a whole number >= 0 (0: every core), got {value!r}")
    return n


parse_workers.__name__ = "whole number >= 0"  # as formats NAME shows the type


def available_cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return max(1, os.cpu_count() or 1)


def write_pointcloud_json_file(source: Source, target: str, where: str) -> None:
    """Load ``source``, serialise it as Nucleus point cloud JSON and write ``target``.

    Runs in this process or in a worker; either way a bad cloud is an ``OutputError`` that
    starts with ``where``.
    """
    media = (
        PointCloudMedia(path=source) if isinstance(source, str) else PointCloudMedia(points=source)
    )
    try:
        points = media.load()
    except InputError as exc:
        raise OutputError(f"{where}: {exc}") from None
    try:
        data = pointcloud_json_bytes(points)
    except OutputError as exc:
        raise OutputError(f"{where}: {exc}") from None
    Path(target).write_bytes(data)


class PointCloudFiles:
    """Writes point cloud JSON files, in this process or in a lazily started pool."""

    def __init__(self, workers: int) -> None:
        self.workers = available_cores() if workers == 0 else workers
        self.seen = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[Future[None], str]] = deque()

    def write(self, media: PointCloudMedia, target: Path, where: str) -> None:
        """Write ``media`` as JSON at ``target`` (now, or through the pool)."""
        self.seen += 1
        if self.workers <= 1 or self.seen == 1:
            source: Source | None = media.points
            write_pointcloud_json_file(
                source if source is not None else str(media.path), str(target), where
            )
            return
        if media.points is not None:
            source = media.points
        elif media.path is not None and Path(media.path).suffix.lower() in _OPEN3D_SUFFIXES:
            try:
                source = media.load()
            except InputError as exc:
                raise OutputError(f"{where}: {exc}") from None
        else:
            source = str(media.path)
        while len(self._pending) >= _IN_FLIGHT_PER_WORKER * self.workers:
            self._collect_oldest()
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    initializer=die_with_parent,
                    initargs=(os.getpid(),),
                )
            except (OSError, NotImplementedError, ImportError):
                # No process pool on this system (no working sem_open, say): stay in-process.
                self.workers = 1
                write_pointcloud_json_file(source, str(target), where)
                return
        try:
            future = self._pool.submit(write_pointcloud_json_file, source, str(target), where)
        except BrokenProcessPool:
            # A worker died since the last result: report the earliest failure, in order.
            while self._pending:
                self._collect_oldest()
            self._shutdown()
            raise OutputError(f"{where}: {_DIED}") from None
        self._pending.append((future, where))

    def finish(self) -> None:
        """Wait for every file in flight and shut the pool down."""
        while self._pending:
            self._collect_oldest()
        self._shutdown()

    def abort(self, *, await_results: bool = True) -> BaseException | None:
        """After an error elsewhere: the earliest failure among the files in flight (None when
        they all succeeded), with the pool shut down. ``await_results=False`` (an interrupt)
        cancels what has not started instead of awaiting it."""
        first: BaseException | None = None
        while self._pending:
            future, where = self._pending.popleft()
            if first is not None or not await_results:
                future.cancel()
                continue
            try:
                self._result(future, where)
            except Exception as exc:
                first = exc
        self._shutdown()
        return first

    def _collect_oldest(self) -> None:
        future, where = self._pending.popleft()
        try:
            self._result(future, where)
        except BaseException:
            self.abort(await_results=False)
            raise

    @staticmethod
    def _result(future: Future[None], where: str) -> None:
        try:
            future.result()
        except OutputError as exc:
            raise OutputError(str(exc)) from None  # without the worker's remote traceback
        except BrokenProcessPool:
            raise OutputError(f"{where}: {_DIED}") from None

    def _shutdown(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)
