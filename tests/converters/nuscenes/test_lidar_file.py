"""nucleus_convert/converters/nuscenes/lidar.py: ``.pcd.bin`` files are 5 float32 a point
(x, y, z, intensity 0..255, ring index), as the devkit's ``LidarPointCloud.from_file`` reads
them; what is refused, and what the writer puts back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nucleus_convert.converters.nuscenes.lidar import read_pcd_bin, write_pcd_bin
from nucleus_convert.errors import InputError


def _file(tmp_path: Path, rows: np.ndarray, name: str = "sweep.pcd.bin") -> Path:
    path = tmp_path / name
    np.asarray(rows, dtype="<f4").tofile(path)
    return path


def test_reads_xyz_and_intensity_over_255_and_drops_the_ring_index(tmp_path: Path) -> None:
    rows = [
        [1.5, -2.0, 0.25, 255.0, 31.0],
        [10.0, 3.0, -1.75, 0.0, 0.0],
        [0.5, 0.5, 0.5, 17.0, 5.0],
    ]
    points = read_pcd_bin(_file(tmp_path, rows))
    assert points.dtype == np.float32 and points.shape == (3, 4)
    assert points[:, :3].tolist() == [r[:3] for r in rows]
    assert points[:, 3].tolist() == [np.float32(v / 255.0) for v in (255.0, 0.0, 17.0)]


@pytest.mark.parametrize("size", [1, 16, 39])
def test_a_size_not_a_multiple_of_20_bytes_is_refused_naming_the_file(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "bad.pcd.bin"
    path.write_bytes(b"\0" * size)
    with pytest.raises(InputError, match=rf"{path}: size {size} bytes is not a multiple of 20"):
        read_pcd_bin(path)


def test_nan_coordinates_and_intensities_beyond_255_are_refused_with_the_point(
    tmp_path: Path,
) -> None:
    nan = _file(tmp_path, [[0, 0, 0, 1, 0], [1, np.nan, 0, 1, 0]], "nan.pcd.bin")
    with pytest.raises(InputError, match=r"field 'points\[1\]': NaN or infinite"):
        read_pcd_bin(nan)
    loud = _file(tmp_path, [[0, 0, 0, 256.0, 0]], "loud.pcd.bin")
    with pytest.raises(InputError, match=r"field 'points\[0\]': intensity 256.0 is outside 0..255"):
        read_pcd_bin(loud)


def test_written_files_have_five_columns_ring_zero_and_the_source_intensities(
    tmp_path: Path,
) -> None:
    source = np.column_stack(
        [np.arange(256) * 0.5, np.ones(256), -np.ones(256), np.arange(256), np.arange(256) % 32]
    )
    points = read_pcd_bin(_file(tmp_path, source))
    out = tmp_path / "out.pcd.bin"
    assert write_pcd_bin(points, out) == 0
    rows = np.fromfile(out, dtype="<f4").reshape(-1, 5)
    assert np.array_equal(rows[:, :4], source[:, :4].astype(np.float32))  # every whole 0..255
    assert not rows[:, 4].any()
    assert np.array_equal(read_pcd_bin(out).view(np.uint32), points.view(np.uint32))


def test_intensity_outside_0_to_1_is_clipped_and_counted(tmp_path: Path) -> None:
    points = np.array([[0, 0, 0, 1.5], [0, 0, 0, -0.25], [0, 0, 0, 0.5]], dtype=np.float32)
    assert write_pcd_bin(points, tmp_path / "x.pcd.bin") == 2
    assert np.fromfile(tmp_path / "x.pcd.bin", dtype="<f4").reshape(-1, 5)[:, 3].tolist() == [
        255.0,
        0.0,
        127.5,
    ]
