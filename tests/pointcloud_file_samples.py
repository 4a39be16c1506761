"""Hand-built point cloud files shared by the point cloud file tests (tests/geometry/
test_pointcloud_files.py, test_pcd_header.py, test_ply_header.py): ``pcd()`` writes a PCD whose
header lines are numbered as its docstring says, ``BIN3`` is three points of binary float32
data."""

from __future__ import annotations

import numpy as np


def pcd(
    fields: str = "x y z intensity",
    *,
    size: str = "4 4 4 4",
    type_: str = "F F F F",
    count: str | None = "1 1 1 1",
    width: int = 3,
    height: int = 1,
    points: int = 3,
    data: str = "ascii",
    body: bytes = b"1 2 3 0.5\n4 5 6 0.25\n7 8 9 1\n",
) -> bytes:
    """A PCD file; the header is lines 1-11 (POINTS on line 10, DATA on line 11)."""
    lines = [
        "# .PCD v0.7 - Point Cloud Data file format",
        "VERSION 0.7",
        f"FIELDS {fields}",
        f"SIZE {size}",
        f"TYPE {type_}",
        f"COUNT {count}" if count is not None else "# no COUNT",
        f"WIDTH {width}",
        f"HEIGHT {height}",
        "VIEWPOINT 0 0 0 1 0 0 0",
        f"POINTS {points}",
        f"DATA {data}",
    ]
    return ("\n".join(lines) + "\n").encode("ascii") + body


BIN3 = np.arange(12, dtype="<f4").tobytes()
