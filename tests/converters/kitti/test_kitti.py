"""The ``kitti`` format: KITTI object trees <-> the model <-> Nucleus.

Reference checks, not our own assumptions:

* the full round trip KITTI -> Nucleus bundle (judged by the official client) -> model, then
  each cuboid's 8 corners projected into the image, once through the Nucleus camera parameters
  with a pinhole written out here and once through P2 of the original calib file, must land on
  the label's own 2D box (IoU >= 0.7 for every untruncated, unoccluded object), on KITTI's own
  frames (shared corpus) and on the bundled fixture, whose labels were computed by
  ``fixtures/kitti/make_kitti_fixture.py`` with plain numpy;
* hand numbers on a calibration that is the bare axis permutation;
* KITTI -> Nucleus -> KITTI gives back the label files byte for byte, the calibration's
  numbers and the scans bit for bit.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judge import judge_bundle
from paths import CORPUS, ROOT
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.converters import kitti as kitti_format
from nucleus_convert.converters.kitti.labels import format_number, parse_label_line
from nucleus_convert.geometry.kitti import (
    calibration_from_camera,
    cuboid_corners,
    matrix_from_quaternion,
    parse_calib,
    project_to_image,
)
from nucleus_convert.model import (
    Box,
    CameraParams,
    Cuboid,
    Dataset,
    Frame,
    ImageMedia,
    Item,
    MaskRef,
    MaterializedDataset,
    PointCloudMedia,
    Scene,
    Segment,
    Segmentation,
)
from nucleus_convert.roundtrip import roundtrip
from nucleus_convert.testing.conformance import check_format

FIXTURE = ROOT / "fixtures" / "kitti" / "object"
KITTI_OBJECT = CORPUS / "kitti" / "object"
DATUMARO_KITTI = CORPUS / "datumaro" / "kitti_dataset"
NO_CORPUS = not KITTI_OBJECT.is_dir()
NO_CORPUS_REASON = f"shared corpus not found at {KITTI_OBJECT}"

# x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo; P2 = K (no baseline)
HAND_CALIB = (
    "P2: 700 0 600 0 0 700 180 0 0 0 1 0\n"
    "R0_rect: 1 0 0 0 1 0 0 0 1\n"
    "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n"
)


def make_tree(
    root: Path,
    labels: dict[str, str],
    *,
    calib: str | None = HAND_CALIB,
    scans: dict[str, npt.NDArray[np.float32]] | None = None,
    image_size: tuple[int, int] | None = (1200, 360),
) -> Path:
    for frame, text in labels.items():
        (root / "label_2").mkdir(parents=True, exist_ok=True)
        (root / "label_2" / f"{frame}.txt").write_text(text)
        if calib is not None:
            (root / "calib").mkdir(exist_ok=True)
            (root / "calib" / f"{frame}.txt").write_text(calib)
        if image_size is not None:
            (root / "image_2").mkdir(exist_ok=True)
            Image.new("L", image_size).save(root / "image_2" / f"{frame}.png")
    for frame, points in (scans or {}).items():
        (root / "velodyne").mkdir(parents=True, exist_ok=True)
        points.astype("<f4").tofile(root / "velodyne" / f"{frame}.bin")
    return root


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two ``(left, top, right, bottom)`` boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def items_by_ref(path: Path, fmt: str | None = None, **options: Any) -> MaterializedDataset:
    return nc.read(path, fmt, **options).materialize()


def pinhole(points: npt.NDArray[np.float64], cam: CameraParams) -> npt.NDArray[np.float64]:
    """Nucleus's pinhole, written out: camera axes x right, y down, z forward."""
    r = matrix_from_quaternion(cam.heading)  # camera -> velodyne
    c = (points - np.array(cam.position)) @ r
    assert (c[:, 2] > 0).all()
    return np.column_stack(
        [cam.fx * c[:, 0] / c[:, 2] + cam.cx, cam.fy * c[:, 1] / c[:, 2] + cam.cy]
    )


