"""The Python API: ``read``, ``write`` and ``convert``, the same verbs as the CLI.

Writing is all-or-nothing: the writer works in a temporary sibling of the destination, which
is renamed into place only when everything was written; on any error the partial output is
removed and the destination is as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nucleus_convert.errors import FormatError, NucleusConvertError, OutputError, PluginError
from nucleus_convert.execution.dask_parts import dask_client, dask_runner, part_count
from nucleus_convert.execution.partitions import (
    Declined,
    PartRunner,
    Progress,
    resolve_workers,
    why_not_partitioned,
    write_partitioned,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Item, ItemStream
from nucleus_convert.plugins import get_registry
from nucleus_convert.registry import Format, WriteSummary
from nucleus_convert.remote import (
    is_url,
    local_path,
    published,
    rebased,
    staged,
    staged_for_process,
)
from nucleus_convert.toolkit.destination import atomic_destination
from nucleus_convert.toolkit.files import gc_paused
from nucleus_convert.transforms import LabelMap, load_label_map, relabel

__all__ = ["WriteResult", "convert", "get_format", "read", "write"]


@dataclass(slots=True)
class WriteResult:
    """What a write produced and what it could not carry."""

    path: Path | str
    """Where the output went: a local path, or the URL it was uploaded to."""
    format: str
    summary: WriteSummary
    report: LossReport
    partitions: int = 1
    """How many worker processes wrote the items (1: this process)."""
    note: str | None = None
    """Why the write ran in one process though more were asked for."""


def get_format(name: str) -> Format:
    """The registered format called ``name``."""
    return get_registry().get(name)


def _reader_for(src: Path, fmt: str | None) -> Format:
    registry = get_registry()
    if fmt is None:
        return registry.detect(src)
    f = registry.get(fmt)
    if f.read is None:
        raise FormatError(f"format {f.name!r} cannot be read (plugin {f.plugin!r} gives no reader)")
    if not src.exists():
        raise FormatError(f"{src}: no such file or directory")
    return f


def read(src: str | Path, fmt: str | None = None, **options: Any) -> Dataset:
    """Read ``src`` in format ``fmt`` (detected when ``None``) into a streaming Dataset; a URL
    (``s3://...``) is read from a local copy kept until the process exits
    (:mod:`nucleus_convert.remote`)."""
    if is_url(src):
        return read_url(src, staged_for_process(src), fmt, **options)
    path = local_path(src)
    f = _reader_for(path, fmt)
    assert f.read is not None
    parsed = f.parse_options(options, for_write=False)
    with _blame(f, "reader"):
        return f.read(path, parsed)


def read_url(url: str, copy: Path, fmt: str | None = None, **options: Any) -> Dataset:
    """Read ``copy``, the local copy of ``url``, stating its paths as URLs
    (:func:`nucleus_convert.remote.rebased`)."""
    return rebased(read(copy, fmt, **options), copy, url)


def label_map(
    map_labels: Mapping[str, str | None] | str | Path | None, keep_labels: Iterable[str] | None
) -> LabelMap | None:
    """The :class:`~nucleus_convert.transforms.LabelMap` of ``convert``'s two arguments (a
    map file is read here), or None when both are None."""
    if map_labels is None and keep_labels is None:
        return None
    if isinstance(map_labels, str | Path):
        map_labels = load_label_map(map_labels)
    if isinstance(keep_labels, str):
        raise TypeError("keep_labels is a list of names, not one string")
    return LabelMap.of(map_labels, keep_labels)


@contextmanager
def _blame(f: Format, role: str) -> Iterator[None]:
    """Name the third-party plugin whose reader or writer failed with an unexpected error.

    Built-in formats are not wrapped: an unexpected error there is our bug and keeps its
    traceback.
    """
    try:
        yield
    except NucleusConvertError:
        raise
    except Exception as exc:
        if f.plugin.startswith("nucleus_convert."):
            raise
        raise PluginError(
            f"plugin {f.plugin!r}: the {role} of format {f.name!r} failed with "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def write(
    dataset: Dataset,
    dst: str | Path,
    fmt: str = "nucleus",
    *,
    overwrite: bool = False,
    report: LossReport | None = None,
    on_item: Callable[[Item], None] | None = None,
    partitions: int = 1,
    on_progress: Progress | None = None,
    _runner: PartRunner | None = None,
    **options: Any,
) -> WriteResult:
    """Write ``dataset`` to ``dst`` (a path, or a URL: :mod:`nucleus_convert.remote`) in
    format ``fmt``; nothing is left behind on error.

    ``partitions`` above 1 writes the items in that many forked worker processes, merged into
    the same bytes one process writes (:mod:`nucleus_convert.execution.partitions`), where the
    reader and the writer can cut their work; otherwise, and when the parts turn out to
    interact, it runs in one process and says why in :attr:`WriteResult.note`. ``on_item`` is
    not called for items written by workers; ``on_progress(done, total)`` hears how many
    items were taken so far either way (``total``: :attr:`Dataset.length`)."""
    f = get_registry().get(fmt)
    if f.write is None:
        raise FormatError(
            f"format {f.name!r} cannot be written (plugin {f.plugin!r} gives no writer)"
        )
    parsed = f.parse_options(options, for_write=True)
    if is_url(dst):
        with published(str(dst), overwrite=overwrite) as local:
            result = write(
                dataset, local, fmt, report=report, on_item=on_item, partitions=partitions,
                on_progress=on_progress, _runner=_runner, **options,
            )  # fmt: skip
        return replace(result, path=str(dst))
    dst = local_path(dst)
    if isinstance(dataset.items, ItemStream):
        dataset.items.check_unread()  # before anything is created
    # The reader's own losses (records skipped under on_error=skip) belong in the report, and a
    # streaming reader adds to them while the writer runs: one report object for both, so what
    # the writer puts in its output (a bundle's manifest) is exactly what the caller gets back.
    if report is None:
        report = dataset.losses
    else:
        dataset.losses.forward_to(report)
    source = dataset
    current = _Current()
    hook = _with_progress(on_item, on_progress, dataset.length)
    dataset = Dataset(
        dataset.header, _tap(dataset.items, hook, current), dataset.scenes, dataset.losses
    )
    note = None if partitions <= 1 else why_not_partitioned(source, f)
    with (
        atomic_destination(dst, overwrite=overwrite) as target,
        gc_paused(),
        _blame(f, "writer"),
        _unencodable(current),
    ):
        outcome: WriteSummary | Declined | None = None
        if partitions > 1 and note is None:
            outcome = write_partitioned(
                source, target, f, parsed, report, partitions, _runner, on_progress
            )
            if isinstance(outcome, Declined):
                note = outcome.reason
        summary = outcome if isinstance(outcome, WriteSummary) else None
        if summary is None:
            summary = f.write(dataset, target, parsed, report)
    used = partitions if partitions > 1 and note is None else 1
    return WriteResult(dst, f.name, summary, report, partitions=used, note=note)


def _with_progress(
    on_item: Callable[[Item], None] | None, on_progress: Progress | None, total: int | None
) -> Callable[[Item], None] | None:
    """One per-item hook calling ``on_item`` and ``on_progress`` (with the running count)."""
    if on_progress is None:
        return on_item
    done = 0

    def hook(item: Item) -> None:
        nonlocal done
        done += 1
        if on_item is not None:
            on_item(item)
        on_progress(done, total)

    return hook


@contextmanager
def checked_items() -> Iterator[
    Callable[[Iterator[Item], Callable[[], None] | None], Iterator[Item]]
]:
    """The checks :func:`write` applies to every item a writer takes (names no output can
    encode), for a writer that runs elsewhere (a partition's worker): wrap its items with the
    function given (and a function to call as each is taken, or None), and run the writer
    inside the ``with``."""
    current = _Current()
    with _unencodable(current):

        def check(items: Iterator[Item], tick: Callable[[], None] | None) -> Iterator[Item]:
            hook = None if tick is None else (lambda _item: tick())
            return _tap(items, hook, current)

        yield check


class _Current:
    """The reference id of the item a writer took last (None before the first and after the
    last)."""

    __slots__ = ("done", "reference_id")

    def __init__(self) -> None:
        self.reference_id: str | None = None
        self.done = False


def _tap(
    items: Iterator[Item], on_item: Callable[[Item], None] | None, current: _Current
) -> Iterator[Item]:
    """``items``, each checked for names no output can encode and handed to ``on_item`` as
    the writer takes it."""
    for item in items:
        current.reference_id = item.reference_id
        field = _unencodable_field(item)
        if field is not None:
            raise OutputError(f"item {item.reference_id!r}, field {field}: {_UNENCODABLE}")
        if on_item is not None:
            on_item(item)
        yield item
    current.reference_id = None
    current.done = True


_UNENCODABLE = (
    "holds text that is not valid Unicode and cannot be written (a lone surrogate, as Python "
    "gives for a file name whose bytes are not UTF-8)"
)


def _surrogate(text: str) -> bool:
    return not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text)


def _unencodable_field(item: Item) -> str | None:
    """The first of the item's names (reference id, media path, annotation labels) that holds
    a lone surrogate, or None. Names are where file names with undecodable bytes end up; other
    text no output can encode is caught when the writer meets it (:func:`_unencodable`)."""
    if _surrogate(item.reference_id):
        return "reference_id"
    path = getattr(item.media, "path", None)
    if isinstance(path, str) and _surrogate(path):
        return "media.path"
    for ann in item.annotations:
        if _surrogate(ann.label):
            return f"annotation {ann.id or ann.label!r} label"
    return None


@contextmanager
def _unencodable(current: _Current) -> Iterator[None]:
    """Turn text no output can encode into the project's error, naming the item being written.

    Python strings may hold lone surrogates (``os.listdir`` gives them for a file name whose
    bytes are not UTF-8, and any caller can build one); UTF-8 files and JSON cannot hold them.
    """
    try:
        yield
    except (UnicodeEncodeError, TypeError) as exc:
        if not isinstance(exc, UnicodeEncodeError) and "surrogates" not in str(exc):
            raise
        if current.reference_id is not None:
            where = f"item {current.reference_id!r}"
        elif current.done:
            where = "the dataset (header, scenes or files written after the items)"
        else:
            where = "the dataset header"
        raise OutputError(f"{where}: {_UNENCODABLE}") from None


def convert(
    src: str | Path,
    dst: str | Path,
    *,
    from_: str | None = None,
    to: str = "nucleus",
    overwrite: bool = False,
    read_options: Mapping[str, Any] | None = None,
    write_options: Mapping[str, Any] | None = None,
    on_item: Callable[[Item], None] | None = None,
    on_progress: Progress | None = None,
    workers: int = 1,
    dask: Any = None,
    map_labels: Mapping[str, str | None] | str | Path | None = None,
    keep_labels: Iterable[str] | None = None,
) -> WriteResult:
    """Read ``src`` (format ``from_`` or detected) and write it to ``dst`` as ``to``.

    ``map_labels`` (old name to new name or ``None`` to drop, or a YAML, JSON or CSV file of
    that: :mod:`nucleus_convert.transforms.label_files`) and ``keep_labels`` (names kept after
    the map) change labels on the way (:mod:`nucleus_convert.transforms.labels`).

    ``workers`` (0: every core) above 1 writes the items in that many processes after the
    parse, with the same output (see :func:`write`, ``partitions``). ``dask`` (a
    ``distributed.Client``, a scheduler address, or ``"local"`` for a ``LocalCluster`` of
    ``workers`` processes) writes one part per Dask worker thread instead, each task reading
    the source again (:mod:`nucleus_convert.execution.dask_parts`)."""
    partitions = resolve_workers(workers)
    read_options, write_options = read_options or {}, write_options or {}
    labels = label_map(map_labels, keep_labels)
    with ExitStack() as stack:
        url = src if is_url(src) else None
        local = stack.enter_context(staged(url)) if url else local_path(src)
        runner = None
        if dask is not None:
            from_ = _reader_for(local, from_).name  # the tasks read the same format
            tasks_read = url or str(local.resolve())
            client = stack.enter_context(dask_client(dask, partitions))
            parsed = get_format(to).parse_options(write_options, for_write=True)
            runner = dask_runner(client, tasks_read, from_, read_options, to, parsed, labels)
            partitions = part_count(client)
        # One pause for both legs, and the dataset gone before the collector is back:
        # otherwise its first pass after the read walks every object the read built (0.24 s
        # under cProfile on 37,000 COCO annotations).
        with gc_paused():
            if url is None:
                dataset = read(local, from_, **read_options)
            else:
                dataset = read_url(url, local, from_, **read_options)
            if labels is not None:
                dataset = relabel(dataset, labels)
            try:
                return write(
                    dataset,
                    dst,
                    to,
                    overwrite=overwrite,
                    on_item=on_item,
                    partitions=partitions,
                    on_progress=on_progress,
                    _runner=runner,
                    **write_options,
                )
            finally:
                del dataset
