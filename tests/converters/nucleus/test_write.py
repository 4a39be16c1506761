"""The nucleus bundle writer: what it cannot carry is counted in the loss report, never dropped
silently; an error leaves the destination as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from cli_runner import run_cli
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.geometry.rle import encode
from nucleus_convert.loss import LossReport

FIXTURE = FIXTURES / "nucleus"


def _write(tmp_path: Path, *annotations: nc.Annotation) -> tuple[LossReport, Path]:
    ds = nc.Dataset.of(
        [nc.Item("a", media=nc.ImageMedia("a.jpg", 4, 3), annotations=list(annotations))]
    )
    result = nc.write(ds, tmp_path / "b", "nucleus")
    return result.report, result.path


def _row(report: LossReport, kind: str, field: str) -> dict[str, int]:
    entry = report.entries[(kind, field)]
    return dict(entry.counts)


def test_instance_masks_become_segments_of_one_index_mask_and_are_reported(
    tmp_path: Path,
) -> None:
    rle = {"size": [3, 4], "counts": [0, 12]}
    report, path = _write(
        tmp_path,
        nc.InstanceMask(label="car", rle=rle),
        nc.Box(label="car", x=0, y=0, width=1, height=1),
    )
    assert _row(report, "instance_mask", "*") == {"approximated": 1}
    assert "segment" in report.entries[("instance_mask", "*")].reasons["approximated"]
    manifest = orjson.loads((path / "manifest.json").read_bytes())
    rows = [r for r in manifest["loss"] if r["kind"] == "instance_mask"]
    assert [(r["field"], r["approximated"]) for r in rows] == [("*", 1)]
    (line,) = (path / "annotations.jsonl").read_text().splitlines()[1:]
    assert orjson.loads(line)["annotations"] == [
        {"label": "car", "index": 1, "metadata": {"coco_rle": "uncompressed"}}
    ]


def test_fields_a_payload_type_lacks_are_counted(tmp_path: Path) -> None:
    mask = np.zeros((3, 4), dtype=np.uint8)
    report, _ = _write(
        tmp_path,
        nc.Segmentation(
            mask=nc.MaskRef(array=mask),
            segments=[nc.Segment(0, "bg")],
            score=0.5,
            attributes={"k": 1},
        ),
        nc.ImageCategory(label="day", id="cat-1"),
        nc.Polyline(label="l", points=[(0, 0), (1, 1)], extra={"embedding_vector": [0.1]}),
        nc.SceneCategory(label="x", score=0.5, class_pdf={"x": 1.0}),
        nc.MultiCategory(labels=["a", "b"], score=0.2),
    )
    assert _row(report, "segmentation", "score") == {"dropped": 1}
    assert _row(report, "segmentation", "attributes") == {"dropped": 1}
    assert _row(report, "category", "id") == {"dropped": 1}
    assert _row(report, "polyline", "extra.embedding_vector") == {"dropped": 1}
    assert _row(report, "scene_category", "class_pdf") == {"dropped": 1}
    assert _row(report, "multicategory", "*") == {"dropped": 1}


def test_score_on_ground_truth_only_happens_through_prediction_flag(tmp_path: Path) -> None:
    box = nc.Box(label="car", x=0, y=0, width=1, height=1, score=0.3)
    assert box.prediction is True
    report, path = _write(tmp_path, box)
    assert (path / "predictions.jsonl").is_file() and not (path / "annotations.jsonl").exists()
    assert not report.has_loss()


def test_mask_that_disagrees_with_the_image_size_is_refused(tmp_path: Path) -> None:
    ds = nc.Dataset.of(
        [
            nc.Item(
                "a",
                media=nc.ImageMedia("a.jpg", 4, 3),
                annotations=[
                    nc.Segmentation(
                        mask=nc.MaskRef(array=np.zeros((5, 5), dtype=np.uint8)), segments=[]
                    )
                ],
            )
        ]
    )
    try:
        nc.write(ds, tmp_path / "b", "nucleus")
    except nc.OutputError as exc:
        assert "mask is 5x5 but the image is 4x3" in str(exc)
    else:
        raise AssertionError("expected an OutputError")
    assert not (tmp_path / "b").exists()


def test_error_while_writing_leaves_the_existing_destination_untouched(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "keep.txt").write_text("mine")
    bad = nc.Dataset.of([nc.Item("a", media=nc.ImageMedia("a.jpg"), metadata={"k": float("nan")})])
    with pytest.raises(nc.OutputError, match=r"metadata\.k: nan is not allowed"):
        nc.write(bad, dst, "nucleus", overwrite=True)
    assert [p.name for p in dst.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_non_empty_destination_is_refused_without_overwrite(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "x").write_text("x")
    proc = run_cli("convert", str(FIXTURE), str(dst))
    assert proc.returncode == 2
    assert "exists and is not empty; pass --overwrite" in proc.stderr
    ok = run_cli("convert", str(FIXTURE), str(dst), "--overwrite")
    assert ok.returncode == 0, ok.stderr
    assert (dst / "manifest.json").is_file() and not (dst / "x").exists()


def _lossy_rows(report: LossReport) -> dict[tuple[str, str], dict[str, int]]:
    return {(e.kind, e.field): dict(e.counts) for e in report.lossy_entries()}


def test_fields_no_payload_holds_are_counted_by_the_field_ledger(tmp_path: Path) -> None:
    mask = np.zeros((3, 4), dtype=np.uint8)
    report, _ = _write(
        tmp_path,
        nc.Segmentation(label="scene", mask=nc.MaskRef(array=mask), segments=[], track_id="t"),
        nc.MultiCategory(label="stray", labels=["a"]),
    )
    assert _lossy_rows(report) == {
        ("segmentation", "label"): {"dropped": 1},
        ("segmentation", "track_id"): {"dropped": 1},
        ("multicategory", "label"): {"dropped": 1},
    }
    reasons = report.entries[("segmentation", "label")].reasons
    assert reasons["dropped"] == "Nucleus segmentation payloads have no such field"
    assert "labels, not a label" in report.entries[("multicategory", "label")].reasons["dropped"]


def test_scene_category_track_and_category_id_are_counted(tmp_path: Path) -> None:
    ds = nc.Dataset.of(
        [nc.Item("lidar", media=nc.PointCloudMedia(points=np.zeros((1, 4), np.float32)))],
        scenes=[
            nc.Scene(
                "s",
                frames=[nc.Frame({"lidar": "lidar"})],
                annotations=[nc.SceneCategory(label="x", id="c-1", track_id="t")],
            )
        ],
    )
    report = nc.write(ds, tmp_path / "b", "nucleus", workers=1).report
    assert _lossy_rows(report) == {
        ("scene_category", "id"): {"dropped": 1},
        ("scene_category", "track_id"): {"dropped": 1},
    }
    assert report.entries[("scene_category", "track_id")].reasons["dropped"] == (
        "scene categories have no track"
    )


def test_item_extra_keys_without_a_place_are_counted_by_name(tmp_path: Path) -> None:
    info = {"index_id": "idx", "embedding_vector": [0.5, 1, -2.0]}
    item = nc.Item("a", media=nc.ImageMedia("a.jpg"), extra={"embedding_info": info, "calib": "x"})
    result = nc.write(nc.Dataset.of([item]), tmp_path / "b", "nucleus")
    assert _lossy_rows(result.report) == {("item", "calib"): {"dropped": 1}}
    (line,) = (result.path / "items.jsonl").read_bytes().splitlines()
    assert orjson.loads(line)["embedding_info"] == info


@pytest.mark.parametrize(
    "info",
    [
        {"v": 1},
        {"index_id": 3, "embedding_vector": []},
        {"index_id": "i", "embedding_vector": [True]},
    ],
)
def test_embedding_info_not_in_the_clients_shape_is_dropped_and_counted(
    tmp_path: Path, info: object
) -> None:
    item = nc.Item("a", media=nc.ImageMedia("a.jpg"), extra={"embedding_info": info})
    result = nc.write(nc.Dataset.of([item]), tmp_path / "b", "nucleus")
    assert _lossy_rows(result.report) == {("item", "embedding_info"): {"dropped": 1}}
    (line,) = (result.path / "items.jsonl").read_bytes().splitlines()
    assert "embedding_info" not in orjson.loads(line)


def test_an_item_without_media_counts_each_field_it_loses(tmp_path: Path) -> None:
    camera = nc.CameraParams((0, 0, 0), (0, 0, 0, 1), 1, 1, 0, 0)
    item = nc.Item(
        "a",
        metadata={"k": 1},
        camera=camera,
        extra={"x": 1},
        annotations=[nc.Box(label="b", x=0, y=0, width=1, height=1)],
    )
    report = nc.write(nc.Dataset.of([item]), tmp_path / "b", "nucleus").report
    rows = _lossy_rows(report)
    assert rows == {(("item", f)): {"dropped": 1} for f in ("metadata", "camera", "extra")}
    assert report.entries[("item", "camera")].reasons["dropped"] == (
        "item without media: no DatasetItem written"
    )


@pytest.mark.parametrize(
    ("masks", "dropped"),
    [
        ("segmentation", {"id", "track_id", "class_pdf", "extra"}),
        ("polygons", {"track_id", "class_pdf", "extra"}),
    ],
)
def test_instance_mask_fields_the_conversion_does_not_keep_are_counted(
    tmp_path: Path, masks: str, dropped: set[str]
) -> None:
    pixels = np.zeros((3, 4), dtype=np.uint8)
    pixels[1:3, 1:3] = 1
    mask = nc.InstanceMask(
        label="car",
        id="m-1",
        rle=encode(pixels),
        track_id="t",
        class_pdf={"car": 1.0},
        extra={"k": 1},
        attributes={"a": 1},
    )
    ds = nc.Dataset.of([nc.Item("a", media=nc.ImageMedia("a.jpg", 4, 3), annotations=[mask])])
    report = nc.write(ds, tmp_path / "b", "nucleus", masks=masks).report
    rows = {
        f for (k, f), c in _lossy_rows(report).items() if k == "instance_mask" and "dropped" in c
    }
    assert rows == dropped