def clipped_box(uv: npt.NDArray[np.float64], width: int, height: int) -> tuple[float, ...]:
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    return (
        min(max(lo[0], 0.0), width - 1.0),
        min(max(lo[1], 0.0), height - 1.0),
        min(max(hi[0], 0.0), width - 1.0),
        min(max(hi[1], 0.0), height - 1.0),
    )


# --------------------------------------------------------------------------- hand numbers


def test_label_line_becomes_box_and_cuboid_with_hand_numbers(tmp_path: Path) -> None:
    line = "Car 0.25 1 0.50 100.00 120.50 200.00 220.00 1.50 1.60 4.00 2.00 1.50 10.00 0.30\n"
    scan = np.array([[10.0, -2.0, -0.75, 0.5]], dtype=np.float32)
    tree = make_tree(tmp_path / "k", {"000007": line}, scans={"000007": scan})
    ds = items_by_ref(tree)
    items = {it.reference_id: it for it in ds.items}
    assert set(items) == {"000007/velodyne", "000007/image_2"}
    [box] = items["000007/image_2"].annotations
    assert isinstance(box, Box)
    assert (box.label, box.x, box.y, box.width, box.height) == ("Car", 100.0, 120.5, 100.0, 99.5)
    assert box.attributes == {"truncated": 0.25, "occluded": 1, "alpha": 0.5}
    assert type(box.attributes["occluded"]) is int
    [cub] = items["000007/velodyne"].annotations
    assert isinstance(cub, Cuboid)
    # centre_rect = (2, 1.5 - 1.5/2, 10); velodyne = (z, -x, -y) = (10, -2, -0.75)
    assert cub.position == pytest.approx((10.0, -2.0, -0.75), abs=1e-12)
    assert cub.dimensions == (4.0, 1.6, 1.5)
    assert cub.yaw == pytest.approx(-0.3 - math.pi / 2, abs=1e-12)
    assert cub.id == box.id == "000007:1"
    [scene] = ds.scenes
    assert scene.reference_id == "000007"
    assert scene.frames[0].sensors == {"velodyne": "000007/velodyne", "image_2": "000007/image_2"}
    cam = items["000007/image_2"].camera
    assert cam is not None
    assert (cam.fx, cam.fy, cam.cx, cam.cy) == (700.0, 700.0, 600.0, 180.0)
    assert cam.position == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    # camera +z (forward) is velodyne +x, camera +x (right) is velodyne -y
    r = matrix_from_quaternion(cam.heading)
    assert r @ np.array([0, 0, 1.0]) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)
    assert r @ np.array([1.0, 0, 0]) == pytest.approx([0.0, -1.0, 0.0], abs=1e-12)
    points = items["000007/velodyne"].media
    assert isinstance(points, PointCloudMedia) and points.points is not None
    assert points.points.tolist() == scan.tolist()


def test_frame_without_scan_is_one_image_item_holding_boxes_and_cuboids(tmp_path: Path) -> None:
    line = "Van 0.00 0 -1.00 10 20 30 40 2.00 1.80 4.50 1.00 1.70 20.00 -1.57\n"
    ds = items_by_ref(make_tree(tmp_path / "k", {"a": line}))
    [item] = ds.items
    assert item.reference_id == "a"
    assert [a.kind for a in item.annotations] == ["box", "cuboid"]
    assert ds.scenes == []


def test_cuboids_of_a_frame_without_scan_are_reported_not_uploadable_to_nucleus(
    tmp_path: Path,
) -> None:
    line = "Van 0.00 0 -1.00 10 20 30 40 2.00 1.80 4.50 1.00 1.70 20.00 -1.57\n"
    tree = make_tree(tmp_path / "k", {"a": line})
    result = nc.convert(tree, tmp_path / "bundle", from_="kitti", to="nucleus")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("not_uploadable") == 1
    assert "point clouds" in entry.reasons["not_uploadable"]


