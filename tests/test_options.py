"""Option parsers (public: nucleus_convert.flag / choice) check CLI strings and Python values
alike, and the error names the option and the format."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_cli
from paths import FIXTURES

import nucleus_convert as nc


def test_flag_reads_the_usual_spellings_and_bools() -> None:
    assert [nc.flag(v) for v in ("1", "TRUE", " yes ", "on", True)] == [True] * 5
    assert [nc.flag(v) for v in ("0", "false", "No", "off", "", False)] == [False] * 6
    with pytest.raises(ValueError, match="expected true or false, got 'maybe'"):
        nc.flag("maybe")


def test_choice_accepts_only_its_values_in_any_case() -> None:
    parse = nc.choice("raise", "skip")
    assert parse(" SKIP ") == "skip"
    for bad in ("ignore", True, None):
        with pytest.raises(ValueError, match="expected one of raise, skip"):
            parse(bad)


@pytest.mark.parametrize(
    ("fmt", "option", "value"),
    [("nucleus", "masks", "pixels"), ("coco", "content", "both"), ("voc", "images", "link")],
)
def test_a_python_caller_gets_the_same_check_as_the_cli(
    tmp_path: Path, fmt: str, option: str, value: str
) -> None:
    dataset = nc.read(FIXTURES / "coco" / "instances_demo.json")
    with pytest.raises(nc.FormatError, match=f"write option '{option}' of format '{fmt}'"):
        nc.write(dataset, tmp_path / "out", fmt, **{option: value})
    assert not (tmp_path / "out").exists()
    proc = run_cli(
        "convert",
        str(FIXTURES / "coco" / "instances_demo.json"),
        str(tmp_path / "cli"),
        "--to",
        fmt,
        "-w",
        f"{option}={value}",
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"write option '{option}' of format '{fmt}': expected one of" in proc.stderr


def test_on_error_must_be_raise_or_skip_even_from_python() -> None:
    with pytest.raises(nc.FormatError, match="read option 'on_error' of format 'coco'"):
        nc.read(FIXTURES / "coco" / "instances_demo.json", on_error=True)
