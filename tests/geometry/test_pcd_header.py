"""nucleus_convert/geometry/pcd_header.py: PCD headers and data that lie are refused, with the
header (or data) line at fault, before open3d (which accepts them) sees the file; ascii integer
intensity must fit its type (the check shared with PLY in header_text.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pointcloud_file_samples import BIN3, pcd
from pointcloud_samples import need_open3d

from nucleus_convert.errors import InputError
from nucleus_convert.geometry import pointcloud_files as pf
from nucleus_convert.geometry.pointcloud_files import read_points

# Each lie, the header line (or data line) the error must point at, and what it says.
LIES: dict[str, tuple[bytes, int, str]] = {
    "POINTS != WIDTH*HEIGHT": (pcd(width=4), 10, r"disagrees with WIDTH x HEIGHT = 4 x 1 = 4"),
    "organised POINTS != WIDTH*HEIGHT": (
        pcd(width=3, height=2, points=3),
        10,
        r"WIDTH x HEIGHT = 3 x 2 = 6",
    ),
    "binary data shorter than POINTS": (
        pcd(width=4, points=4, data="binary", body=BIN3),
        10,
        r"64 bytes of binary data, but the file has 48",
    ),
    "binary data longer than POINTS": (
        pcd(width=2, points=2, data="binary", body=BIN3),
        10,
        r"32 bytes of binary data, but the file has 48",
    ),
    "ascii with fewer lines than POINTS": (
        pcd(width=4, points=4),
        10,
        r"POINTS 4 but the ascii data has 3 lines",
    ),
    "ascii with more lines than POINTS": (
        pcd(width=2, points=2),
        10,
        r"POINTS 2 but the ascii data has 3 lines",
    ),
    "ascii line with a value missing": (
        pcd(body=b"1 2 3 0.5\n4 5 6\n7 8 9 1\n"),
        13,
        r"ascii point has 3 values, the header says 4",
    ),
    "ascii word that is not a number": (
        pcd(body=b"1 2 3 0.5\n4 5 abc 1\n7 8 9 1\n"),
        13,
        r"not a number: 'abc'",
    ),
    "no x field": (pcd("a y z intensity"), 3, r"needs x, y and z fields"),
    "header cut mid-line": (pcd()[:60], 3, r"header ends before its DATA line"),
    "header cut after a line": (pcd().split(b"POINTS")[0], 9, r"ends before its DATA line"),
    "unknown DATA kind": (pcd(data="binary_lzf", body=BIN3), 11, r"unknown DATA kind"),
    "COUNT shorter than FIELDS": (pcd(count="1 1 1"), 6, r"COUNT has 3 values but FIELDS"),
    "TYPE that is not a PCD type": (pcd(type_="F F F Q"), 5, r"TYPE Q with SIZE 4"),
    "x stored as an integer": (pcd(type_="I F F F"), 5, r"field 'x' must be one float"),
    "unknown header entry": (
        pcd().replace(b"VERSION 0.7", b"VERSON 0.7"),
        2,
        r"unknown PCD header entry",
    ),
    "compressed data that unpacks short of POINTS": (
        pcd(
            width=4,
            points=4,
            data="binary_compressed",
            body=np.array([4, 48], dtype="<u4").tobytes() + b"x" * 4,
        ),
        10,
        r"unpacks to 48",
    ),
    "compressed data too small to unpack to POINTS (a memory bomb)": (
        pcd(
            width=100_000_000,
            points=100_000_000,
            data="binary_compressed",
            body=np.array([4, 1_600_000_000], dtype="<u4").tobytes() + b"x" * 4,
        ),
        10,
        r"of 4 bytes cannot unpack to 1600000000: LZF expands at most 88 times",
    ),
}


@pytest.mark.parametrize("value", ["300", "-1", "5.7", "1e2"])
def test_pcd_ascii_integer_intensity_must_fit_its_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """open3d reads 300 as 44, -1 as 255, 5.7 as 5 and 1e2 as 1 in a U 1 field."""
    path = tmp_path / "a.pcd"
    path.write_bytes(
        pcd(size="4 4 4 1", type_="F F F U", body=f"1 2 3 0\n4 5 6 {value}\n7 8 9 1\n".encode())
    )
    with pytest.raises(InputError, match=r"is not an integer within 0\.\.255") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}:13: ")


@pytest.mark.parametrize("case", sorted(LIES))
def test_pcd_lies_are_caught_before_open3d(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    data, line, message = LIES[case]
    path = tmp_path / "lie.pcd"
    path.write_bytes(data)

    def no_open3d(*_: Any) -> Any:
        raise AssertionError("open3d must not see a file whose header lies")

    monkeypatch.setattr(pf, "_read_open3d", no_open3d)
    with pytest.raises(InputError, match=message) as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_open3d_accepts_what_we_refuse(tmp_path: Path) -> None:
    """Why the checks above exist: open3d 0.20 reads these lies without a word."""
    o3d = need_open3d()
    for case in ("POINTS != WIDTH*HEIGHT", "binary data longer than POINTS", "unknown DATA kind"):
        path = tmp_path / "lie.pcd"
        path.write_bytes(LIES[case][0])
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
            got = o3d.t.io.read_point_cloud(str(path))
        assert "positions" in got.point, case
