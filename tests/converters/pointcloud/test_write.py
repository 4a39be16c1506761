"""Writing the ``pointcloud`` format: file types read back bit-exact, the intensity scale, the
loss report, reference ids as paths."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from every_kind import every_kind_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pointcloud_samples import (
    bits,
    file_intensity,
    need_open3d,
    read_all,
    scan,
)

import nucleus_convert as nc
from nucleus_convert.converters.pointcloud.write import restore_intensity
from nucleus_convert.geometry.pointcloud_files import read_points
from nucleus_convert.model import Item, PointCloudMedia

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
