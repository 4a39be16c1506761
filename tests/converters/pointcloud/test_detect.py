"""Detecting the ``pointcloud`` format: point cloud files and flat folders of them, nothing else."""

from __future__ import annotations

from pathlib import Path

from pointcloud_samples import (
    mixed_folder,
    scan,
)

import nucleus_convert as nc
from nucleus_convert.converters.pointcloud import detect
from nucleus_convert.geometry.pointcloud_files import write_bin


def test_detect_takes_point_cloud_files_and_flat_folders_of_them(tmp_path: Path) -> None:
    flat = mixed_folder(tmp_path / "flat")
    (flat / ".DS_Store").write_bytes(b"junk")  # hidden entries do not count
    assert detect(flat)
    for name in ("000000.bin", "000001.pcd", "000002.ply"):
        assert detect(flat / name)
    assert nc.plugins.get_registry().detect(flat).name == "pointcloud"


def test_detect_refuses_other_things_without_raising(tmp_path: Path) -> None:
    nested = tmp_path / "nested"
    (nested / "velodyne").mkdir(parents=True)
    write_bin(scan(2, 0), nested / "velodyne" / "0.bin")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    write_bin(scan(2, 0), mixed / "0.bin")
    (mixed / "labels.txt").write_text("car")
    empty = tmp_path / "empty"
    empty.mkdir()
    fake_ply = tmp_path / "mesh.ply"
    fake_ply.write_bytes(b"solid cube\n")
    fake_pcd = tmp_path / "x.pcd"
    fake_pcd.write_bytes(b"\x89PNG\r\n")
    for path in (
        nested,
        mixed,
        empty,
        fake_ply,
        fake_pcd,
        tmp_path / "missing",
        mixed / "labels.txt",
    ):
        assert detect(path) is False, path