def test_dontcare_is_a_flagged_box_by_default_and_dropped_on_request(tmp_path: Path) -> None:
    text = (
        "Car 0.00 0 0.10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
        "DontCare -1 -1 -10 500.5 170 590.25 190 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    tree = make_tree(tmp_path / "k", {"f": text}, calib=None)
    [item] = items_by_ref(tree).items
    dc = item.annotations[1]
    assert isinstance(dc, Box)
    assert (dc.label, dc.attributes, dc.x, dc.width) == (
        "DontCare",
        {"dontcare": True},
        500.5,
        89.75,
    )
    dropped = nc.read(tree, "kitti", dontcare="drop")
    [item] = list(dropped.items)
    assert [a.label for a in item.annotations] == ["Car"]
    [entry] = [e for e in dropped.losses if e.kind == "box"]
    assert entry.count("dropped") == 1 and entry.field == "*"
    assert "DontCare" in entry.reasons["dropped"]


def test_unset_truncated_occluded_alpha_are_absent_and_written_back_as_kitti_writes_them(
    tmp_path: Path,
) -> None:
    text = "Misc -1 -1 -10 1.00 2.00 3.00 4.00 -1 -1 -1 -1000 -1000 -1000 -10\n"
    tree = make_tree(tmp_path / "k", {"f": text}, calib=None, image_size=None)
    [item] = items_by_ref(tree).items
    assert item.annotations[0].attributes == {}
    nc.convert(tree, tmp_path / "out", from_="kitti", to="kitti")
    assert (tmp_path / "out" / "label_2" / "f.txt").read_text() == text


def test_score_column_makes_predictions_written_back_with_16_columns(tmp_path: Path) -> None:
    text = "Car 0.00 0 0.50 100.00 120.00 200.00 220.00 1.50 1.60 4.00 2.00 1.50 10.00 0.30 0.87\n"
    tree = make_tree(tmp_path / "k", {"f": text}, scans={"f": np.zeros((1, 4), np.float32)})
    ds = items_by_ref(tree)
    anns = [a for it in ds.items for a in it.annotations]
    assert {(a.kind, a.prediction, a.score) for a in anns} == {
        ("box", True, 0.87),
        ("cuboid", True, 0.87),
    }
    nc.write(ds.stream(), tmp_path / "out", "kitti")
    assert (tmp_path / "out" / "label_2" / "f.txt").read_text() == text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_format_number_stays_within_a_nanometre(value: float) -> None:
    text = format_number(value)
    assert abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))
    assert len(text.split(".")[1]) >= 2


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_format_number_writes_two_decimal_values_as_kitti_does(hundredths: int) -> None:
    value = hundredths / 100
    assert format_number(value) == f"{value:.2f}".replace("-0.00", "0.00")
    # and after a transform that moves it by a few ulps
    assert format_number(math.nextafter(math.nextafter(value, 1e9), 1e9)) == format_number(value)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["Car", "-1", "-10", "0", "1.5", "nan", "inf", "1_0", "x", "٣", "1e400"]
            ),
            st.text(max_size=4),
        ),
        max_size=18,
    )
)
def test_any_label_line_parses_or_is_refused_with_file_and_line(words: list[str]) -> None:
    from nucleus_convert.errors import InputError

    try:
        label = parse_label_line(" ".join(words), Path("l.txt"), 3)
    except InputError as exc:
        assert str(exc).startswith("l.txt:3: ")
        return
    if label is not None:
        assert all(math.isfinite(v) for v in label.box)


# --------------------------------------------------------------------------- round trips


def assert_same_tree(src: Path, back: Path) -> None:
    src_labels = sorted(
        p.relative_to(src) for p in src.rglob("label_2/**/*.txt") if p.read_text().strip()
    )
    assert src_labels == sorted(p.relative_to(back) for p in back.rglob("label_2/**/*.txt"))
    for rel in src_labels:
        assert (back / rel).read_text() == (src / rel).read_text(), rel
    for calib in src.rglob("calib/*.txt"):
        a = parse_calib(calib)
        b = parse_calib(back / calib.relative_to(src))
        for name in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (calib, name)
    for scan in src.rglob("velodyne/*.bin"):
        assert (back / scan.relative_to(src)).read_bytes() == scan.read_bytes()
    for image in src.rglob("image_2/*.png"):
        assert (back / image.relative_to(src)).read_bytes() == image.read_bytes()


def devkit_trees() -> list[Path]:
    """Trees in KITTI's own spelling (the devkit's two decimals): these come back byte for byte."""
    return [FIXTURE, *([] if NO_CORPUS else [KITTI_OBJECT])]


