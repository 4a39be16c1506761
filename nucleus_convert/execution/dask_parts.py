"""The partitions of :mod:`.partitions` run as Dask tasks, on a distributed cluster or on a
``LocalCluster`` of processes (the ``[dask]`` extra: ``dask.distributed``).

Conventions:

* Task ``k`` reads the source again where it runs (a Dask worker shares no memory with this
  process), writes part ``k`` into the part folder under the destination's temporary folder,
  and returns the part's outcome; the merge is the same as for forked workers, so the output is
  byte-identical to one process. Source and destination must therefore be paths every worker
  sees (a local cluster, or a shared file system).
* A task's failure is returned, not raised, so Dask does not retry a bad record; a task whose
  worker dies is retried by Dask on another worker (it first empties its part folder), so a
  killed worker costs time, not bytes.
* ``dask`` is a ``distributed.Client``, a scheduler address (``tcp://host:8786``), or
  ``"local"``: a ``LocalCluster`` of ``workers`` single-threaded processes, closed afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.errors import FormatError
from nucleus_convert.execution.partitions import PartRunner, run_part
from nucleus_convert.transforms.labels import LabelMap, relabel

__all__ = ["dask_client", "dask_runner", "part_count"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise FormatError(
            "--dask needs dask.distributed: pip install 'nucleus-convert[dask]'"
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(dask: Any, workers: int) -> Iterator[Any]:
    """A client for ``dask`` (see the module docstring); one made here is closed after."""
    distributed = _distributed()
    if isinstance(dask, distributed.Client):
        yield dask
        return
    if dask == "local":
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    if not isinstance(dask, str) or "://" not in dask:
        raise FormatError(
            f"--dask takes a scheduler address (tcp://host:port) or local, got {dask!r}"
        )
    with distributed.Client(dask) as client:
        yield client


def part_count(client: Any) -> int:
    """One part per worker thread of the cluster."""
    threads = sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values())
    return max(1, threads)


def _task(
    src: str,
    from_: str,
    read_options: Mapping[str, Any],
    to: str,
    options: Mapping[str, Any],
    k: int,
    n: int,
    part_dir: str,
    labels: LabelMap | None = None,
) -> tuple[Any, ...]:  # pragma: no cover - runs on a Dask worker (its outcomes are tested)
    """Read the source (and map its labels), write part ``k`` of ``n``; the outcome as
    :data:`PartRunner` says."""
    from nucleus_convert.api import get_format, read

    folder = Path(part_dir)
    if folder.exists():  # a retry after this task's first worker died
        shutil.rmtree(folder)
    try:
        dataset = read(src, from_, **read_options)
        if labels is not None:
            dataset = relabel(dataset, labels)
    except BaseException as exc:
        return ("error", exc)
    fmt = get_format(to)
    return run_part(k, n, dataset, folder, fmt, options, dataset.losses)


def dask_runner(
    client: Any,
    src: str,
    from_: str,
    read_options: Mapping[str, Any],
    to: str,
    options: Mapping[str, Any],
    labels: LabelMap | None = None,
) -> PartRunner:
    """The :data:`PartRunner` that writes each part as a Dask task on ``client`` (each task
    applying ``labels`` to what it reads, as the caller did)."""

    def run(part_dirs: list[Path]) -> list[tuple[Any, ...]]:
        n = len(part_dirs)
        token = uuid.uuid4().hex
        futures = [
            client.submit(
                _task,
                src,
                from_,
                dict(read_options),
                to,
                dict(options),
                k,
                n,
                str(part_dir),
                labels,
                key=f"nucleus-convert-part-{k}-{token}",
                pure=False,
            )
            for k, part_dir in enumerate(part_dirs)
        ]
        results: list[tuple[Any, ...]] = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # the task could not run (its workers kept dying...)
                results.append(("died", f"{type(exc).__name__}: {exc}"))
        return results

    return run
