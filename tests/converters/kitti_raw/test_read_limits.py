"""KITTI raw input that would allocate without bound is refused while reading, small."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from limits_checks import assert_refused, run_capped
from paths import FIXTURES

DRIVE = FIXTURES / "kitti_raw" / "2011_09_26" / "2011_09_26_drive_0001_sync"


def test_scan_numbers_ten_billion_apart_are_a_gap_found_small(tmp_path: Path) -> None:
    drive = tmp_path / "2011_09_26_drive_0001_sync"
    shutil.copytree(DRIVE, drive)
    data = drive / "velodyne_points" / "data"
    last = max(data.glob("*.bin"))
    shutil.copyfile(last, data / "9999999999.bin")
    dst = tmp_path / "out"
    result = run_capped("convert", str(drive), str(dst), "--from", "kitti_raw", "--to", "nucleus")
    line = assert_refused(result, dst, str(data), f"jump from frame {int(last.stem)} to 9999999999")
    assert "frames missing in all" in line


def test_xml_nested_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    drive = tmp_path / "2011_09_26_drive_0001_sync"
    shutil.copytree(DRIVE, drive)
    xml = drive / "tracklet_labels.xml"
    deep = "<x>" * 100 + "</x>" * 100
    xml.write_text(xml.read_text().replace("<tracklets", deep + "<tracklets", 1))
    dst = tmp_path / "out"
    result = run_capped("convert", str(drive), str(dst), "--from", "kitti_raw", "--to", "nucleus")
    assert_refused(result, dst, str(xml), "nest more than 64 levels")


@pytest.mark.parametrize("value", [str(2**64), "9" * 5001], ids=["beyond-64-bits", "5001-digits"])
def test_a_tracklet_integer_beyond_64_bits_is_one_error_line(tmp_path: Path, value: str) -> None:
    drive = tmp_path / "2011_09_26_drive_0001_sync"
    shutil.copytree(DRIVE, drive)
    xml = drive / "tracklet_labels.xml"
    xml.write_text(
        xml.read_text().replace(
            "<first_frame>0</first_frame>", f"<first_frame>{value}</first_frame>", 1
        )
    )
    dst = tmp_path / "out"
    result = run_capped("convert", str(drive), str(dst), "--from", "kitti_raw", "--to", "nucleus")
    assert_refused(result, dst, f"{xml}:12: tracklet 0", "field 'first_frame'", "beyond 64 bits")
