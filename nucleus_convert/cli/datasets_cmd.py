"""``nucleus-convert split`` and ``merge``: one dataset into several, several into one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nucleus_convert.cli.common import (
    PathOrUrl,
    cli,
    echo_json,
    read_option,
    write_option,
)
from nucleus_convert.transforms.merge import merge as run_merge
from nucleus_convert.transforms.split import split as run_split

__all__ = ["merge", "split"]


@cli.command()
@click.argument("src", type=PathOrUrl())
@click.argument("dst", type=PathOrUrl())
@click.option(
    "--ratios",
    required=True,
    metavar="NAME=SHARE,...",
    help="Splits and their shares of the items, adding up to 1: train=0.8,val=0.2.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the shuffle.")
@click.option(
    "--by",
    default="item",
    show_default=True,
    metavar="item|scene|metadata.KEY",
    help="What moves as one: an item, or items sharing a metadata value. A scene's items "
    "always stay together.",
)
@click.option("--stratify", is_flag=True, help="Balance each label across the splits.")
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option("--to", metavar="FORMAT", help="Format of the splits (default: the source's).")
@click.option("--overwrite", is_flag=True, help="Replace DST when it exists and is not empty.")
@read_option()
@write_option()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def split(
    src: Path | str,
    dst: Path | str,
    ratios: str,
    seed: int,
    by: str,
    stratify: bool,
    from_: str | None,
    to: str | None,
    overwrite: bool,
    read_options: dict[str, str],
    write_options: dict[str, str],
    as_json: bool,
) -> None:
    """Split SRC into DST/<name> for each split (deterministic for a seed; scenes are never
    cut in two)."""
    result = run_split(
        src, dst, ratios, seed=seed, by=by, stratify=stratify, from_=from_, to=to,
        overwrite=overwrite, read_options=read_options, write_options=write_options,
    )  # fmt: skip
    summary: dict[str, Any] = {
        "path": str(result.path),
        "format": result.format,
        "splits": {
            name: {
                "path": str(r.path),
                "items": result.counts[name],
                "counts": dict(r.summary.counts),
                "report": r.report.to_json(),
            }
            for name, r in result.splits.items()
        },
        "skipped": list(result.losses.skipped),
    }
    if as_json:
        echo_json(summary)
        return
    for name, r in result.splits.items():
        click.echo(f"{name}: {result.counts[name]} items -> {r.path} ({r.summary.describe()})")


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=PathOrUrl(), metavar="SRC... DST")
@click.option("--from", "from_", metavar="FORMAT", help="Format of every source (default: each "
              "detected).")  # fmt: skip
@click.option("--to", metavar="FORMAT", help="Format of DST (default: the first source's).")
@click.option(
    "--on-clash",
    type=click.Choice(["error", "rename"]),
    default="error",
    show_default=True,
    help="An item or scene id already used by an earlier source: refuse, or rename it "
    "<id>~<n> (counted in the loss report).",
)
@click.option("--overwrite", is_flag=True, help="Replace DST when it exists and is not empty.")
@read_option()
@write_option()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def merge(
    sources: tuple[Path | str, ...],
    from_: str | None,
    to: str | None,
    on_clash: str,
    overwrite: bool,
    read_options: dict[str, str],
    write_options: dict[str, str],
    as_json: bool,
) -> None:
    """Merge two or more SRC datasets into DST: categories by name, ids refused or renamed."""
    if len(sources) < 3:
        raise click.UsageError("merge takes two or more sources and a destination")
    *srcs, dst = sources
    result = run_merge(
        srcs, dst, from_=from_, to=to, on_clash=on_clash, overwrite=overwrite,
        read_options=read_options, write_options=write_options,
    )  # fmt: skip
    if as_json:
        echo_json(
            {
                "path": str(result.path),
                "format": result.format,
                "counts": dict(result.summary.counts),
                "skipped": list(result.report.skipped),
                "report": result.report.to_json(),
            }
        )
        return
    if result.report.has_loss():
        click.echo("loss report (what was reconciled or could not be carried):", err=True)
        click.echo(result.report.format_table(only_loss=True), err=True)
    click.echo(f"wrote {result.path} ({result.format}): {result.summary.describe()}")
