"""Help where people look: a format's reader and writer options with type, default and help
(``formats NAME``, and the bottom of ``convert --help --from A --to B``), and an example
command per format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from nucleus_convert.errors import NucleusConvertError
from nucleus_convert.options import flag
from nucleus_convert.plugins import get_registry
from nucleus_convert.registry import Format, Option

__all__ = ["FormatHelpCommand", "describe_format", "examples", "option_rows", "type_name"]

_BUILTIN_TYPES: dict[Any, str] = {str: "text", int: "integer", float: "number", flag: "true/false"}


def type_name(parse: Any) -> str:
    """What an option's parser accepts, in words: ``text``, ``integer``, ``true/false``, ``one
    of a|b``, or the name the parser was given (``__name__``)."""
    return _BUILTIN_TYPES.get(parse) or str(getattr(parse, "__name__", "text"))


def option_rows(options: Sequence[Option]) -> list[dict[str, Any]]:
    """One row per option, sorted by name: ``name``, ``type``, ``default``, ``help``."""
    return [
        {"name": o.name, "type": type_name(o.type), "default": o.default, "help": o.help}
        for o in sorted(options, key=lambda o: o.name)
    ]


def examples(fmt: Format) -> list[str]:
    """Example commands: from this format to Nucleus, and from a Nucleus bundle to it."""
    out = []
    if fmt.read is not None:
        target = "nucleus" if fmt.name != "nucleus" else "coco"
        out.append(f"nucleus-convert convert SRC OUT --from {fmt.name} --to {target}")
    if fmt.write is not None and fmt.name != "nucleus":
        out.append(f"nucleus-convert convert BUNDLE OUT --from nucleus --to {fmt.name}")
    return out


def describe_format(fmt: Format) -> dict[str, Any]:
    """What ``formats NAME --json`` prints."""
    return {
        "name": fmt.name,
        "description": fmt.description,
        "plugin": fmt.plugin,
        "read": fmt.read is not None,
        "write": fmt.write is not None,
        "detected": fmt.detect is not None,
        "extensions": list(fmt.extensions),
        "kinds": sorted(fmt.kinds),
        "partitions": fmt.partitions is not None,
        "read_options": option_rows(fmt.read_options),
        "write_options": option_rows(fmt.write_options),
        "examples": examples(fmt),
    }


def _default_text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def option_lines(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(name=TYPE, help [default: ...])`` pairs for a click definition list."""
    return [
        (f"{r['name']}=<{r['type']}>", f"{r['help']} [default: {_default_text(r['default'])}]")
        for r in rows
    ]


def write_format_options(
    formatter: click.HelpFormatter, fmt: Format, *, read: bool, write: bool
) -> None:
    """The format's reader (``-r``) and/or writer (``-w``) options as help sections."""
    for on, flag_name, role, options in (
        (read, "-r", "reader", fmt.read_options),
        (write, "-w", "writer", fmt.write_options),
    ):
        if not on:
            continue
        with formatter.section(f"{fmt.name} {role} options ({flag_name} KEY=VALUE)"):
            lines = option_lines(option_rows(options))
            formatter.write_dl(lines or [("(none)", "")])


def _scan(args: Sequence[str], names: tuple[str, ...]) -> dict[str, str]:
    """The values of ``--name VALUE`` and ``--name=VALUE`` in raw arguments."""
    found: dict[str, str] = {}
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                found[name] = args[i + 1]
            elif arg.startswith(name + "="):
                found[name] = arg.partition("=")[2]
    return found


class FormatHelpCommand(click.Command):
    """A command whose ``--help`` ends with the options of the formats its arguments name
    (``--from``/``--to``, or ``--via``): click handles ``--help`` before the other options'
    values are known, so they are read from the raw arguments here."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["nc_formats"] = _scan(args, ("--from", "--to", "--via"))
        return super().parse_args(ctx, args)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        named = ctx.meta.get("nc_formats", {})
        source = named.get("--from")
        if self.name == "roundtrip":  # both formats are read and written
            shown = [(source, True, True), (named.get("--via"), True, True)]
        else:
            shown = [(source, True, False), (named.get("--to", "nucleus"), False, True)]
        for name, read, write in shown:
            fmt = _known(name)
            if fmt is not None:
                write_format_options(formatter, fmt, read=read, write=write)
        formatter.write_paragraph()
        hint = "Every format's options: nucleus-convert formats NAME"
        if source is None:
            hint += " (or name the source format with --from before --help)"
        formatter.write_text(hint + ".")


def _known(name: str | None) -> Format | None:
    """The registered format ``name``, or None (unnamed or unknown: the command says so when
    it runs)."""
    if name is None:
        return None
    try:
        return get_registry().get(name)
    except NucleusConvertError:
        return None
