"""The KITTI reader checks every frame first and parses each frame again as the stream
reaches it (issue 16, part 5: memory holds the file list, not the labels)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kitti_trees import make_tree

import nucleus_convert as nc

CAR_3D = "Car 0.00 0 0.0 100 100 200 200 1.5 1.6 3.9 1.0 1.7 15.0 0.0\n"


def test_labels_are_parsed_again_when_the_stream_reaches_their_frame(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "kitti", {"000000": CAR_3D, "000001": CAR_3D})
    dataset = nc.read(root, "kitti")
    (root / "label_2" / "000001.txt").write_text(CAR_3D.replace("Car", "Van"))
    labels = [a.label for item in dataset.items for a in item.annotations]
    assert labels == ["Car", "Car", "Van", "Van"]  # box and cuboid of each frame


def test_files_changed_after_the_check_give_located_errors_not_crashes(tmp_path: Path) -> None:
    """A tree edited while it streams: the errors name the file (and line) as the check's do."""
    root = make_tree(tmp_path / "kitti", {"000000": CAR_3D, "000001": CAR_3D})
    dataset = nc.read(root, "kitti")
    (root / "calib" / "000001.txt").unlink()
    with pytest.raises(nc.InputError, match=r"calib/000001\.txt: cannot read calibration"):
        list(dataset.items)

    car_2d = "Car 0.00 0 0.0 100 100 200 200 -1 -1 -1 -1000 -1000 -1000 -10\n"
    root = make_tree(tmp_path / "no_calib", {"000000": car_2d}, calib=None)
    dataset = nc.read(root, "kitti")
    (root / "label_2" / "000000.txt").write_text(CAR_3D)
    with pytest.raises(nc.InputError, match=r"000000\.txt:1: the label has a 3D box"):
        list(dataset.items)
