"""``formats NAME``: what a format reads and writes, every option with type, default and help,
and an example; ``convert --help`` shows the options of the formats it names."""

from __future__ import annotations

import orjson
import pytest
from cli_runner import run_cli

from nucleus_convert.cli.help import type_name
from nucleus_convert.options import choice, flag
from nucleus_convert.plugins import BUILTIN_PLUGINS, get_registry

BUILTINS = sorted(f.name for f in get_registry() if f.plugin in BUILTIN_PLUGINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_formats_name_shows_every_option_with_its_type_default_and_help(name: str) -> None:
    fmt = get_registry().get(name)
    proc = run_cli("formats", name)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # help text is wrapped: compare words
    assert text.startswith(f"{name}: {' '.join(fmt.description.split())}")
    for option in (*fmt.read_options, *fmt.write_options):
        assert f"{option.name}=<{type_name(option.type)}>" in text
        assert " ".join(option.help.split()) in text
    assert ("reader options (-r KEY=VALUE)" in text) == (fmt.read is not None)
    assert ("writer options (-w KEY=VALUE)" in text) == (fmt.write is not None)
    assert "example: nucleus-convert convert" in text


def test_formats_name_json_lists_options_and_examples_for_scripts() -> None:
    data = orjson.loads(run_cli("formats", "coco", "--json").stdout)
    assert (data["name"], data["read"], data["write"], data["partitions"]) == (
        "coco",
        True,
        True,
        True,
    )
    on_error = next(o for o in data["read_options"] if o["name"] == "on_error")
    assert on_error == {
        "name": "on_error",
        "type": "one of raise|skip",
        "default": "raise",
        "help": "raise (default) or skip malformed records",
    }
    assert [o["name"] for o in data["write_options"]] == ["content", "task"]
    assert data["examples"] == [
        "nucleus-convert convert SRC OUT --from coco --to nucleus",
        "nucleus-convert convert BUNDLE OUT --from nucleus --to coco",
    ]


def test_formats_name_of_an_unknown_format_lists_the_known_ones() -> None:
    proc = run_cli("formats", "cocoa", NUCLEUS_CONVERT_NO_PLUGINS="1")
    assert proc.returncode == 2
    assert f"unknown format 'cocoa' (known formats: {', '.join(BUILTINS)})" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_formats_table_points_at_formats_name() -> None:
    assert "nucleus-convert formats NAME" in run_cli("formats").stdout


def test_type_names_say_what_a_parser_takes() -> None:
    assert [type_name(t) for t in (str, int, float, flag, choice("a", "b"))] == [
        "text",
        "integer",
        "number",
        "true/false",
        "one of a|b",
    ]


def test_convert_help_ends_with_the_named_formats_options() -> None:
    proc = run_cli("convert", "--from", "coco", "--to", "voc", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "coco reader options (-r KEY=VALUE)" in proc.stdout
    assert "voc writer options (-w KEY=VALUE)" in proc.stdout
    assert "coco writer options" not in proc.stdout and "voc reader options" not in proc.stdout
    assert "reference_id=<text>" in proc.stdout
    # Without --from: the default target's writer options, and where to find the rest.
    proc = run_cli("convert", "--help")
    assert "nucleus writer options (-w KEY=VALUE)" in proc.stdout
    assert "reader options" not in proc.stdout
    assert "nucleus-convert formats NAME" in proc.stdout


def test_roundtrip_help_shows_both_formats_reader_and_writer_options() -> None:
    proc = run_cli("roundtrip", "--from", "voc", "--via", "nucleus", "--help")
    for section in ("voc reader", "voc writer", "nucleus reader", "nucleus writer"):
        assert f"{section} options" in proc.stdout


def test_an_unknown_format_in_help_is_left_to_the_command() -> None:
    proc = run_cli("convert", "--from", "nope", "--help")
    assert proc.returncode == 0 and "nope reader options" not in proc.stdout
