"""nucleus_convert/geometry/ply_header.py: PLY headers and vertex data that made open3d return
garbage or fail are refused, naming the line at fault (the ascii word and integer checks are
header_text.py's, shared with PCD)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pointcloud_file_samples import BIN3

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.pointcloud_files import read_points

ASCII_PLY = (
    b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
    b"property float z\nproperty uchar intensity\nend_header\n"
)
PLY_HEAD = (
    b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
    b"property float y\nproperty float z\nend_header\n"
)


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (PLY_HEAD + BIN3[:32], 3, r"36 bytes of binary data, but the file has 32"),
        (PLY_HEAD.replace(b"float x", b"float a"), 3, r"needs x, y and z vertex properties"),
        (b"plx\n" + PLY_HEAD[4:] + BIN3, 1, r"not a PLY file"),
        (PLY_HEAD[:40], 3, r"ends before end_header"),
        (PLY_HEAD.replace(b"binary_little_endian", b"binary_middle_endian"), 2, r"format"),
        (
            PLY_HEAD.replace(b"binary_little_endian", b"ascii") + b"1 2 3\n4 5 6\n",
            3,
            r"the header's elements take 3 lines but the ascii data has 2",
        ),
        (
            PLY_HEAD.replace(b"binary_little_endian", b"ascii") + b"1 2 3\n4 5\n7 8 9\n",
            9,
            r"ascii vertex has 2 values",
        ),
        # RPly refuses a float beyond float32's range, and open3d then returns uninitialised
        # points with a mere log line.
        (ASCII_PLY + b"1 2 3 0\n3.40282347e+38 5 6 0\n7 8 9 0\n", 10, r"beyond float32's range"),
        (ASCII_PLY + b"1 2 3 0\n4 5 6 256\n7 8 9 0\n", 10, r"'256' is not an integer within"),
        (ASCII_PLY + b"1 2 3 0\n4 5 6 1.5\n7 8 9 0\n", 10, r"'1.5' is not an integer within"),
        (
            b"ply\nformat ascii 1.0\nelement face 1\nproperty list uchar int vertex_indices\n"
            b"element vertex 1\nproperty float x\nproperty float y\nproperty float z\n"
            b"end_header\n3 0 0 0\n1 2 3\n",
            3,
            r"list properties before or in the vertex element are not supported",
        ),
    ],
)
def test_ply_lies(tmp_path: Path, data: bytes, line: int, message: str) -> None:
    """Each of these made open3d return garbage or fail; we say which line is wrong instead."""
    path = tmp_path / "lie.ply"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}:{line}: ")
