"""Malformed KITTI raw input through the CLI: exit 2, one line naming the file and the
element (its line) or the file at fault, and nothing at the destination."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import Bad, run_cli
from paths import FIXTURES

DRIVE = FIXTURES / "kitti_raw" / "2011_09_26" / "2011_09_26_drive_0001_sync"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` occurrence of ``needle`` in ``text``."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def edit_xml(drive: Path, old: str, new: str, nth: int = 1) -> tuple[Path, str]:
    path = drive / "tracklet_labels.xml"
    text = path.read_text()
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    text = text[:at] + new + text[at + len(old) :]
    path.write_text(text)
    return path, text


def _malformed_xml(drive: Path) -> Bad:
    path, text = edit_xml(drive, "</objectType>", "")  # <objectType> never closed
    # libxml2 notices at the tracklet's own end tag, which does not match <objectType>
    return Bad(path, line_of(text, "\n\t</item>") + 1, ("malformed XML", "objectType"))


def _pose_count_disagrees(drive: Path) -> Bad:
    path, text = edit_xml(drive, "<count>5</count>", "<count>6</count>")
    return Bad(
        path,
        line_of(text, "<count>6</count>"),
        ("tracklet 0", "field 'count'", "<poses> says <count>6</count> but holds 5 pose items"),
    )


def _non_numeric_tx(drive: Path) -> Bad:
    path, text = edit_xml(drive, "<tx>12.25</tx>", "<tx>12,25</tx>")
    return Bad(
        path,
        line_of(text, "<tx>12,25</tx>"),
        ("tracklet 0, pose 2 (frame 2)", "field 'tx'", "<tx> is '12,25', not a number"),
    )


def _missing_state(drive: Path) -> Bad:
    path, text = edit_xml(drive, "<state>1</state>", "")
    item = text.rindex("<item>", 0, text.index("<tx>6.0</tx>\n\t\t\t\t<ty>2.75"))
    return Bad(
        path,
        text[:item].count("\n") + 1,
        ("tracklet 2, pose 0 (frame 3)", "field 'state'", "<item> has no <state>"),
    )


def _unknown_pose_element(drive: Path) -> Bad:
    path, text = edit_xml(drive, "<state>2</state>", "<state>2</state><speed>3</speed>", nth=2)
    return Bad(
        path,
        line_of(text, "<speed>"),
        ("tracklet 0, pose 1 (frame 1)", "unexpected element <speed>"),
    )


def _tracklet_past_the_last_scan(drive: Path) -> Bad:
    for frame in (4, 5):
        (drive / "velodyne_points" / "data" / f"{frame:010d}.bin").unlink()
        (drive / "image_02" / "data" / f"{frame:010d}.png").unlink()
    path = drive / "tracklet_labels.xml"
    text = path.read_text()
    return Bad(
        path,
        line_of(text, "<item", 2),  # tracklet 0's <item> (after <tracklets>'s item_version)
        ("tracklet 0 ('Car')", "poses for frames 0..4", "velodyne scans are frames 0..3"),
    )


def _missing_velodyne_folder(drive: Path) -> Bad:
    shutil.rmtree(drive / "velodyne_points")
    return Bad(drive, None, ("no velodyne_points/data/ folder",))


def _gap_in_the_scans(drive: Path) -> Bad:
    (drive / "velodyne_points" / "data" / "0000000002.bin").unlink()
    return Bad(
        drive / "velodyne_points" / "data",
        None,
        ("jump from frame 1 to 3", "0000000002 is missing"),
    )


def _two_files_for_one_frame(drive: Path) -> Bad:
    data = drive / "velodyne_points" / "data"
    shutil.copyfile(data / "0000000001.bin", data / "0000000001.ply")
    return Bad(data / "0000000001.ply", None, ("frame 1 has two velodyne scan files",))


def _entity_declaration(drive: Path) -> Bad:
    path, _ = edit_xml(
        drive,
        "<!DOCTYPE boost_serialization>",
        '<!DOCTYPE boost_serialization [<!ENTITY car "Car">]>',
    )
    return Bad(path, 2, ("declares a DOCTYPE", "declarations are refused"))


def _scan_not_a_multiple_of_16_bytes(drive: Path) -> Bad:
    scan = drive / "velodyne_points" / "data" / "0000000003.bin"
    scan.write_bytes(scan.read_bytes()[:-4])
    return Bad(scan, None, ("is not a multiple of 16",))


CASES: dict[str, Callable[[Path], Bad]] = {
    "malformed XML": _malformed_xml,
    "pose count disagrees with count": _pose_count_disagrees,
    "non-numeric tx": _non_numeric_tx,
    "pose without state": _missing_state,
    "unknown element in a pose": _unknown_pose_element,
    "tracklet running past the last scan": _tracklet_past_the_last_scan,
    "missing velodyne folder": _missing_velodyne_folder,
    "gap in the scan numbers": _gap_in_the_scans,
    "two scan files for one frame": _two_files_for_one_frame,
    "entity declaration": _entity_declaration,
    "truncated .bin scan (read while streaming)": _scan_not_a_multiple_of_16_bytes,
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_kitti_raw_input_exits_2_naming_file_and_element(case: str, tmp_path: Path) -> None:
    drive = tmp_path / "2011_09_26_drive_0001_sync"
    shutil.copytree(DRIVE, drive)
    bad = CASES[case](drive)
    dst = tmp_path / "out"
    proc = run_cli("convert", str(drive), str(dst), "--from", "kitti_raw", "--to", "nucleus")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: {bad.where()}"), proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in bad.fragments:
        assert fragment in proc.stderr, proc.stderr
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [drive.name]  # no partial output
