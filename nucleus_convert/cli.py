"""The ``nucleus-convert`` command line.

Errors that are about the input, the destination, a format or a plugin print one clear message
on stderr and exit with status 2, without a traceback. ``roundtrip`` exits with 1 when it lost
something both formats can carry.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click
import orjson

from nucleus_convert import api
from nucleus_convert._version import __version__
from nucleus_convert.errors import DestinationError, NucleusConvertError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Item, count_records
from nucleus_convert.plugins import get_registry, list_plugins
from nucleus_convert.remote import is_url, local_path

__all__ = ["cli", "main"]

EXIT_USAGE = 2
EXIT_LOSS = 1


def _parse_kv(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", ctx=ctx, param=param)
        out[key.strip()] = val
    return out


class _PathOrUrl(click.ParamType):  # type: ignore[type-arg]
    """A local path, or a URL (``s3://...``, ``memory://...``) kept as text
    (:mod:`nucleus_convert.remote`)."""

    name = "path"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        text = str(value)
        return text if is_url(text) else local_path(text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nucleus-convert")
def cli() -> None:
    """Convert labelled datasets to and from Scale Nucleus payloads."""


class _Progress:
    """A live item counter on stderr, refreshed at most five times a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0
        self._last = 0.0

    def __call__(self, _item: Item) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._last >= 0.2:
            self._last = now
            sys.stderr.write(f"\r{self.label}: {self.count} items")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write(f"\r{self.label}: {self.count} items\n")
        sys.stderr.flush()


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[Item], None] | None]:
    if not enabled:
        yield None
        return
    bar = _Progress(label)
    try:
        yield bar
    finally:
        bar.close()


@cli.command()
@click.argument("src", type=_PathOrUrl())
@click.argument("dst", type=_PathOrUrl())
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option(
    "--to", "to", metavar="FORMAT", default="nucleus", show_default=True, help="Target format."
)
@click.option("--overwrite", is_flag=True, help="Replace DST when it exists and is not empty.")
@click.option(
    "-r",
    "--read-option",
    "read_options",
    multiple=True,
    callback=_parse_kv,
    metavar="KEY=VALUE",
    help="Reader option (repeatable).",
)
@click.option(
    "-w",
    "--write-option",
    "write_options",
    multiple=True,
    callback=_parse_kv,
    metavar="KEY=VALUE",
    help="Writer option (repeatable).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
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
    on_error: str | None,
    polygons_as_boxes: bool,
    workers: int | None,
    dask_address: str | None,
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
    show = sys.stderr.isatty() if progress is None else progress
    start = time.perf_counter()
    with _progress(show, "converting") as tick:
        result = api.convert(
            src,
            dst,
            from_=from_,
            to=to,
            overwrite=overwrite,
            read_options=read_options,
            write_options=write_options,
            on_item=tick,
            workers=1 if workers is None else workers,
            dask=dask_address,
        )
    elapsed = time.perf_counter() - start
    if result.note is not None:
        click.echo(f"note: written in one process: {result.note}", err=True)
    if report_path is not None:
        _write_report(report_path, result.report)
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def formats(as_json: bool) -> None:
    """List the formats, what they read and write, and the plugin they come from."""
    rows: list[dict[str, Any]] = [
        {
            "name": f.name,
            "read": f.read is not None,
            "write": f.write is not None,
            "kinds": sorted(f.kinds),
            "plugin": f.plugin,
            "description": f.description,
        }
        for f in get_registry()
    ]
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = [
        [
            r["name"],
            ("r" if r["read"] else "-") + ("w" if r["write"] else "-"),
            ", ".join(r["kinds"]),
            r["plugin"],
        ]
        for r in rows
    ]
    _print_table(["format", "r/w", "kinds carried", "plugin"], table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def plugins(as_json: bool) -> None:
    """List loaded plugins, their distribution and version, and the formats they registered."""
    infos = list_plugins()
    if as_json:
        click.echo(
            orjson.dumps(
                [
                    {
                        "name": p.name,
                        "distribution": p.distribution,
                        "version": p.version,
                        "builtin": p.builtin,
                        "formats": p.formats,
                    }
                    for p in infos
                ],
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
        return
    _print_table(
        ["plugin", "distribution", "version", "formats"],
        [
            [
                p.name + (" (built-in)" if p.builtin else ""),
                p.distribution,
                p.version,
                ", ".join(p.formats),
            ]
            for p in infos
        ],
    )


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--via", required=True, metavar="FORMAT", help="Format to go through and back.")
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Absolute tolerance for geometry.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="One row per compared field, not per kind.")
def roundtrip(
    src: Path, via: str, from_: str | None, tolerance: float, as_json: bool, verbose: bool
) -> None:
    """Convert SRC through another format and back, and report what was lost.

    Exits with 1 when something both formats can carry was lost.
    """
    from nucleus_convert.roundtrip import roundtrip as run

    result = run(src, via, from_=from_, tolerance=tolerance)
    if as_json:
        click.echo(
            orjson.dumps(
                {
                    "source_format": result.source_format,
                    "via": result.via_format,
                    "ok": result.ok,
                    "carried_by_both": sorted(result.carried_by_both),
                    "unexpected": [[e.kind, e.field] for e in result.unexpected],
                    "report": result.report.to_json(),
                },
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
    else:
        click.echo(
            f"{src} ({result.source_format}) -> {result.via_format} -> {result.source_format}"
        )
        click.echo(result.report.format_table(all_fields=verbose))
        if result.ok:
            click.echo("round trip OK: nothing lost that both formats can carry")
        else:
            lost = ", ".join(f"{e.kind}.{e.field}" for e in result.unexpected)
            click.echo(f"round trip LOST data both formats can carry: {lost}")
    if not result.ok:
        sys.exit(EXIT_LOSS)


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option(
    "-r",
    "--read-option",
    "read_options",
    multiple=True,
    callback=_parse_kv,
    metavar="KEY=VALUE",
    help="Reader option (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def inspect(src: Path, from_: str | None, read_options: dict[str, str], as_json: bool) -> None:
    """Read SRC completely (validating it) and count what it holds."""
    fmt = api.get_format(from_).name if from_ else get_registry().detect(src).name
    dataset = api.read(src, fmt, **read_options)
    counts = count_records(dataset)
    counts["categories"] = len(dataset.header.categories)
    summary: dict[str, Any] = {
        "format": fmt,
        "path": str(src),
        "counts": dict(sorted(counts.items())),
    }
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{src} ({fmt}): valid")
    _print_table(["what", "count"], [[k, str(v)] for k, v in summary["counts"].items() if v])


def _print_table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so that every clean-up runs (the temporary
    output is removed) before the process exits with 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: FrameType | None) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning our errors into one line and exit status 2.

    SIGTERM and SIGHUP become :class:`Terminated` and SIGINT ``KeyboardInterrupt``, so an
    interrupted conversion removes its temporary output before exiting (143, 129, 130).
    """
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            signal.signal(sig, _terminate)
    try:
        rc = cli.main(args=argv, prog_name="nucleus-convert", standalone_mode=False)
    except Terminated as exc:
        click.echo(f"terminated by {signal.Signals(exc.signum).name}", err=True)
        sys.exit(128 + exc.signum)
    except NucleusConvertError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(rc, int) and rc:
        sys.exit(rc)


if __name__ == "__main__":
    main()
