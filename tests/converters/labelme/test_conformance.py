"""The ``labelme`` format passes the conformance kit on its fixture, and its fixture round-trips
through Nucleus with nothing lost (the CLI says OK)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_runner import run_cli
from paths import FIXTURES, ROOT

import nucleus_convert as nc
from nucleus_convert.roundtrip import roundtrip
from nucleus_convert.testing import CHECKS, check_format

FIXTURE = FIXTURES / "labelme"


def test_labelme_passes_every_check_of_the_conformance_kit(tmp_path: Path) -> None:
    report = check_format(
        "labelme", [FIXTURE], workdir=tmp_path / "kit", distribution="nucleus-convert"
    )
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == list(CHECKS)


def test_the_cli_round_trip_of_the_fixture_through_nucleus_reports_ok() -> None:
    proc = run_cli("roundtrip", str(FIXTURE), "--via", "nucleus")
    assert proc.returncode == 0, proc.stderr
    assert "fixtures/labelme (labelme) -> nucleus -> labelme" in proc.stdout
    assert "round trip OK" in proc.stdout


def test_the_round_trip_through_nucleus_keeps_every_declared_field_and_group() -> None:
    result = roundtrip(FIXTURE, "nucleus")
    assert result.ok, [f"{e.kind}.{e.field}" for e in result.unexpected]
    kept = {(e.kind, e.field): e.count("kept") for e in result.report}
    assert kept[("box", "group_id")] == 2
    assert kept[("polygon", "attributes")] == 2
    assert kept[("instance_mask", "rle")] == 2
    assert kept[("keypoints", "points")] == 1
    assert kept[("category", "taxonomy")] == 2


def test_labelme_through_nucleus_and_back_writes_the_same_shapes(tmp_path: Path) -> None:
    nc.convert(FIXTURE, tmp_path / "nuc", to="nucleus")
    nc.convert(tmp_path / "nuc", tmp_path / "back", from_="nucleus", to="labelme")
    original = json.loads((FIXTURE / "street.json").read_text(encoding="utf-8"))
    again = json.loads((tmp_path / "back" / "street.json").read_text(encoding="utf-8"))
    assert again["flags"] == original["flags"]
    assert again["reviewed_by"] == "fixture script"
    assert [s["label"] for s in again["shapes"]] == [s["label"] for s in original["shapes"]]
    assert [s["shape_type"] for s in again["shapes"]] == [
        s["shape_type"] for s in original["shapes"]
    ]
    # the rectangle dragged bottom-right to top-left comes back top-left first
    assert again["shapes"][0]["points"] == [[4.0, 3.0], [20.5, 18.25]]
    # a mask with fractional corners comes back cropped, with integer corners, same pixels
    assert again["shapes"][7]["points"] == [[24, 16], [28, 19]]
    assert again["shapes"][7]["mask"] == original["shapes"][7]["mask"]
    for a, b in zip(original["shapes"][1:7], again["shapes"][1:7], strict=True):
        assert a == b


def test_the_fixture_generator_rebuilds_the_committed_files(tmp_path: Path) -> None:
    script = ROOT / "fixtures" / "make_labelme_fixture.py"
    copy = tmp_path / "fixtures" / "make_labelme_fixture.py"
    copy.parent.mkdir()
    copy.write_bytes(script.read_bytes())
    subprocess.run([sys.executable, str(copy)], check=True)
    made = sorted(
        p.relative_to(tmp_path / "fixtures" / "labelme")
        for p in (tmp_path / "fixtures" / "labelme").rglob("*")
        if p.is_file()
    )
    committed = sorted(p.relative_to(FIXTURE) for p in FIXTURE.rglob("*") if p.is_file())
    assert made == committed
    for rel in committed:
        assert (tmp_path / "fixtures" / "labelme" / rel).read_bytes() == (
            FIXTURE / rel
        ).read_bytes(), rel
