"""Bad point cloud input through the CLI: one line naming the file, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli
from pointcloud_samples import (
    scan,
)

from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd


def _bad_bin_size(folder: Path) -> tuple[Path, str]:
    path = folder / "000002.bin"
    path.write_bytes(b"\0" * 17)
    return path, f"error: {path}: size 17 bytes is not a multiple of 16"


def _bad_nan(folder: Path) -> tuple[Path, str]:
    path = folder / "000002.bin"
    pts = scan(5, 0)
    pts[3, 2] = np.nan
    pts.tofile(path)
    return path, f"error: {path}: field 'points[3]': coordinate is NaN or infinite"


def _bad_pcd_points(folder: Path) -> tuple[Path, str]:
    path = folder / "000002.pcd"
    write_pcd(scan(5, 0), path, binary=False)
    text = path.read_text().replace("POINTS 5", "POINTS 6")
    path.write_text(text)
    line = text.splitlines().index("POINTS 6") + 1
    return path, f"error: {path}:{line}: POINTS 6 disagrees with WIDTH x HEIGHT"


@pytest.mark.parametrize("make_bad", [_bad_bin_size, _bad_nan, _bad_pcd_points])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_bad_input_is_one_line_naming_the_file_and_nothing_is_written(
    tmp_path: Path, make_bad: Callable[[Path], tuple[Path, str]], workers: str
) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    for k in (0, 1, 3):
        write_bin(scan(50, k), src / f"{k:06d}.bin")
    _, expected = make_bad(src)
    dst = tmp_path / "out" / "bundle"
    dst.parent.mkdir()
    proc = run_cli("convert", str(src), str(dst), "--from", "pointcloud", "--workers", workers)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(expected), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert list(dst.parent.iterdir()) == []  # no bundle, no temporary sibling
