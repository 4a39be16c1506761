"""The ``pointcloud`` format (.bin/.pcd/.ply folders) and the Nucleus writer's ``workers``.

Reading each file type (the shared corpus where present), the lazy item stream, detection,
writing back (file types, intensity scale, reference ids as paths, the loss report), the
Nucleus round trip judged by the official client, bad input through the CLI, the process pool
(byte-identical output, the same clean errors, lazy start, bounded jobs) and the conformance
kit.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pytest
from cli_runner import run_cli
from every_kind import every_kind_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from judge import judge_bundle
from paths import CORPUS

import nucleus_convert as nc
from nucleus_convert import cli
from nucleus_convert.converters.nucleus import pointclouds as nucleus_pointclouds
from nucleus_convert.converters.nucleus.pointclouds import PointCloudFiles, parse_workers
from nucleus_convert.converters.pointcloud import detect
from nucleus_convert.converters.pointcloud import read as pointcloud_read
from nucleus_convert.converters.pointcloud.write import restore_intensity
from nucleus_convert.geometry.pointcloud import read_pointcloud_json
from nucleus_convert.geometry.pointcloud_files import read_points, write_bin, write_pcd, write_ply
from nucleus_convert.model import Frame, Item, PointCloudMedia, Scene
from nucleus_convert.testing.conformance import CHECKS, check_format

SLY_PCD = CORPUS / "datumaro" / "sly_pointcloud_dataset" / "ds0" / "pointcloud"
RAW_PCD = CORPUS / "datumaro" / "kitti_dataset" / "kitti_raw" / "velodyne_points" / "data"
KITTI_BIN = CORPUS / "kitti" / "object" / "training" / "velodyne"


def corpus_folder(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"shared corpus folder not found: {path}")
    return path


def need_open3d() -> Any:
    return pytest.importorskip("open3d", reason="open3d is the optional [pointcloud] extra")


def bits(a: npt.NDArray[Any]) -> npt.NDArray[np.uint32]:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def scan(n: int, seed: int, *, intensity: float = 1.0) -> npt.NDArray[np.float32]:
    """``n`` points with full float32 mantissas; intensity in 0..``intensity``."""
    rng = np.random.default_rng(seed)
    pts = np.empty((n, 4), dtype=np.float32)
    pts[:, :3] = rng.uniform(-80, 80, (n, 3))
    pts[:, 3] = rng.uniform(0, intensity, n)
    return pts


def u8_pcd(path: Path, xyz: npt.NDArray[Any], intensity: list[int]) -> None:
    """A binary PCD whose intensity is an unsigned byte (0..255), as many sensors write it."""
    n = len(intensity)
    raw = np.zeros(n, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "u1")])
    raw["x"], raw["y"], raw["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    raw["intensity"] = intensity
    header = (
        "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 1\nTYPE F F F U\n"
        f"COUNT 1 1 1 1\nWIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n"
    )
    path.write_bytes(header.encode("ascii") + raw.tobytes())


def mixed_folder(root: Path) -> Path:
    """A KITTI-like .bin (reflectance 0..1), a PCD with byte intensity, a PLY with float."""
    root.mkdir(parents=True, exist_ok=True)
    write_bin(scan(50, 1), root / "000000.bin")
    u8_pcd(root / "000001.pcd", scan(4, 2)[:, :3], [0, 1, 128, 255])
    write_ply(scan(30, 3), root / "000002.ply")
    return root


def read_all(src: Path, **options: Any) -> nc.model.MaterializedDataset:
    return nc.read(src, "pointcloud", **options).materialize()


def leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

finite_f32 = arrays(
    np.float32,
    st.tuples(st.integers(1, 40), st.just(4)),
    elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
)


@pytest.mark.parametrize(
    ("file_type", "ascii"),
    [("pcd", False), ("pcd", True), ("ply", False), ("ply", True), ("bin", False)],
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=finite_f32)
def test_written_files_read_back_bit_exact(
    file_type: str, ascii: bool, points: npt.NDArray[np.float32]
) -> None:
    if file_type != "bin":
        need_open3d()
    points[:, 3] = np.abs(points[:, 3]) % 1  # intensity within the model's 0..1
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "out"
        item = Item("scan", media=PointCloudMedia(points=points))
        nc.write(nc.Dataset.of([item]), dst, "pointcloud", file_type=file_type, ascii=ascii)
        assert sorted(p.name for p in dst.iterdir()) == [f"scan.{file_type}"]
        back = read_points(dst / f"scan.{file_type}")
        assert np.array_equal(bits(back.points), bits(points))


def test_ascii_bin_is_refused() -> None:
    with pytest.raises(nc.OutputError, match="no ascii form"):
        nc.write(
            nc.Dataset.of([]),
            Path(tempfile.mkdtemp()) / "o",
            "pointcloud",
            file_type="bin",
            ascii=True,
        )


def file_intensity(path: Path) -> list[float]:
    """The intensity values stored in a binary file we wrote (x, y, z, intensity float32)."""
    data = path.read_bytes()
    if path.suffix == ".bin":
        body = data
    else:
        end = b"\nend_header\n" if path.suffix == ".ply" else b"\nDATA binary\n"
        body = data[data.index(end) + len(end) :]
    return np.frombuffer(body, dtype="<f4").reshape(-1, 4)[:, 3].tolist()


@pytest.mark.parametrize(
    ("file_type", "source"), [("pcd", "intensity"), ("ply", "intensity"), ("bin", "reflectance")]
)
def test_source_intensity_is_written_back_in_0_255(
    tmp_path: Path, file_type: str, source: str
) -> None:
    if file_type != "bin":
        need_open3d()
    points = scan(4, 0)
    points[:, 3] = (np.array([0, 1, 128, 255]) / 255).astype(np.float32)
    meta = {"intensity_source": source, "intensity_scale": 255}
    item = Item("a", media=PointCloudMedia(points=points), metadata=meta)
    result = nc.write(nc.Dataset.of([item]), tmp_path / "o", "pointcloud", file_type=file_type)
    assert not result.report.has_loss()
    path = tmp_path / "o" / f"a.{file_type}"
    assert file_intensity(path) == [0, 1, 128, 255]
    (back,) = read_all(path).items
    assert back.metadata == meta
    assert np.array_equal(bits(back.media.load()), bits(points))  # type: ignore[union-attr]


def test_a_source_field_name_the_file_type_cannot_keep_is_reported(tmp_path: Path) -> None:
    points = scan(2, 0)
    points[:, 3] = [0, 1]
    meta = {"intensity_source": "intensity", "intensity_scale": 255}
    item = Item("a", media=PointCloudMedia(points=points), metadata=meta)
    result = nc.write(nc.Dataset.of([item]), tmp_path / "o", "pointcloud", file_type="bin")
    assert file_intensity(tmp_path / "o" / "a.bin") == [0, 255]  # the scale is kept...
    (entry,) = result.report.lossy_entries()  # ...the field name is not: a .bin says reflectance
    assert (entry.kind, entry.field, entry.examples) == (
        "item",
        "metadata",
        ["item 'a': intensity_source"],
    )


def test_unit_intensity_writes_0_1_and_reports_the_scale_metadata(tmp_path: Path) -> None:
    points = scan(4, 0)
    points[:, 3] = (np.array([0, 1, 128, 255]) / 255).astype(np.float32)
    meta = {"intensity_source": "reflectance", "intensity_scale": 255}
    item = Item("a", media=PointCloudMedia(points=points), metadata=meta)
    result = nc.write(
        nc.Dataset.of([item]), tmp_path / "o", "pointcloud", file_type="bin", intensity="unit"
    )
    raw = np.fromfile(tmp_path / "o" / "a.bin", dtype="<f4").reshape(-1, 4)
    assert np.array_equal(bits(raw), bits(points))
    assert [(e.kind, e.field, e.count("dropped")) for e in result.report.lossy_entries()] == [
        ("item", "metadata", 1)
    ]


def test_intensity_no_0_255_value_reaches_stays_0_1_and_is_reported(tmp_path: Path) -> None:
    candidates = np.random.default_rng(0).uniform(0.5, 1, 10_000).astype(np.float32)
    unreachable = [
        x
        for x in candidates[:2_000]
        if restore_intensity(np.array([[0, 0, 0, x], [0, 0, 0, 1]], dtype=np.float32)) is None
    ]
    assert unreachable, "every float32 in (0.5, 1) has a 0..255 float32 that reads back?"
    points = np.array([[1, 2, 3, unreachable[0]], [4, 5, 6, 1.0]], dtype=np.float32)
    item = Item("a", media=PointCloudMedia(points=points), metadata={"intensity_scale": 255})
    result = nc.write(nc.Dataset.of([item]), tmp_path / "o", "pointcloud", file_type="bin")
    assert file_intensity(tmp_path / "o" / "a.bin") == points[:, 3].tolist()  # 0..1
    assert np.array_equal(bits(read_points(tmp_path / "o" / "a.bin").points), bits(points))
    (entry,) = result.report.lossy_entries()
    assert (entry.field, entry.examples) == ("metadata", ["item 'a': intensity_scale"])


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float32,
        st.integers(1, 50),
        elements=st.floats(0, 255, width=32),
    ).filter(lambda v: v.max() > 1)
)
def test_intensities_from_any_float32_0_255_source_are_restored_so_they_read_back(
    values: npt.NDArray[np.float32],
) -> None:
    points = np.zeros((len(values), 4), dtype=np.float32)
    points[:, 3] = (values.astype(np.float64) / 255).astype(np.float32)  # as the reader scales
    restored = restore_intensity(points)
    assert restored is not None
    back = (restored[:, 3].astype(np.float64) / 255).astype(np.float32)  # as the reader scales
    assert np.array_equal(bits(back), bits(points[:, 3]))
    assert np.array_equal(bits(restored[:, :3]), bits(points[:, :3]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=50).filter(lambda v: max(v) > 1))
def test_byte_intensities_always_restore_exactly(values: list[int]) -> None:
    points = np.zeros((len(values), 4), dtype=np.float32)
    points[:, 3] = (np.array(values, dtype=np.float64) / 255).astype(np.float32)
    restored = restore_intensity(points)
    assert restored is not None
    assert restored[:, 3].tolist() == values


def test_restore_refuses_intensities_that_would_read_as_0_1() -> None:
    points = np.zeros((2, 4), dtype=np.float32)
    points[:, 3] = [0, np.float32(1 / 255)]  # restored max 1: the reader would not scale it
    assert restore_intensity(points) is None


def test_writer_counts_everything_it_cannot_carry(tmp_path: Path) -> None:
    result = nc.write(every_kind_dataset().stream(), tmp_path / "o", "pointcloud")
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["lidar-0.pcd"]
    dropped = {(e.kind, e.field): e.count("dropped") for e in result.report.lossy_entries()}
    assert dropped == {
        ("item", "*"): 3,  # img-0, img-1, cam-0
        ("item", "metadata"): 1,  # lidar-0's sensor
        ("box", "*"): 4,
        ("polygon", "*"): 3,
        ("polyline", "*"): 2,
        ("keypoints", "*"): 2,
        ("category", "*"): 2,
        ("multicategory", "*"): 1,
        ("segmentation", "*"): 2,
        ("cuboid", "*"): 3,
        ("scene", "*"): 1,
        ("scene_category", "*"): 2,
        ("header", "categories"): 3,
        ("header", "skeletons"): 1,
        ("header", "taxonomies"): 1,
        ("header", "extra"): 1,  # the dataset-level fields
    }


def test_reference_ids_become_paths_inside_the_folder_or_safe_names(tmp_path: Path) -> None:
    refs = ["drive/0001", "../escape", ".hidden", "c:d", "A", "a", "plain"]
    items = [Item(r, media=PointCloudMedia(points=scan(2, k))) for k, r in enumerate(refs)]
    result = nc.write(nc.Dataset.of(items), tmp_path / "o", "pointcloud", file_type="bin")
    written = sorted(
        p.relative_to(tmp_path / "o").as_posix() for p in (tmp_path / "o").rglob("*.bin")
    )
    assert "drive/0001.bin" in written and "A.bin" in written and "plain.bin" in written
    assert len(written) == len(refs)
    assert all(not part.startswith(".") for w in written for part in w.split("/"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # nothing climbed out
    entry = next(e for e in result.report.lossy_entries() if e.field == "reference_id")
    assert entry.count("approximated") == 4  # ../escape, .hidden, c:d and 'a' (clashes with A)
    back = {i.reference_id for i in read_all(tmp_path / "o").items}
    assert {"drive/0001", "A", "plain"} <= back


def test_remote_and_duplicate_items(tmp_path: Path) -> None:
    remote = Item("r", media=PointCloudMedia(path="s3://bucket/r.json"))
    local = Item("l", media=PointCloudMedia(points=scan(2, 0)))
    result = nc.write(nc.Dataset.of([remote, local]), tmp_path / "o", "pointcloud")
    (entry,) = result.report.lossy_entries()
    assert (entry.kind, entry.count("dropped")) == ("item", 1)
    assert "remote" in entry.reasons["dropped"]
    with pytest.raises(nc.OutputError, match="item 'l': reference id appears twice"):
        nc.write(nc.Dataset.of([local, local]), tmp_path / "o2", "pointcloud")
    assert not (tmp_path / "o2").exists()


# --------------------------------------------------------------------------------------------
# The Nucleus round trip
# --------------------------------------------------------------------------------------------


def test_pointcloud_to_nucleus_and_back_is_bit_identical(tmp_path: Path) -> None:
    need_open3d()
    src = mixed_folder(tmp_path / "src")
    bundle = nc.convert(src, tmp_path / "bundle", from_="pointcloud", to="nucleus")
    assert not bundle.report.has_loss()  # no invented scenes: the reader made them
    counts = judge_bundle(tmp_path / "bundle")
    assert counts.get("scenes") == 3
    back = nc.convert(tmp_path / "bundle", tmp_path / "back", to="pointcloud")
    assert not back.report.has_loss()
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == [
        "000000.pcd",
        "000001.pcd",
        "000002.pcd",
    ]
    original, again = read_all(src), read_all(tmp_path / "back")
    assert [i.reference_id for i in again.items] == [i.reference_id for i in original.items]
    for a, b in zip(original.items, again.items, strict=True):
        assert np.array_equal(bits(a.media.load()), bits(b.media.load()))  # type: ignore[union-attr]
        assert a.metadata == b.metadata
    assert original.items[1].metadata == {"intensity_source": "intensity", "intensity_scale": 255}
    assert [s.reference_id for s in again.scenes] == [s.reference_id for s in original.scenes]
    assert file_intensity(tmp_path / "back" / "000001.pcd") == [0, 1, 128, 255]  # as the source


def test_corpus_kitti_bin_through_nucleus_and_back_to_bin_is_byte_identical(
    tmp_path: Path,
) -> None:
    folder = corpus_folder(KITTI_BIN)
    nc.convert(folder, tmp_path / "bundle", from_="pointcloud", to="nucleus")
    judge_bundle(tmp_path / "bundle")
    for json_file in (tmp_path / "bundle" / "pointclouds").iterdir():
        raw = np.fromfile(folder / f"{json_file.stem}.bin", dtype="<f4").reshape(-1, 4)
        assert np.array_equal(bits(read_pointcloud_json(json_file)), bits(raw))
    nc.convert(
        tmp_path / "bundle", tmp_path / "back", to="pointcloud", write_options={"file_type": "bin"}
    )
    for path in sorted(folder.iterdir()):
        assert (tmp_path / "back" / path.name).read_bytes() == path.read_bytes()


def test_cli_roundtrip_via_nucleus_is_clean(tmp_path: Path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    for k in range(3):
        write_bin(scan(5, k), src / f"{k}.bin")
    proc = run_cli("roundtrip", str(src), "--via", "nucleus")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("round trip OK")


# --------------------------------------------------------------------------------------------
# Bad input through the CLI
# --------------------------------------------------------------------------------------------


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


def test_cli_workers_must_be_a_target_writer_option(tmp_path: Path) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    write_bin(scan(5, 0), src / "0.bin")
    proc = run_cli("convert", str(src), str(tmp_path / "o"), "--to", "pointcloud", "--workers", "2")
    assert proc.returncode == 2
    assert "format 'pointcloud' has no --workers" in proc.stderr
    proc = run_cli("convert", str(src), str(tmp_path / "o"), "--workers", "-1")
    assert proc.returncode == 2 and "-1" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_cli_workers_reaches_the_nucleus_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_convert(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs["write_options"])
        raise nc.OutputError("stop here")

    monkeypatch.setattr(cli.api, "convert", fake_convert)
    with pytest.raises(SystemExit) as stop:
        cli.main(
            [
                "convert",
                str(tmp_path),
                str(tmp_path / "o"),
                "--workers",
                "3",
                "-w",
                "masks=polygons",
            ]
        )
    assert stop.value.code == 2
    assert seen == {"masks": "polygons", "workers": "3"}


# --------------------------------------------------------------------------------------------
# Parallel serialisation (the nucleus writer's workers option)
# --------------------------------------------------------------------------------------------


def _sources_folder(tmp_path: Path) -> nc.model.MaterializedDataset:
    """Clouds from memory, from .bin/.pcd paths and from Nucleus JSON paths, with scenes."""
    need_open3d()
    write_bin(scan(300, 10), tmp_path / "p.bin")
    write_pcd(scan(300, 11), tmp_path / "p.pcd")
    nc.write(
        nc.Dataset.of([Item("j", media=PointCloudMedia(points=scan(300, 12)))]),
        tmp_path / "json",
        workers=1,
    )
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(200 + k, k))) for k in range(5)]
    items += [
        Item("from-bin", media=PointCloudMedia(path=str(tmp_path / "p.bin"))),
        Item("from-pcd", media=PointCloudMedia(path=str(tmp_path / "p.pcd"))),
        Item("from-json", media=PointCloudMedia(path=str(tmp_path / "json/pointclouds/j.json"))),
    ]
    scenes = [Scene("seq", [Frame({"lidar": f"m{k}"}) for k in range(5)])]
    return nc.model.MaterializedDataset(nc.Header(), items, scenes)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_workers_2_writes_a_bundle_byte_identical_to_workers_1(tmp_path: Path) -> None:
    data = _sources_folder(tmp_path)
    one = nc.write(data.stream(), tmp_path / "w1", report=nc.LossReport(), workers=1)
    two = nc.write(data.stream(), tmp_path / "w2", report=nc.LossReport(), workers=2)
    assert _tree(tmp_path / "w1") == _tree(tmp_path / "w2")
    assert len(list((tmp_path / "w1" / "pointclouds").iterdir())) == 8
    assert one.summary.counts == two.summary.counts
    assert one.report.to_json() == two.report.to_json()


def _with_nan(k: int) -> Item:
    pts = scan(100, k)
    pts[7, 1] = np.nan
    return Item(f"m{k}", media=PointCloudMedia(points=pts))


@pytest.mark.parametrize("bad_at", [0, 2, 5])
def test_a_worker_error_is_the_in_process_error_and_nothing_is_left(
    tmp_path: Path, bad_at: int
) -> None:
    def items() -> list[Item]:
        out = [Item(f"m{k}", media=PointCloudMedia(points=scan(100, k))) for k in range(7)]
        out[bad_at] = _with_nan(bad_at)
        return out

    messages = []
    for workers in (1, 2):
        with pytest.raises(nc.OutputError) as err:
            nc.write(nc.Dataset.of(items()), tmp_path / f"w{workers}", workers=workers)
        messages.append(str(err.value))
        assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"item 'm{bad_at}': point 7 has a NaN or infinite value")


def test_a_cloud_error_in_flight_wins_over_a_later_writer_error(tmp_path: Path) -> None:
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(100, k))) for k in range(4)]
    items[1] = _with_nan(1)
    items.append(Item("m0", media=PointCloudMedia(points=scan(5, 9))))  # a duplicate id later
    for workers in (1, 2):
        with pytest.raises(nc.OutputError, match=r"^item 'm1': point 7 has a NaN"):
            nc.write(nc.Dataset.of(items), tmp_path / "o", workers=workers)
        assert not (tmp_path / "o").exists()


def test_cli_worker_error_from_a_corrupt_bundle_file_is_one_clean_line(tmp_path: Path) -> None:
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(50, k))) for k in range(4)]
    nc.write(nc.Dataset.of(items), tmp_path / "bundle", workers=1)
    broken = tmp_path / "bundle" / "pointclouds" / "m2.json"
    broken.write_bytes(b'{"points": [{"x": 1, "y": 2}]}')
    broken = broken.resolve()
    out = tmp_path / "dst" / "again"
    out.parent.mkdir()
    proc = run_cli("convert", str(tmp_path / "bundle"), str(out), "--workers", "2")
    assert proc.returncode == 2
    assert proc.stderr == f"error: item 'm2': {broken}: field 'points[0].z': missing key\n"
    assert list(out.parent.iterdir()) == []


_REAL_WRITE = nucleus_pointclouds.write_pointcloud_json_file


def _dies_on_m3(source: Any, target: str, where: str) -> None:
    """Patched in for the worker function: the process writing item m3 exits at once."""
    if where == "item 'm3'":
        os._exit(3)
    _REAL_WRITE(source, target, where)


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the dying worker function is patched in before the pool forks",
)
def test_a_worker_that_dies_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nucleus_pointclouds, "write_pointcloud_json_file", _dies_on_m3)
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(50, k))) for k in range(6)]
    with pytest.raises(nc.OutputError, match=r"^item 'm\d': a point cloud worker process died"):
        nc.write(nc.Dataset.of(items), tmp_path / "o", workers=2)
    assert list(tmp_path.iterdir()) == []


class _LazyPool:
    """Stands in for ProcessPoolExecutor: a job runs only when its result is asked for, so
    the number of unfinished jobs shows how many are in flight."""

    created: list[int] = []  # noqa: RUF012 - a record shared by the instances of one test
    most_in_flight = 0

    def __init__(self, max_workers: int) -> None:
        _LazyPool.created.append(max_workers)
        self.jobs: list[Future[None]] = []

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        outer = self

        class Lazy(Future[None]):
            def result(self, timeout: float | None = None) -> None:
                if not self.done():
                    fn(*args)
                    self.set_result(None)
                outer.jobs.remove(self)

        job = Lazy()
        self.jobs.append(job)
        _LazyPool.most_in_flight = max(_LazyPool.most_in_flight, len(self.jobs))
        return job

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        assert not self.jobs or cancel_futures


@pytest.fixture
def lazy_pool(monkeypatch: pytest.MonkeyPatch) -> type[_LazyPool]:
    _LazyPool.created = []
    _LazyPool.most_in_flight = 0
    monkeypatch.setattr(nucleus_pointclouds, "ProcessPoolExecutor", _LazyPool)
    return _LazyPool


def test_the_pool_starts_at_the_second_cloud_and_bounds_jobs_in_flight(
    tmp_path: Path, lazy_pool: type[_LazyPool]
) -> None:
    def clouds(n: int) -> nc.Dataset:
        return nc.Dataset.of(
            Item(f"m{k}", media=PointCloudMedia(points=scan(20, k))) for k in range(n)
        )

    nc.write(clouds(1), tmp_path / "one", workers=3)
    nc.write(clouds(30), tmp_path / "inproc", workers=1)
    assert lazy_pool.created == []
    nc.write(clouds(30), tmp_path / "pool", workers=3)
    assert lazy_pool.created == [3]
    assert lazy_pool.most_in_flight == 6  # two jobs a worker, never more
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "inproc")


def test_workers_0_means_every_available_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nucleus_pointclouds, "available_cores", lambda: 5)
    assert PointCloudFiles(0).workers == 5
    assert PointCloudFiles(1).workers == 1
    assert nc.get_format("nucleus").parse_options({}, for_write=True)["workers"] == 0


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (" 4 ", 4), (2, 2), (3.0, 3)])
def test_workers_option_accepts_whole_numbers(value: Any, expected: int) -> None:
    assert parse_workers(value) == expected


@pytest.mark.parametrize("value", ["-1", "two", True, 1.5, None])
def test_workers_option_refuses_anything_else(value: Any) -> None:
    with pytest.raises(nc.FormatError, match="write option 'workers' of format 'nucleus'"):
        nc.get_format("nucleus").parse_options({"workers": value}, for_write=True)


# --------------------------------------------------------------------------------------------
# The conformance kit
# --------------------------------------------------------------------------------------------


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


def test_payloads_written_with_workers_are_accepted_by_the_client(tmp_path: Path) -> None:
    need_open3d()
    src = mixed_folder(tmp_path / "src")
    nc.convert(src, tmp_path / "b", from_="pointcloud", write_options={"workers": 2})
    assert judge_bundle(tmp_path / "b").get("scenes") == 3
    lines = (tmp_path / "b" / "scenes.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["reference_id"] for line in lines] == [
        "000000-scene",
        "000001-scene",
        "000002-scene",
    ]


def test_without_a_process_pool_the_clouds_are_written_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(max_workers: int) -> Any:
        raise OSError(38, "Function not implemented")  # what sem_open gives in some sandboxes

    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(20, k))) for k in range(5)]
    nc.write(nc.Dataset.of(items), tmp_path / "inproc", workers=1)
    monkeypatch.setattr(nucleus_pointclouds, "ProcessPoolExecutor", no_pool)
    nc.write(nc.Dataset.of(items), tmp_path / "fallback", workers=2)
    assert _tree(tmp_path / "fallback") == _tree(tmp_path / "inproc")
