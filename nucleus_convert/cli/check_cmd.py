"""``nucleus-convert inspect`` (read and count) and ``roundtrip`` (through another format and
back, and what was lost)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from nucleus_convert import api
from nucleus_convert.cli.common import (
    EXIT_LOSS,
    cli,
    echo_json,
    print_table,
    read_option,
    write_option,
)
from nucleus_convert.cli.help import FormatHelpCommand
from nucleus_convert.model import count_records
from nucleus_convert.plugins import get_registry
from nucleus_convert.registry import Format

__all__ = ["inspect", "roundtrip", "route_options"]


def route_options(
    raw: dict[str, str], formats: list[Format], *, for_write: bool
) -> dict[str, dict[str, str]]:
    """``-r``/``-w`` values of ``roundtrip`` by format name: ``KEY=VALUE`` goes to every
    format here that declares ``KEY``, ``FORMAT:KEY=VALUE`` to that format only. A key none
    of them declares is a usage error listing what each has."""
    role = "write" if for_write else "read"
    declared = {
        f.name: {o.name for o in (f.write_options if for_write else f.read_options)}
        for f in formats
    }
    out: dict[str, dict[str, str]] = {name: {} for name in declared}
    for key, value in raw.items():
        named, sep, option = key.rpartition(":")
        targets = [n for n in declared if (not sep or n == named) and option in declared[n]]
        if not targets:
            has = "; ".join(f"{n}: {', '.join(sorted(o)) or 'none'}" for n, o in declared.items())
            where = named if sep else " or ".join(declared)
            raise click.UsageError(f"no {role} option {option!r} in {where} (they have: {has})")
        for name in targets:
            out[name][option] = value
    return out


@cli.command(cls=FormatHelpCommand)
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--via", required=True, metavar="FORMAT", help="Format to go through and back.")
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@read_option(
    "Reader option for every read of the formats that have it, or of FORMAT only (repeatable).",
    metavar="[FORMAT:]KEY=VALUE",
)
@write_option(
    "Writer option for both legs' writers that have it, or FORMAT's only (repeatable).",
    metavar="[FORMAT:]KEY=VALUE",
)
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Absolute tolerance for geometry.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report, counts and timings as JSON."
)
@click.option("-v", "--verbose", is_flag=True, help="One row per compared field, not per kind.")
def roundtrip(
    src: Path,
    via: str,
    from_: str | None,
    read_options: dict[str, str],
    write_options: dict[str, str],
    tolerance: float,
    as_json: bool,
    verbose: bool,
) -> None:
    """Convert SRC through another format and back, and report what was lost.

    Exits with 1 when something both formats can carry was lost.
    """
    from nucleus_convert.roundtrip import roundtrip as run

    source = api.get_format(from_) if from_ else get_registry().detect(src)
    both = [source] if source.name == via else [source, api.get_format(via)]
    result = run(
        src,
        via,
        from_=source.name,
        tolerance=tolerance,
        read_options=route_options(read_options, both, for_write=False),
        write_options=route_options(write_options, both, for_write=True),
    )
    if as_json:
        echo_json(
            {
                "source_format": result.source_format,
                "via": result.via_format,
                "ok": result.ok,
                "carried_by_both": sorted(result.carried_by_both),
                "unexpected": [[e.kind, e.field] for e in result.unexpected],
                "counts": result.counts,
                "report": result.report.to_json(),
                "timings": result.timings,
            }
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
@read_option()
@click.option("--json", "as_json", is_flag=True, help="Print counts and timings as JSON.")
def inspect(src: Path, from_: str | None, read_options: dict[str, str], as_json: bool) -> None:
    """Read SRC completely (validating it) and count what it holds."""
    start = time.perf_counter()
    fmt = api.get_format(from_).name if from_ else get_registry().detect(src).name
    dataset = api.read(src, fmt, **read_options)
    counts = count_records(dataset)
    counts["categories"] = len(dataset.header.categories)
    summary: dict[str, Any] = {
        "format": fmt,
        "path": str(src),
        "counts": dict(sorted(counts.items())),
        "skipped": list(dataset.losses.skipped),
        "timings": {"seconds": round(time.perf_counter() - start, 6)},
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"{src} ({fmt}): valid" + (" but for the records skipped" if summary["skipped"] else "")
    )
    for message in summary["skipped"]:
        click.echo(f"skipped: {message}", err=True)
    print_table(["what", "count"], [[k, str(v)] for k, v in summary["counts"].items() if v])
