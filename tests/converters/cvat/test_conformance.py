"""The ``cvat`` format passes the conformance kit on the bundled fixture (an images task and a
video task), and round-trips through Nucleus as the CLI's ``roundtrip`` checks it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from paths import FIXTURES

from nucleus_convert.testing import CHECKS, check_format

SAMPLES = [FIXTURES / "cvat" / "images_task.xml", FIXTURES / "cvat" / "video_task.xml"]


def test_cvat_passes_the_conformance_kit(tmp_path: Path) -> None:
    report = check_format(
        "cvat", SAMPLES, workdir=tmp_path, distribution="nucleus-convert", raise_on_failure=False
    )
    assert [c.name for c in report.checks] == list(CHECKS)
    assert not report.failures, str(report)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_roundtrip_through_nucleus_is_ok(sample: Path) -> None:
    detected = run_cli("roundtrip", str(sample), "--via", "nucleus", "--json")
    named = run_cli("roundtrip", str(sample), "--from", "cvat", "--via", "nucleus", "--json")
    assert named.returncode == 0 and named.stderr == "", named.stderr
    assert orjson.loads(named.stdout)["ok"] is True, named.stdout
    assert detected.returncode == 0 and orjson.loads(detected.stdout)["ok"] is True


def test_roundtrip_through_nucleus_keeps_geometry_labels_attributes_tracks_and_groups() -> None:
    proc = run_cli("roundtrip", str(SAMPLES[1]), "--from", "cvat", "--via", "nucleus", "--json")
    rows = {(r["kind"], r["field"]): r for r in orjson.loads(proc.stdout)["report"]}
    for kind in ("box", "polygon", "polyline", "keypoints"):
        for field in ("points" if kind != "box" else "x", "label", "attributes", "track_id"):
            row = rows[(kind, field)]
            assert row["kept"] > 0 and row["changed"] == row["dropped"] == 0, row
    assert rows[("polygon", "group_id")]["kept"] == 5  # four people of group 2, one car
    assert rows[("keypoints", "points.visibility")]["kept"] == 3
    # instance masks have no Nucleus payload: they become segments, and lose their track
    assert rows[("instance_mask", "track_id")]["dropped"] == 1
