"""nucleus_convert/converters/kitti_raw/__init__.py: ``detect`` claims drives, date folders and
tracklet files, nothing else."""

from __future__ import annotations

from pathlib import Path

from kitti_raw_samples import DATE, DRIVE
from paths import FIXTURES

import nucleus_convert as nc


def test_detects_drives_date_folders_and_tracklet_files_only(tmp_path: Path) -> None:
    registry = nc.get_format("kitti_raw")
    assert registry.detect is not None
    assert registry.detect(DATE) and registry.detect(DRIVE)
    assert registry.detect(DRIVE / "tracklet_labels.xml")
    assert not registry.detect(DRIVE / "velodyne_points")
    assert not registry.detect(FIXTURES / "voc" / "VOC2012")
