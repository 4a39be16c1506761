"""The ``pointcloud`` format passes the plugin conformance kit."""

from __future__ import annotations

from pathlib import Path

from pointcloud_samples import (
    need_open3d,
    scan,
    u8_pcd,
)

from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd, write_ply
from nucleus_convert.testing.conformance import CHECKS, check_format


def test_pointcloud_format_passes_the_conformance_kit(tmp_path: Path) -> None:
    need_open3d()
    bins = tmp_path / "bins"
    bins.mkdir()
    for k in range(3):
        write_bin(scan(40, k), bins / f"{k:06d}.bin")
    pcds = tmp_path / "pcds"
    pcds.mkdir()
    u8_pcd(pcds / "a.pcd", scan(3, 5)[:, :3], [0, 200, 255])
    write_pcd(scan(10, 6), pcds / "b.pcd", binary=False)
    single = tmp_path / "one.ply"
    write_ply(scan(10, 7), single)
    report = check_format(
        "pointcloud", [bins, pcds, single], workdir=tmp_path / "kit", distribution="nucleus-convert"
    )
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == list(CHECKS)