def datumaro_trees() -> list[Path]:
    """datumaro's KITTI test trees that are object trees (its spelling: ``600``, ``-1`` 3D)."""
    if NO_CORPUS:
        return []
    return sorted(p for p in DATUMARO_KITTI.glob("kitti_*") if kitti_format.detect(p))


@pytest.mark.parametrize("tree", devkit_trees(), ids=lambda p: p.parent.name + "/" + p.name)
def test_kitti_to_nucleus_to_kitti_gives_back_the_same_files(tree: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    nc.convert(tree, bundle, from_="kitti", to="nucleus")
    judge_bundle(bundle)
    back = tmp_path / "back"
    result = nc.convert(bundle, back, from_="nucleus", to="kitti")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    assert_same_tree(tree, back)


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_datumaro_kitti_trees_are_all_read() -> None:
    assert [p.name for p in datumaro_trees()] == [
        "kitti_3d",
        "kitti_3d_with_subset",
        "kitti_detection",
        "kitti_segmentation",
    ]


@pytest.mark.parametrize("tree", datumaro_trees(), ids=lambda p: p.name)
@pytest.mark.parametrize("via", ["nucleus", "kitti"])
def test_datumaro_kitti_trees_round_trip_without_loss(tree: Path, via: str, tmp_path: Path) -> None:
    result = roundtrip(tree, via, from_="kitti", workdir=tmp_path, tolerance=0.0)
    assert not result.unexpected, result.report.format_table(only_loss=True)
    kept = {e.kind: e.count("kept") for e in result.report}
    assert kept["item"] >= 1
    assert kept.get("box", 0) + kept.get("segmentation", 0) >= 1


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_corpus_frames_read_with_their_dontcare_regions() -> None:
    ds = items_by_ref(KITTI_OBJECT)
    items = {it.reference_id: it for it in ds.items}
    assert sorted(items) == [
        "training/000000/image_2",
        "training/000000/velodyne",
        "training/000001/image_2",
        "training/000001/velodyne",
    ]
    boxes = items["training/000001/image_2"].annotations
    assert [b.label for b in boxes] == ["Truck", "Car", "Cyclist", *["DontCare"] * 4]
    assert [a.label for a in items["training/000001/velodyne"].annotations] == [
        "Truck",
        "Car",
        "Cyclist",
    ]
    ped = items["training/000000/image_2"].annotations[0]
    assert isinstance(ped, Box)
    assert (ped.x, ped.y) == (712.40, 143.00)
    assert ped.x + ped.width == pytest.approx(810.73, abs=1e-9)
    scan = items["training/000000/velodyne"].media
    assert isinstance(scan, PointCloudMedia) and scan.points is not None
    raw = np.fromfile(KITTI_OBJECT / "training" / "velodyne" / "000000.bin", "<f4").reshape(-1, 4)
    assert np.array_equal(scan.points, raw)


def full_round_trip_ious(tree: Path, tmp_path: Path) -> list[tuple[str, float, float]]:
    """IoU of each qualifying object's label box with its cuboid projected back, after KITTI
    -> Nucleus -> model: (object, IoU through the Nucleus camera, IoU through the file's P2)."""
    bundle = tmp_path / "bundle"
    nc.convert(tree, bundle, from_="kitti", to="nucleus")
    judge_bundle(bundle)
    ds = nc.read(bundle, "nucleus").materialize()
    items = {it.reference_id: it for it in ds.items}
    out = []
    for scene in ds.scenes:
        sensors = scene.frames[0].sensors
        lidar, camera = items[sensors["velodyne"]], items[sensors["image_2"]]
        assert isinstance(camera.media, ImageMedia) and camera.camera is not None
        width, height = camera.media.width, camera.media.height
        assert width and height
        boxes = {b.id: b for b in camera.annotations if isinstance(b, Box)}
        frame_dir = (
            tree / scene.reference_id.rsplit("/", 1)[0] if "/" in scene.reference_id else tree
        )
        calib = parse_calib(frame_dir / "calib" / f"{scene.reference_id.rsplit('/', 1)[-1]}.txt")
        for cub in lidar.annotations:
            assert isinstance(cub, Cuboid)
            box = boxes[cub.id]
            if box.attributes["truncated"] >= 0.1 or box.attributes["occluded"] != 0:
                continue
            label_box = (box.x, box.y, box.x + box.width, box.y + box.height)
            corners = cuboid_corners(cub.position, cub.dimensions, cub.yaw)
            through_camera = clipped_box(pinhole(corners, camera.camera), width, height)
            through_p2 = clipped_box(project_to_image(corners, calib, 2), width, height)
            out.append(
                (
                    f"{cub.id} {cub.label}",
                    iou(through_camera, label_box),
                    iou(through_p2, label_box),
                )
            )
    return out


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_corpus_cuboids_through_nucleus_project_onto_their_2d_boxes(tmp_path: Path) -> None:
    checked = full_round_trip_ious(KITTI_OBJECT, tmp_path)
    assert len(checked) >= 3
    for name, via_camera, via_p2 in checked:
        assert via_camera >= 0.7, f"{name}: IoU {via_camera:.3f} through the Nucleus camera"
        assert via_p2 >= 0.7, f"{name}: IoU {via_p2:.3f} through P2"
        assert via_camera == pytest.approx(via_p2, abs=1e-4)
    print("KITTI corpus, min IoU:", min(c[1] for c in checked), "over", len(checked), "objects")


def test_fixture_cuboids_through_nucleus_project_exactly_onto_their_2d_boxes(
    tmp_path: Path,
) -> None:
    checked = full_round_trip_ious(FIXTURE, tmp_path)
    assert len(checked) == 3  # Car, Truck (frame 0) and Cyclist (frame 1)
    for name, via_camera, via_p2 in checked:
        # The fixture's boxes are the exact projections, printed with two decimals; what is
        # left is KITTI's yaw formula, which ignores the calibration's ~0.7 degree turn.
        assert via_camera >= 0.97, f"{name}: IoU {via_camera:.4f}"
        assert via_p2 >= 0.97, f"{name}: IoU {via_p2:.4f}"


def test_fixture_scan_points_lie_in_their_cuboids(tmp_path: Path) -> None:
    ds = items_by_ref(FIXTURE / "training")
    for item in ds.items:
        if not isinstance(item.media, PointCloudMedia):
            continue
        assert item.media.points is not None
        pts = item.media.points[:, :3].astype(np.float64)
        for cub in item.annotations:
            assert isinstance(cub, Cuboid)
            c, s = math.cos(cub.yaw), math.sin(cub.yaw)
            local = (pts - np.array(cub.position)) @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
            inside = (np.abs(local) <= np.array(cub.dimensions) / 2 + 0.02).all(axis=1)
            assert inside.sum() >= 280, f"{item.reference_id} {cub.label}: {inside.sum()} points"


def test_subsets_become_folders_and_read_back_with_the_same_ids(tmp_path: Path) -> None:
    src = tmp_path / "k"
    make_tree(src / "train", {"000000": "Car 0 0 0 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"})
    nested = src / "val"
    (nested / "label_2" / "city").mkdir(parents=True)
    (nested / "label_2" / "city" / "000001.txt").write_text(
        "Van 0 0 0 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    refs = sorted(it.reference_id for it in nc.read(src, "kitti").items)
    assert refs == ["train/000000", "val/city/000001"]
    nc.convert(src, tmp_path / "out", from_="kitti", to="kitti")
    assert (tmp_path / "out" / "val" / "city" / "label_2" / "000001.txt").is_file()
    assert sorted(it.reference_id for it in nc.read(tmp_path / "out", "kitti").items) == refs


# --------------------------------------------------------------------------- writer


def nucleus_scene(cam: CameraParams | None, annotations: list[Any], tmp_path: Path) -> Dataset:
    image = tmp_path / "img.png"
    Image.new("L", (1200, 360)).save(image)
    lidar = Item(
        "s/lidar",
        media=PointCloudMedia(points=np.zeros((2, 4), np.float32)),
        annotations=annotations,
    )
    camera = Item("s/cam", media=ImageMedia(str(image), 1200, 360), camera=cam)
    return Dataset.of(
        [lidar, camera], scenes=[Scene("s", frames=[Frame({"lidar": "s/lidar", "cam": "s/cam"})])]
    )


HAND_CAMERA = CameraParams(
    position=(0.0, 0.0, 0.0),
    heading=(-0.5, 0.5, -0.5, 0.5),  # camera z -> velodyne x, camera x -> velodyne -y
    fx=700.0,
    fy=700.0,
    cx=600.0,
    cy=180.0,
)


def test_cuboid_without_box_gets_the_projected_box_alpha_and_truncation(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(10.0, -2.0, -0.75), dimensions=(4.0, 1.6, 1.5), yaw=-1.87)
    result = nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    [line] = (tmp_path / "out" / "label_2" / "s.txt").read_text().splitlines()
    words = line.split()
    calib = calibration_from_camera(HAND_CAMERA)
    expected = clipped_box(
        project_to_image(cuboid_corners(cub.position, cub.dimensions, cub.yaw), calib), 1200, 360
    )
    assert [float(w) for w in words[4:8]] == pytest.approx(expected, abs=0.005)
    assert words[0] == "Car" and words[1] == "0.00" and words[2] == "-1"
    h, w, length, x, y, z, ry = (float(v) for v in words[8:15])
    assert (h, w, length) == (1.5, 1.6, 4.0)
    assert (x, y, z) == pytest.approx((2.0, 1.5, 10.0), abs=1e-9)
    assert ry == pytest.approx(1.87 - math.pi / 2, abs=1e-9)
    assert float(words[3]) == pytest.approx(ry - math.atan2(2.0, 10.0), abs=1e-9)
    assert result.summary.counts["2D boxes projected from cuboids"] == 1
    assert (tmp_path / "out" / "calib" / "s.txt").is_file()
    assert (tmp_path / "out" / "velodyne" / "s.bin").stat().st_size == 32


def test_cuboid_partly_outside_the_image_reports_its_truncation(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(8.0, 5.0, -0.75), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    words = (tmp_path / "out" / "label_2" / "s.txt").read_text().split()
    uv = project_to_image(
        cuboid_corners(cub.position, cub.dimensions, cub.yaw), calibration_from_camera(HAND_CAMERA)
    )
    full = (uv[:, 0].max() - uv[:, 0].min()) * (uv[:, 1].max() - uv[:, 1].min())
    lo = np.maximum(uv.min(axis=0), 0)
    hi = np.minimum(uv.max(axis=0), [1199, 359])
    assert uv[:, 0].min() < 0  # the premise: it sticks out on the left
    assert float(words[1]) == pytest.approx(1 - (hi - lo).prod() / full, abs=0.005)


def test_cuboid_behind_the_camera_is_dropped_and_reported(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(-10.0, 0.0, 0.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    assert not (tmp_path / "out" / "label_2").exists()
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1


def test_cuboids_without_any_calibration_are_dropped_and_reported(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(10.0, 0.0, 0.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(None, [cub], tmp_path), tmp_path / "out", "kitti")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1
    assert not (tmp_path / "out" / "calib").exists()


def test_camera_facing_sideways_refuses_to_write_rotation_y(tmp_path: Path) -> None:
    sideways = CameraParams(
        position=(0.0, 0.0, 0.0), heading=(0.0, 0.0, 0.0, 1.0), fx=1, fy=1, cx=0, cy=0
    )
    cub = Cuboid(label="Car", position=(0.0, 0.0, 10.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(sideways, [cub], tmp_path), tmp_path / "out", "kitti")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1
    assert "rotation_y" in entry.reasons["dropped"]


def test_edited_camera_wins_over_the_stored_calibration(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path / "k",
        {"f": "Car 0 0 0.5 100 120 200 220 1.5 1.6 4.0 2.0 1.5 10.0 0.3\n"},
        scans={"f": np.zeros((1, 4), np.float32)},
    )
    ds = items_by_ref(tree)
    for item in ds.items:
        if item.camera is not None:
            item.camera.fx = 800.0
    result = nc.write(ds.stream(), tmp_path / "out", "kitti")
    assert parse_calib(tmp_path / "out" / "calib" / "f.txt").P2[0, 0] == 800.0
    assert any(e.field == "metadata.kitti_calib" and e.count("changed") for e in result.report)


def test_coco_boxes_become_2d_only_lines_and_other_kinds_are_reported(tmp_path: Path) -> None:
    coco = ROOT / "fixtures" / "coco" / "instances_demo.json"
    result = nc.convert(
        coco, tmp_path / "out", from_="coco", to="kitti", write_options={"images": "none"}
    )
    lines = [
        ln
        for p in (tmp_path / "out" / "label_2").glob("*.txt")
        for ln in p.read_text().splitlines()
    ]
    assert lines
    assert all(ln.endswith(" -1 -1 -1 -1000 -1000 -1000 -10") for ln in lines)
    assert all(" " not in ln.split(" -1 ")[0].split()[0] for ln in lines)
    lossy = {e.kind for e in result.report.lossy_entries()}
    assert "polygon" in lossy or "instance_mask" in lossy


def test_labels_with_spaces_are_written_as_one_word_and_reported(tmp_path: Path) -> None:
    ds = Dataset.of(
        [Item("a", annotations=[Box(label="traffic light", x=1, y=2, width=3, height=4)])]
    )
    result = nc.write(ds, tmp_path / "out", "kitti")
    assert (
        (tmp_path / "out" / "label_2" / "a.txt")
        .read_text()
        .startswith("traffic_light -1 -1 -10 1.00 2.00 4.00 6.00")
    )
    assert any(e.field == "label" and e.count("changed") for e in result.report)


def test_track_ids_and_other_attributes_are_reported_as_dropped(tmp_path: Path) -> None:
    box = Box(label="Car", x=1, y=2, width=3, height=4, track_id="t1", attributes={"color": "red"})
    result = nc.write(Dataset.of([Item("a", annotations=[box])]), tmp_path / "out", "kitti")
    fields = {e.field for e in result.report if e.count("dropped")}
    assert {"track_id", "attributes.color"} <= fields


# --------------------------------------------------------------------------- kit


def test_kitti_passes_the_conformance_kit(tmp_path: Path) -> None:
    work = tmp_path / "work"
    samples = [FIXTURE]
    report = check_format("kitti", samples, workdir=work)
    assert report.passed, str(report)


def test_bundled_fixture_is_what_its_generator_makes(tmp_path: Path) -> None:
    script = ROOT / "fixtures" / "kitti" / "make_kitti_fixture.py"
    copy = tmp_path / "make_kitti_fixture.py"
    shutil.copy(script, copy)
    import runpy

    runpy.run_path(str(copy), run_name="__main__")
    made = tmp_path / "object"
    for path in FIXTURE.rglob("*"):
        if path.is_file():
            assert (made / path.relative_to(FIXTURE)).read_bytes() == path.read_bytes(), path


# --------------------------------------------------------------------------- segmentation


def instance_png(path: Path, values: list[list[int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array(values, dtype=np.uint16)).save(path)


def test_instance_png_becomes_cityscapes_segments_with_instance_ids(tmp_path: Path) -> None:
    # 26 = car, 24 = person, 7 = road: two cars, a person, road
    values = [[7 * 256, 26 * 256 + 1, 26 * 256 + 2], [24 * 256 + 1, 7 * 256, 26 * 256 + 1]]
    instance_png(tmp_path / "k" / "instance" / "000000_10.png", values)
    [item] = items_by_ref(tmp_path / "k").items
    [seg] = item.annotations
    assert isinstance(seg, Segmentation) and seg.id == "instance"
    assert [(s.index, s.label, s.attributes) for s in seg.segments] == [
        (0, "road", None),
        (1, "person", {"instance": 1}),
        (2, "car", {"instance": 1}),
        (3, "car", {"instance": 2}),
    ]
    assert seg.mask.load().tolist() == [[0, 2, 3], [1, 0, 2]]
    nc.convert(tmp_path / "k", tmp_path / "out", from_="kitti", to="kitti")
    back = np.asarray(Image.open(tmp_path / "out" / "instance" / "000000_10.png"))
    assert back.tolist() == values
    semantic = np.asarray(Image.open(tmp_path / "out" / "semantic" / "000000_10.png"))
    assert semantic.tolist() == [[7, 26, 26], [24, 7, 26]]


def test_semantic_only_png_reads_as_a_semantic_segmentation(tmp_path: Path) -> None:
    path = tmp_path / "k" / "semantic" / "a.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(np.array([[0, 23], [23, 21]], dtype=np.uint8)).save(path)
    [item] = items_by_ref(tmp_path / "k").items
    [seg] = item.annotations
    assert isinstance(seg, Segmentation) and seg.id == "semantic"
    assert [s.label for s in seg.segments] == ["unlabeled", "vegetation", "sky"]
    nc.convert(tmp_path / "k", tmp_path / "out", from_="kitti", to="kitti")
    assert not (tmp_path / "out" / "instance").exists()
    back = np.asarray(Image.open(tmp_path / "out" / "semantic" / "a.png"))
    assert back.tolist() == [[0, 23], [23, 21]]


def test_kitti_segmentation_through_nucleus_keeps_every_pixel(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    values = (rng.integers(0, 34, (40, 60)) * 256 + rng.integers(0, 3, (40, 60))).tolist()
    instance_png(tmp_path / "k" / "instance" / "f.png", values)
    (tmp_path / "k" / "image_2").mkdir()
    Image.new("RGB", (60, 40)).save(tmp_path / "k" / "image_2" / "f.png")
    nc.convert(tmp_path / "k", tmp_path / "bundle", from_="kitti", to="nucleus")
    judge_bundle(tmp_path / "bundle")
    nc.convert(tmp_path / "bundle", tmp_path / "back", from_="nucleus", to="kitti")
    back = np.asarray(Image.open(tmp_path / "back" / "instance" / "f.png"))
    assert back.tolist() == values


def test_segment_without_a_cityscapes_class_is_unlabeled_and_reported(tmp_path: Path) -> None:
    seg = Segmentation(
        id="instance",
        mask=MaskRef(array=np.array([[0, 1]], dtype=np.uint8)),
        segments=[Segment(0, "road"), Segment(1, "unicorn")],
    )
    result = nc.write(Dataset.of([Item("a", annotations=[seg])]), tmp_path / "out", "kitti")
    back = np.asarray(Image.open(tmp_path / "out" / "instance" / "a.png"))
    assert back.tolist() == [[7 * 256, 0]]
    assert any(e.kind == "segmentation" and e.count("dropped") for e in result.report)


def test_more_than_256_classes_and_instances_is_an_error_naming_the_png(tmp_path: Path) -> None:
    values = [[26 * 256 + i % 256 for i in range(200)], [27 * 256 + i % 256 for i in range(200)]]
    instance_png(tmp_path / "k" / "instance" / "f.png", values)
    with pytest.raises(nc.InputError, match="256") as info:
        nc.read(tmp_path / "k", "kitti").materialize()
    assert str(info.value).startswith(str(tmp_path / "k" / "instance" / "f.png"))


def test_class_id_past_cityscapes_is_an_error_naming_the_png(tmp_path: Path) -> None:
    instance_png(tmp_path / "k" / "instance" / "f.png", [[40 * 256]])
    with pytest.raises(nc.InputError, match="class id 40"):
        nc.read(tmp_path / "k", "kitti")


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_corpus_instance_pngs_read_with_their_classes_and_instances() -> None:
    ds = items_by_ref(DATUMARO_KITTI / "kitti_segmentation")
    segs = {it.reference_id: it.annotations[0] for it in ds.items}
    seg = segs["training/000030_10"]
    assert isinstance(seg, Segmentation)
    # pixel values 768 (3 * 256: out of roi), 6913 and 6914 (27 * 256 + 1, + 2: trucks)
    assert [(s.label, s.attributes) for s in seg.segments] == [
        ("out of roi", None),
        ("truck", {"instance": 1}),
        ("truck", {"instance": 2}),
    ]
    assert seg.mask.load().tolist() == [[0, 0, 1, 2, 2]]
