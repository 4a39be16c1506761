"""``nucleus-convert formats [NAME]`` and ``plugins``: what is installed, and what one format
reads, writes and takes as options."""

from __future__ import annotations

from typing import Any

import click

from nucleus_convert.cli.common import cli, echo_json, print_table
from nucleus_convert.cli.help import describe_format, examples, option_lines, option_rows
from nucleus_convert.plugins import get_registry, list_plugins
from nucleus_convert.registry import Format

__all__ = ["formats", "plugins"]


@cli.command()
@click.argument("name", required=False, metavar="[NAME]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def formats(name: str | None, as_json: bool) -> None:
    """List the formats, what they read and write, and the plugin they come from; with NAME,
    that format's reader and writer options (type, default, help) and an example command."""
    if name is not None:
        fmt = get_registry().get(name)  # an unknown name lists the known ones
        if as_json:
            echo_json(describe_format(fmt))
        else:
            _print_format(fmt)
        return
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
        echo_json(rows)
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
    print_table(["format", "r/w", "kinds carried", "plugin"], table)
    click.echo("\nA format's options and an example: nucleus-convert formats NAME")


def _print_format(fmt: Format) -> None:
    """``formats NAME`` as text: what the format is, does and takes, as help sections."""
    formatter = click.HelpFormatter()
    formatter.write_text(f"{fmt.name}: {fmt.description}")
    formatter.write_paragraph()
    does = [w for w, on in (("reads", fmt.read), ("writes", fmt.write)) if on is not None]
    facts = [
        ("does", " and ".join(does) + (", detected from its files" if fmt.detect else "")),
        ("kinds", ", ".join(sorted(fmt.kinds)) or "none"),
        ("extensions", ", ".join(fmt.extensions) or "none (a folder)"),
        ("--workers", "in parts" if fmt.partitions is not None else "one process"),
        ("plugin", fmt.plugin),
    ]
    formatter.write_dl(facts)
    for on, title, options in (
        (fmt.read is not None, "reader options (-r KEY=VALUE)", fmt.read_options),
        (fmt.write is not None, "writer options (-w KEY=VALUE)", fmt.write_options),
    ):
        if on:
            with formatter.section(title):
                formatter.write_dl(option_lines(option_rows(options)) or [("(none)", "")])
    with formatter.section("example"):
        for line in examples(fmt):
            formatter.write_text(line)
    click.echo(formatter.getvalue().rstrip())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def plugins(as_json: bool) -> None:
    """List loaded plugins, their distribution and version, and the formats they registered."""
    infos = list_plugins()
    if as_json:
        echo_json(
            [
                {
                    "name": p.name,
                    "distribution": p.distribution,
                    "version": p.version,
                    "builtin": p.builtin,
                    "formats": p.formats,
                }
                for p in infos
            ]
        )
        return
    print_table(
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
