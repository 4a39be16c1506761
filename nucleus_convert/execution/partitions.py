"""Partitioned writing: the items cut into contiguous slices after the parse, each slice
written by a forked worker, the parts merged into exactly what one process writes.

Conventions:

* The reader parses once, in this process; ``fork`` gives every worker that parse without
  copying it (pages are shared until written). Worker ``k`` of ``n`` writes the items of
  ``dataset.partition(k, n)`` (see :class:`~nucleus_convert.model.Dataset`) into its own
  folder beside the destination, in the destination's private work folder, with the format's
  ``write_part``
  (:class:`~nucleus_convert.registry.PartitionedWrite`), and sends back the part's state, its
  losses and the categories the reader added while streaming it.
* The parent adds the parts' losses to the report and their categories to the header, in
  partition order (a report keeps the first reasons and examples, so the order is that of one
  process), and has the format merge the parts.
* Whenever one process could have done something else, the parent removes the destination
  folder, restores the report and header, and says so (:class:`Declined`): the caller then
  runs the writer in one process, which gives that process's output or error. That is the
  case when the merge declines (the parts interact), and when a worker other than the first
  fails (its error could depend on records of earlier parts). An error of the first worker
  is raised as it is: one process would have met it first (``write_part`` decides nothing
  that needs the whole stream: what is left for the end, the merge does).
* Workers die with this process (:func:`~nucleus_convert.execution.orphans.die_with_parent`);
  an interrupted parent kills them, and the destination's temporary folder goes with the
  usual clean-up.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from nucleus_convert.errors import OutputError
from nucleus_convert.execution.orphans import die_with_parent
from nucleus_convert.loss import LossEntry, LossReport
from nucleus_convert.model import Dataset, ItemStream
from nucleus_convert.registry import Format, WriteSummary

__all__ = [
    "Declined",
    "PartRunner",
    "Progress",
    "resolve_workers",
    "run_part",
    "why_not_partitioned",
    "write_partitioned",
]


@dataclass(frozen=True, slots=True)
class Declined:
    """The parts could not be merged as one process would have written them."""

    reason: str


def resolve_workers(workers: int) -> int:
    """``0`` means every core; otherwise at least 1."""
    if workers < 0:
        raise ValueError(f"workers must be 0 (every core) or more, got {workers}")
    return workers or os.cpu_count() or 1


def why_not_partitioned(dataset: Dataset, fmt: Format) -> str | None:
    """Why this dataset cannot be written in partitions by this format, or None when it can."""
    if fmt.partitions is None:
        return f"the {fmt.name} writer cannot run in partitions"
    if dataset.partition is None:
        return "the reader cannot cut its item stream into partitions"
    if dataset.scenes and not fmt.partitions.scenes:
        return f"the {fmt.name} writer cannot write scenes from parts"
    if isinstance(dataset.items, ItemStream) and dataset.items.started:
        return "the item stream was already started"
    return None


Progress = Callable[[int, int | None], None]
"""``on_progress(done, total)``: items written so far, and how many there are (``None``:
unknown); called as items are taken, from the process that writes or waits for the parts."""

PartRunner = Callable[[list[Path]], list[tuple[Any, ...]]]
"""Writes part ``k`` into ``part_dirs[k]`` for every ``k`` and gives each part's outcome, in
order: ``("ok", state, report, categories)``, ``("error", exception)`` or ``("died", why)``."""


def write_partitioned(
    dataset: Dataset,
    dst: Path,
    fmt: Format,
    options: Mapping[str, Any],
    report: LossReport,
    workers: int,
    runner: PartRunner | None = None,
    on_progress: Progress | None = None,
) -> WriteSummary | Declined:
    """Write ``dataset`` at ``dst`` (which must not exist) in ``workers`` parts, written by
    forked workers or by ``runner`` (the Dask runner of :mod:`.dask_parts`). ``on_progress``
    hears the forked workers' item counts while they run (a Dask run reports at the end)."""
    assert fmt.partitions is not None
    parts_root = dst.parent / f".{dst.name}.parts"  # beside dst, in the private work folder
    parts_root.mkdir()
    part_dirs = [parts_root / f"{k:05d}" for k in range(workers)]
    if runner is None:
        results = _run_workers(dataset, part_dirs, fmt, options, report, on_progress)
    else:
        results = runner(part_dirs)
        if on_progress is not None and dataset.length is not None:
            on_progress(dataset.length, dataset.length)
    for k, result in enumerate(results):
        if result[0] != "ok":
            _remove(parts_root, dst)
            if k == 0 and result[0] == "error":
                raise result[1]
            return Declined(f"partition {k} failed: one process decides what that means")
    sink = report.sink()
    saved = (_copy_entries(sink), list(sink.skipped), list(dataset.header.categories))
    known = {c.name for c in dataset.header.categories}
    for _, _, part_report, categories in results:
        sink.merge(part_report)
        for category in categories:
            if category.name not in known:
                known.add(category.name)
                dataset.header.categories.append(category)
    states = [result[1] for result in results]
    merge = fmt.partitions.merge
    summary = merge(states, part_dirs, dst, dataset.header, dataset.scenes, options, report)
    _remove(parts_root, None if summary is not None else dst)
    if summary is None:
        sink.entries, sink.skipped[:], dataset.header.categories[:] = saved
        return Declined("the parts interact (a name, id or metadata type in two of them)")
    return summary


