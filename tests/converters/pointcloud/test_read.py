"""Reading the ``pointcloud`` format: each file type (the shared corpus where present), intensity
scaling, folders read recursively with relative ids, and the lazy item stream."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pointcloud_samples import (
    KITTI_BIN,
    RAW_PCD,
    SLY_PCD,
    bits,
    corpus_folder,
    need_open3d,
    read_all,
    scan,
    u8_pcd,
)

import nucleus_convert as nc
from nucleus_convert.converters.pointcloud import read as pointcloud_read
from nucleus_convert.geometry.pointcloud_files import read_points, write_bin, write_pcd, write_ply
from nucleus_convert.model import Item, PointCloudMedia


def test_reads_the_corpus_supervisely_pcd_folder_one_scene_per_file() -> None:
    need_open3d()
    folder = corpus_folder(SLY_PCD)
    data = read_all(folder)
    assert [i.reference_id for i in data.items] == ["frame1", "frame2"]
    for item in data.items:
        assert isinstance(item.media, PointCloudMedia)
        expected = read_points(Path(str(item.media.path))).points
        assert np.array_equal(bits(item.media.load()), bits(expected))
        assert item.metadata == {}  # x y z only: intensity 0, nothing scaled
    assert [(s.reference_id, [f.sensors for f in s.frames]) for s in data.scenes] == [
        ("frame1-scene", [{"lidar": "frame1"}]),
        ("frame2-scene", [{"lidar": "frame2"}]),
    ]


def test_reads_the_corpus_kitti_raw_pcd_folder_as_one_sequence() -> None:
    need_open3d()
    folder = corpus_folder(RAW_PCD)
    data = read_all(folder, scene="sequence")
    refs = [i.reference_id for i in data.items]
    assert refs == ["0000000000", "0000000001", "0000000002"]
    assert len(data.scenes) == 1
    assert data.scenes[0].reference_id == "data"
    assert [f.sensors for f in data.scenes[0].frames] == [{"lidar": r} for r in refs]


def test_reads_the_corpus_kitti_velodyne_bin_bit_exact() -> None:
    folder = corpus_folder(KITTI_BIN)
    data = read_all(folder)
    assert [i.reference_id for i in data.items] == ["000000", "000001"]
    for item in data.items:
        raw = np.fromfile(folder / f"{item.reference_id}.bin", dtype="<f4").reshape(-1, 4)
        assert isinstance(item.media, PointCloudMedia) and item.media.points is not None
        assert np.array_equal(bits(item.media.points), bits(raw))
        assert item.metadata == {}  # KITTI reflectance is already 0..1


def test_reads_a_single_ply_file_with_its_stem_as_reference_id(tmp_path: Path) -> None:
    need_open3d()
    points = scan(20, 7)
    write_ply(points, tmp_path / "scan.PLY")
    data = read_all(tmp_path / "scan.PLY")
    assert [i.reference_id for i in data.items] == ["scan"]
    assert np.array_equal(bits(data.items[0].media.load()), bits(points))  # type: ignore[union-attr]
    assert [s.reference_id for s in data.scenes] == ["scan-scene"]


def test_byte_intensity_is_scaled_to_0_1_and_recorded_in_item_metadata(tmp_path: Path) -> None:
    need_open3d()
    u8_pcd(tmp_path / "a.pcd", np.zeros((3, 3)), [0, 51, 255])
    (item,) = read_all(tmp_path / "a.pcd").items
    assert item.metadata == {"intensity_source": "intensity", "intensity_scale": 255}
    assert item.media.load()[:, 3].tolist() == [0.0, np.float32(0.2), 1.0]  # type: ignore[union-attr]


def test_folder_is_read_recursively_in_natural_order_with_relative_ids(tmp_path: Path) -> None:
    root = tmp_path / "scans"
    for rel in ("b/frame10.bin", "b/frame2.bin", "a.bin", "b/sub/x.BIN", "c/0001.bin"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        write_bin(scan(2, len(rel)), root / rel)
    (root / "notes.txt").write_text("ignored")
    (root / ".hidden.bin").write_bytes(b"\0" * 17)  # hidden: not read (it would fail)
    (root / ".cache").mkdir()
    (root / ".cache" / "z.bin").write_bytes(b"\0" * 17)
    data = read_all(root)
    assert [i.reference_id for i in data.items] == [
        "a",
        "b/frame2",
        "b/frame10",
        "b/sub/x",
        "c/0001",
    ]
    sequences = read_all(root, scene="sequence").scenes
    assert [(s.reference_id, [f.sensors["lidar"] for f in s.frames]) for s in sequences] == [
        ("scans", ["a"]),
        ("b", ["b/frame2", "b/frame10"]),
        ("b/sub", ["b/sub/x"]),
        ("c", ["c/0001"]),
    ]


def test_two_files_with_one_stem_are_refused_naming_both(tmp_path: Path) -> None:
    write_bin(scan(2, 0), tmp_path / "a.bin")
    write_pcd(scan(2, 0), tmp_path / "a.pcd")
    with pytest.raises(nc.InputError, match=r"a\.bin and a\.pcd would both be item 'a'"):
        nc.read(tmp_path, "pointcloud")


def test_a_folder_without_point_clouds_is_refused(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(nc.InputError, match=r"no \.bin, \.pcd, \.ply point cloud file"):
        nc.read(tmp_path, "pointcloud")
    with pytest.raises(nc.InputError, match="not a point cloud file"):
        nc.read(tmp_path / "readme.txt", "pointcloud")


def test_points_are_read_one_file_at_a_time_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in range(3):
        write_bin(scan(100, k), tmp_path / f"{k}.bin")
    calls: list[str] = []
    real = pointcloud_read.read_points

    def counting(path: Path) -> Any:
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(pointcloud_read, "read_points", counting)
    dataset = nc.read(tmp_path, "pointcloud")
    assert calls == []  # listing the folder reads no file
    first = next(dataset.items)
    assert calls == ["0.bin"]
    assert isinstance(first.media, PointCloudMedia) and first.media.points is not None
    gone = weakref.ref(first.media.points)
    del first
    gc.collect()
    assert gone() is None  # the stream keeps no reference to points it handed out
    next(dataset.items)
    assert calls == ["0.bin", "1.bin"]


def test_point_cloud_media_loads_bin_pcd_ply_and_json_paths(tmp_path: Path) -> None:
    need_open3d()
    points = scan(10, 3)
    write_bin(points, tmp_path / "a.BIN")
    write_pcd(points, tmp_path / "a.pcd")
    write_ply(points, tmp_path / "a.ply")
    nc.write(nc.Dataset.of([Item("j", media=PointCloudMedia(points=points))]), tmp_path / "n")
    for path in (tmp_path / "a.BIN", tmp_path / "a.pcd", tmp_path / "a.ply"):
        assert np.array_equal(bits(PointCloudMedia(path=str(path)).load()), bits(points))
    json_path = tmp_path / "n" / "pointclouds" / "j.json"
    assert np.array_equal(bits(PointCloudMedia(path=str(json_path)).load()), bits(points))
