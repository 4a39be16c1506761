"""``nucleus-convert convert``: one source into one destination, with a progress bar, the
loss report on stderr (or in a file), and ``--json`` for scripts."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click
import orjson

from nucleus_convert import api
from nucleus_convert.cli.common import (
    PathOrUrl,
    cli,
    echo_json,
    read_option,
    write_option,
)
from nucleus_convert.cli.help import FormatHelpCommand
from nucleus_convert.cli.progress import progress_bar
from nucleus_convert.errors import DestinationError
from nucleus_convert.loss import LossReport
from nucleus_convert.plugins import get_registry

__all__ = ["convert", "result_summary"]


@cli.command(cls=FormatHelpCommand)
@click.argument("src", type=PathOrUrl())
@click.argument("dst", type=PathOrUrl())
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option(
    "--to", "to", metavar="FORMAT", default="nucleus", show_default=True, help="Target format."
)
@click.option("--overwrite", is_flag=True, help="Replace DST when it exists and is not empty.")
@read_option("Reader option (repeatable; see the list below, or formats NAME).")
@write_option("Writer option (repeatable; see the list below, or formats NAME).")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing but errors (no bar, summary or report)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON summary on stdout: counts, loss report, skipped records, timings.",
)
@click.option(
    "--on-error",
    type=click.Choice(["raise", "skip"]),
    default=None,
    help="On a malformed record: stop with an error (default) or skip it and list it in the "
    "loss report (formats with an on_error reader option).",
)
@click.option(
    "--polygons-as-boxes",
    is_flag=True,
    help="Write polygons as their bounding box where the target has no polygons (reported; "
    "same as -w polygons_as_boxes=true, for formats with that writer option).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Processes that write the items after the parse: 0 every core, default 1. The output "
    "is the same bytes for any N; a pair that cannot run in parts runs in one process (said "
    "once). Also sets the writer option workers where the format has one (nucleus: the point "
    "cloud pool, which defaults to 0).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS",
    help="Write the parts as Dask tasks: a scheduler address (tcp://host:8786) or local (a "
    "LocalCluster of --workers processes). Each task reads SRC again, so SRC and DST must be "
    "paths every Dask worker sees. Needs the [dask] extra.",
)
@click.option(
    "--map-labels",
    "map_labels",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Rename or drop labels: YAML or JSON (old: new; null drops) or a two-column CSV "
    "(old,new; an empty new drops). Several old names may share a new one; categories, "
    "skeletons and taxonomies follow; counted in the loss report.",
)
@click.option(
    "--keep-labels",
    "keep_labels",
    multiple=True,
    metavar="A,B,...",
    help="Keep only these labels (after --map-labels); the others are dropped and counted. "
    "Repeatable.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="PATH",
    help="Also write the loss report as JSON to PATH: one row per (kind, field) with kept, "
    "approximated, dropped, changed, not_uploadable and reason.",
)
def convert(
    src: Path | str,
    dst: Path | str,
    from_: str | None,
    to: str,
    overwrite: bool,
    read_options: dict[str, str],
    write_options: dict[str, str],
    progress: bool | None,
    quiet: bool,
    as_json: bool,
    on_error: str | None,
    polygons_as_boxes: bool,
    workers: int | None,
    dask_address: str | None,
    map_labels: Path | None,
    keep_labels: tuple[str, ...],
    report_path: Path | None,
) -> None:
    """Convert SRC into DST (written whole or not at all)."""
    write_options = _shortcut_write_options(to, write_options, polygons_as_boxes, workers)
    if on_error is not None:
        from_, read_options = _on_error_options(src, from_, read_options, on_error)
    if report_path is not None and not report_path.parent.is_dir():
        raise click.BadParameter(
            f"folder {report_path.parent} does not exist", param_hint="'--report'"
        )
    show = not quiet and (sys.stderr.isatty() if progress is None else progress)
    start = time.perf_counter()
    with progress_bar(show, "converting") as bar:
        result = api.convert(
            src,
            dst,
            from_=from_,
            to=to,
            overwrite=overwrite,
            read_options=read_options,
            write_options=write_options,
            on_progress=bar,
            workers=1 if workers is None else workers,
            dask=dask_address,
            map_labels=map_labels,
            keep_labels=_names(keep_labels),
        )
    elapsed = time.perf_counter() - start
    if report_path is not None:
        _write_report(report_path, result.report)
    if as_json:
        echo_json(result_summary(result, elapsed))
    elif not quiet:
        _print_outcome(result, elapsed)


def result_summary(result: api.WriteResult, seconds: float) -> dict[str, Any]:
    """What ``convert --json`` prints: where and what was written, the counts, the loss
    report's rows, the records skipped, and the time taken."""
    return {
        "path": str(result.path),
        "format": result.format,
        "counts": dict(result.summary.counts),
        "partitions": result.partitions,
        "note": result.note,
        "skipped": list(result.report.skipped),
        "report": result.report.to_json(),
        "timings": {"seconds": round(seconds, 6)},
    }


def _print_outcome(result: api.WriteResult, elapsed: float) -> None:
    """The note, the records skipped and the loss table on stderr; the summary on stdout."""
    if result.note is not None:
        click.echo(f"note: written in one process: {result.note}", err=True)
    if result.report.skipped:
        click.echo(f"skipped {len(result.report.skipped)} malformed records:", err=True)
        for message in result.report.skipped:
            click.echo(f"  {message}", err=True)
    if result.report.has_loss():
        click.echo("loss report (what the target could not carry):", err=True)
        click.echo(result.report.format_table(only_loss=True), err=True)
    click.echo(
        f"wrote {result.path} ({result.format}): {result.summary.describe()} in {elapsed:.2f} s"
    )


def _names(values: tuple[str, ...]) -> list[str] | None:
    """``--keep-labels`` values (each a comma-separated list) as one list, or None."""
    if not values:
        return None
    names = [n.strip() for value in values for n in value.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("names no label", param_hint="'--keep-labels'")
    return names


def _shortcut_write_options(
    to: str, write_options: dict[str, str], polygons_as_boxes: bool, workers: int | None
) -> dict[str, str]:
    """``--polygons-as-boxes`` and ``--workers`` as the writer options they stand for."""
    target = api.get_format(to)
    names = {o.name for o in target.write_options}
    if polygons_as_boxes:
        if "polygons_as_boxes" not in names:
            raise click.UsageError(f"format {target.name!r} has no --polygons-as-boxes")
        write_options = {**write_options, "polygons_as_boxes": "true"}
    if workers is not None and "workers" in names:
        write_options = {**write_options, "workers": str(workers)}
    return write_options


def _on_error_options(
    src: Path | str, from_: str | None, read_options: dict[str, str], on_error: str
) -> tuple[str, dict[str, str]]:
    """The source format (detected once here) and the read options with ``on_error``."""
    if from_ is None and isinstance(src, str):
        raise click.UsageError("--on-error with a URL source needs --from")
    fmt = api.get_format(from_) if from_ else get_registry().detect(Path(src))
    if not any(o.name == "on_error" for o in fmt.read_options):
        raise click.UsageError(f"format {fmt.name!r} has no --on-error; it always stops")
    return fmt.name, {**read_options, "on_error": on_error}


def _write_report(path: Path, report: LossReport) -> None:
    """Write the report's JSON rows to ``path`` whole (a temporary sibling, then a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_bytes(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DestinationError(f"{path}: cannot write the loss report: {exc.strerror}") from None