def _remove(parts_root: Path, dst: Path | None) -> None:
    """Remove the part folders, and ``dst`` (file or folder) when given and there."""
    shutil.rmtree(parts_root, ignore_errors=True)
    if dst is not None and dst.is_dir():
        shutil.rmtree(dst)
    elif dst is not None and dst.exists():
        dst.unlink()


def _copy_entries(report: LossReport) -> dict[tuple[str, str], LossEntry]:
    return {
        key: LossEntry(e.kind, e.field, dict(e.counts), dict(e.reasons), list(e.examples))
        for key, e in report.entries.items()
    }


def _run_workers(
    dataset: Dataset,
    part_dirs: list[Path],
    fmt: Format,
    options: Mapping[str, Any],
    report: LossReport,
    on_progress: Progress | None = None,
) -> list[tuple[Any, ...]]:
    """Fork one worker per part; each answers once, in order: ``("ok", state, report,
    categories)``, ``("error", exception)`` or, when it died, ``("died", exit code)``. Each
    worker counts its items in its own slot of a shared array, polled for ``on_progress``."""
    context = multiprocessing.get_context("fork")
    started: list[tuple[Any, Connection]] = []
    n = len(part_dirs)
    counts = context.Array("q", n, lock=False)  # one writer per slot: no lock needed
    try:
        for k, part_dir in enumerate(part_dirs):
            receive, send = context.Pipe(duplex=False)
            args = (k, n, dataset, part_dir, fmt, options, report, send, os.getpid(), counts)
            process = context.Process(target=_worker, args=args, daemon=True)
            process.start()
            send.close()
            started.append((process, receive))
        results: list[tuple[Any, ...]] = []
        for process, receive in started:
            while on_progress is not None and not receive.poll(0.2):
                on_progress(sum(counts), dataset.length)
            try:
                results.append(receive.recv())
            except EOFError:
                process.join()
                results.append(("died", process.exitcode))
        if on_progress is not None:
            on_progress(sum(counts), dataset.length)
        return results
    finally:
        for process, receive in started:
            receive.close()
            if process.is_alive():
                process.kill()
            process.join()


def run_part(
    k: int,
    n: int,
    dataset: Dataset,
    part_dir: Path,
    fmt: Format,
    options: Mapping[str, Any],
    report: LossReport,
    tick: Callable[[], None] | None = None,
) -> tuple[Any, ...]:
    """In a worker holding its own copy of the parsed ``dataset`` (forked, or read again):
    write part ``k`` of ``n`` into ``part_dir`` and give its outcome (see :data:`PartRunner`).
    ``report`` is the worker's copy: the parse's losses in it are the parent's to count.
    ``tick`` is called as each item is taken."""
    try:
        assert fmt.partitions is not None and dataset.partition is not None
        sink = report.sink()
        sink.entries.clear()
        sink.skipped.clear()
        before = len(dataset.header.categories)
        from nucleus_convert.api import checked_items  # the api imports this module

        scenes = dataset.scenes if fmt.partitions.scenes else []
        with checked_items() as check:
            items = check(dataset.partition(k, n), tick)
            part = Dataset(dataset.header, items, scenes, dataset.losses)
            state = fmt.partitions.write_part(part, part_dir, options, sink)
        return ("ok", state, sink, dataset.header.categories[before:])
    except BaseException as exc:
        return ("error", exc)


def _worker(
    k: int,
    n: int,
    dataset: Dataset,
    part_dir: Path,
    fmt: Format,
    options: Mapping[str, Any],
    report: LossReport,
    send: Connection,
    parent: int,
    counts: Any,
) -> None:  # pragma: no cover - runs in the forked worker (its outcomes are tested)
    """Write part ``k`` of ``n`` and send its outcome (see :func:`_run_workers`); count the
    items taken in ``counts[k]``."""
    die_with_parent(parent)

    def tick() -> None:
        counts[k] += 1

    outcome = run_part(k, n, dataset, part_dir, fmt, options, report, tick)
    try:
        send.send(outcome)
    except Exception as exc:  # an unpicklable error or state
        send.send(("error", OutputError(f"partition {k}: {type(exc).__name__}: {exc}")))
    finally:
        send.close()
        os._exit(0)
