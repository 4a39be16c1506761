"""nuscenes -> Nucleus -> nuscenes is exact: ``roundtrip --via nucleus`` reports OK on the
fixture (geometry, labels, attributes, tracks, cameras, points bit for bit, metadata), every
Nucleus payload is judged by the official client, and nuscenes -> nuscenes is exact in the
world, ego and sensor frames but for the roll and pitch the reader reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli
from judge import judge_bundle
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.model import PointCloudMedia
from nucleus_convert.roundtrip import compare, roundtrip

SOURCE = FIXTURES / "nuscenes" / "v1.0-mini-like"


def test_roundtrip_via_nucleus_reports_ok_on_the_command_line() -> None:
    proc = run_cli("roundtrip", str(SOURCE), "--via", "nucleus")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "round trip OK: nothing lost that both formats can carry" in proc.stdout


def test_roundtrip_via_nucleus_keeps_every_field_exactly() -> None:
    result = roundtrip(SOURCE, "nucleus", tolerance=0.0)
    assert result.ok, [(e.kind, e.field, e.counts) for e in result.unexpected]
    assert result.counts["cuboid"] == 9 and result.counts["items"] == 13
    kept = {(e.kind, e.field) for e in result.report if e.count("kept")}
    assert {("item", "media.points"), ("item", "camera"), ("cuboid", "track_id")} <= kept
    assert {("cuboid", "attributes"), ("cuboid", "yaw"), ("scene", "frames")} <= kept


def test_the_nucleus_bundle_is_accepted_by_the_official_client(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    nc.convert(SOURCE, bundle, to="nucleus")
    judged = judge_bundle(bundle)
    assert judged["scenes"] == 2 and judged["cuboid"] == 9


def test_points_come_back_bit_for_bit_through_nucleus(tmp_path: Path) -> None:
    nc.convert(SOURCE, tmp_path / "bundle", to="nucleus")
    nc.convert(tmp_path / "bundle", tmp_path / "back", from_="nucleus", to="nuscenes")
    before = nc.read(SOURCE, "nuscenes").materialize().items
    after = {i.reference_id: i for i in nc.read(tmp_path / "back", "nuscenes").materialize().items}
    for item in before:
        if isinstance(item.media, PointCloudMedia):
            other = after[item.reference_id].media
            assert isinstance(other, PointCloudMedia) and other.points is not None
            assert np.array_equal(item.media.points.view(np.uint32), other.points.view(np.uint32))


@pytest.mark.parametrize("frame", ["world", "ego", "sensor"])
def test_nuscenes_to_nuscenes_is_exact_in_every_frame(tmp_path: Path, frame: str) -> None:
    original = nc.read(SOURCE, "nuscenes", frame=frame).materialize()
    result = nc.write(original.stream(), tmp_path / "out", "nuscenes")
    again = nc.read(tmp_path / "out", "nuscenes", frame=frame)
    assert compare(original, again, tolerance=0.0).lossy_entries() == []
    written = {(e.kind, e.field) for e in result.report.lossy_entries()}
    expected = {("record", "*")} | ({("cuboid", "yaw")} if frame != "world" else set())
    assert written == expected  # the reader's counts, forwarded: sweeps and radar; tilt
