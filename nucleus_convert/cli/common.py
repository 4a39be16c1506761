"""What every command shares: the ``click`` group, ``KEY=VALUE`` options, path-or-URL
arguments, tables and JSON on stdout, exit statuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import orjson

from nucleus_convert._version import __version__
from nucleus_convert.remote import is_url, local_path

__all__ = [
    "EXIT_LOSS",
    "EXIT_USAGE",
    "PathOrUrl",
    "cli",
    "echo_json",
    "parse_kv",
    "print_table",
    "read_option",
    "write_option",
]

EXIT_USAGE = 2
EXIT_LOSS = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nucleus-convert")
def cli() -> None:
    """Convert labelled datasets to and from Scale Nucleus payloads."""


def parse_kv(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` options (repeatable) as a dict; the last value of a key wins."""
    out: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", ctx=ctx, param=param)
        out[key.strip()] = val
    return out


def read_option(
    help: str = "Reader option (repeatable).", metavar: str = "KEY=VALUE"
) -> Callable[[Any], Any]:
    """``-r/--read-option KEY=VALUE`` (repeatable), given to the command as ``read_options``."""
    return _kv_option("-r", "--read-option", "read_options", help, metavar)


def write_option(
    help: str = "Writer option (repeatable).", metavar: str = "KEY=VALUE"
) -> Callable[[Any], Any]:
    """``-w/--write-option KEY=VALUE`` (repeatable), given to the command as
    ``write_options``."""
    return _kv_option("-w", "--write-option", "write_options", help, metavar)


def _kv_option(short: str, long: str, dest: str, help: str, metavar: str) -> Callable[[Any], Any]:
    return click.option(
        short, long, dest, multiple=True, callback=parse_kv, metavar=metavar, help=help
    )


class PathOrUrl(click.ParamType):  # type: ignore[type-arg]
    """A local path, or a URL (``s3://...``, ``memory://...``) kept as text
    (:mod:`nucleus_convert.remote`)."""

    name = "path"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        text = str(value)
        return text if is_url(text) else local_path(text)


def print_table(head: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, trailing spaces trimmed."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def echo_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (one document: what ``--json`` prints)."""
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
