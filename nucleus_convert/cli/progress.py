"""The progress bar of ``convert``: rich's, on stderr, with total, rate and time left when the
reader knows how many items there are (:attr:`~nucleus_convert.model.Dataset.length`), a
count, rate and elapsed time when it does not."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["ProgressBar", "progress_bar"]

_REFRESH = 0.1
"""Seconds between two updates of the bar (the writer calls it once an item)."""


class _Rate(ProgressColumn):
    """Items a second, once rich has measured a speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} items/s", style="progress.data.speed")


class ProgressBar:
    """``bar(done, total)`` moves the bar (the :data:`~nucleus_convert.api.Progress` callback);
    updates closer than :data:`_REFRESH` seconds apart are folded into the next one."""

    def __init__(self, label: str, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            refresh_per_second=1 / _REFRESH,
        )
        self._task = self._progress.add_task(label, total=None)
        self._last = 0.0
        self._done = 0
        self._total: int | None = None

    def __call__(self, done: int, total: int | None) -> None:
        self._done, self._total = done, total
        now = time.monotonic()
        if now - self._last >= _REFRESH:
            self._last = now
            self._progress.update(self._task, completed=done, total=total)

    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        """Show the final count (the total, when known and reached) and leave the bar."""
        self._progress.update(self._task, completed=self._done, total=self._total)
        self._progress.stop()


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[ProgressBar | None]:
    """A bar on stderr for the ``with`` block when ``enabled``; ``None`` otherwise."""
    if not enabled:
        yield None
        return
    bar = ProgressBar(label, Console(file=sys.stderr, force_terminal=sys.stderr.isatty() or None))
    bar.start()
    try:
        yield bar
    finally:
        bar.stop()
