"""The COCO <-> model <-> Nucleus mapping, field by field, on small hand-made files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from judge import judge_bundle, lines
from paths import FIXTURES
from pycocotools import mask as mask_utils

import nucleus_convert as nc
from nucleus_convert.model import Visibility

KEYPOINTS: dict[str, Any] = {
    "info": {"year": 2017},
    "licenses": [{"id": 1, "name": "cc", "url": ""}],
    "images": [
        {"id": 10, "file_name": "a.jpg", "width": 8, "height": 6, "license": 1},
        {"id": 11, "file_name": "b.jpg", "width": 8, "height": 6, "license": 1},
    ],
    "categories": [
        {
            "id": 1,
            "name": "person",
            "supercategory": "person",
            "keypoints": ["nose", "left_eye", "right_eye"],
            "skeleton": [[1, 2], [1, 3]],
        },
        {"id": 5, "name": "unused", "supercategory": "thing"},
    ],
    "annotations": [
        {
            "id": 100,
            "image_id": 10,
            "category_id": 1,
            "bbox": [1.5, 1.25, 4.0, 3.0],
            "segmentation": [[1, 1, 5, 1, 5, 4], [6, 1, 7, 1, 7, 2]],
            "keypoints": [2.5, 2.0, 2, 3.0, 1.5, 1, 0, 0, 0],
            "num_keypoints": 2,
            "area": 7.5,
            "iscrowd": 0,
            "occluded": False,
        }
    ],
}


def _write(tmp_path: Path, data: Any, name: str = "src.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(data))
    return path


def _bundle(tmp_path: Path, data: Any, **write_options: str) -> Path:
    src = _write(tmp_path, data)
    nc.convert(src, tmp_path / "bundle", from_="coco", write_options=write_options)
    judge_bundle(tmp_path / "bundle")
    return tmp_path / "bundle"


def test_one_coco_object_becomes_grouped_box_polygons_and_keypoints(tmp_path: Path) -> None:
    ds = nc.read(_write(tmp_path, KEYPOINTS), "coco")
    item = next(ds.items)
    assert item.reference_id == "a.jpg"
    assert item.metadata == {"coco_image_id": 10, "license": 1}
    kinds = [(a.kind, a.id, a.group_id) for a in item.annotations]
    assert kinds == [
        ("box", "100", "100"),
        ("polygon", "100.0", "100"),
        ("polygon", "100.1", "100"),
        ("keypoints", "100.keypoints", "100"),
    ]
    attrs = item.annotations[0].attributes
    assert attrs == {
        "coco_id": 100,
        "area": 7.5,
        "iscrowd": 0,
        "num_keypoints": 2,
        "occluded": False,
    }
    kp = item.annotations[3]
    assert isinstance(kp, nc.Keypoints)
    assert [p.visibility for p in kp.points] == [
        Visibility.VISIBLE,
        Visibility.HIDDEN,
        Visibility.UNLABELLED,
    ]
    assert kp.skeleton == [(0, 1), (0, 2)]  # COCO's 1-based edges, 0-based in the model
    assert ds.header.skeletons["person"].names == ["nose", "left_eye", "right_eye"]
    assert [c.name for c in ds.header.categories] == ["person", "unused"]


def test_keypoint_visibility_maps_to_nucleus_visible_and_coordinates(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, KEYPOINTS)
    (kp,) = [p for p in lines(bundle / "annotations.jsonl") if p["type"] == "keypoints"]
    assert kp["geometry"]["keypoints"] == [
        {"x": 2.5, "y": 2.0, "visible": True},
        {"x": 3.0, "y": 1.5, "visible": False},
        {"x": None, "y": None, "visible": False},
    ]
    assert kp["geometry"]["skeleton"] == [[0, 1], [0, 2]]
    assert kp["metadata"]["group_id"] == "100"


def test_unused_categories_info_and_licenses_survive_nucleus(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, KEYPOINTS)
    nc.convert(bundle, tmp_path / "back.json", to="coco")
    back = orjson.loads((tmp_path / "back.json").read_bytes())
    assert back["categories"] == KEYPOINTS["categories"]
    assert back["info"] == KEYPOINTS["info"] and back["licenses"] == KEYPOINTS["licenses"]
    assert back["images"] == KEYPOINTS["images"]
    assert back["annotations"] == KEYPOINTS["annotations"]


def test_area_and_ids_are_made_with_pycocotools_where_the_source_had_none(tmp_path: Path) -> None:
    ring = [0.5, 0.5, 6.5, 0.5, 6.5, 4.5, 0.5, 4.5]
    ds = nc.Dataset.of(
        [
            nc.Item(
                reference_id="x.jpg",
                media=nc.ImageMedia("x.jpg", width=8, height=6),
                annotations=[
                    nc.Polygon(
                        label="car",
                        group_id="g",
                        points=list(zip(ring[::2], ring[1::2], strict=True)),
                    ),
                    nc.Box(label="car", group_id="g", x=0.5, y=0.5, width=6, height=4),
                    nc.Box(label="bus", x=1, y=1, width=2, height=2),
                ],
            )
        ]
    )
    nc.write(ds, tmp_path / "out.json", "coco")
    out = orjson.loads((tmp_path / "out.json").read_bytes())
    car, bus = out["annotations"]
    expected = mask_utils.area(mask_utils.merge(mask_utils.frPyObjects([ring], 6, 8)))
    assert car["area"] == float(expected) and car["segmentation"] == [ring]
    assert bus["area"] == 4.0 and bus["segmentation"] == [] and bus["iscrowd"] == 0
    assert sorted(a["id"] for a in out["annotations"]) == [1, 2]
    assert [c["name"] for c in out["categories"]] == ["car", "bus"]
    assert out["images"][0]["id"] == 1


def test_results_resolve_image_ids_through_an_instances_file(tmp_path: Path) -> None:
    images = _write(tmp_path, KEYPOINTS, "instances.json")
    results = [
        {"image_id": 11, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.75},
        {"image_id": 10, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5},
    ]
    src = _write(tmp_path, results, "results.json")
    nc.convert(src, tmp_path / "bundle", read_options={"images": str(images)})
    judge_bundle(tmp_path / "bundle")
    preds = lines(tmp_path / "bundle" / "predictions.jsonl")
    assert [(p["reference_id"], p["label"], p["confidence"]) for p in preds] == [
        ("a.jpg", "person", 0.5),
        ("b.jpg", "person", 0.75),
    ]
    assert not (tmp_path / "bundle" / "annotations.jsonl").exists()
    nc.convert(tmp_path / "bundle", tmp_path / "back.json", to="coco")
    back = orjson.loads((tmp_path / "back.json").read_bytes())
    assert sorted(back, key=lambda r: r["score"]) == sorted(results, key=lambda r: r["score"])


def test_results_without_images_keep_their_ids_as_reference_ids(tmp_path: Path) -> None:
    src = _write(tmp_path, [{"image_id": 42, "category_id": 18, "bbox": [0, 0, 1, 1], "score": 1}])
    item = next(nc.read(src, "coco").items)
    assert item.reference_id == "42" and item.annotations[0].label == "18"
    assert item.annotations[0].prediction


def test_ground_truth_and_predictions_go_to_the_file_the_content_option_names(
    tmp_path: Path,
) -> None:
    item = nc.Item(
        reference_id="1",
        media=nc.ImageMedia("1.jpg", width=4, height=4),
        annotations=[
            nc.Box(label="a", x=0, y=0, width=1, height=1),
            nc.Box(label="a", x=0, y=0, width=2, height=2, score=0.5),
        ],
    )
    result = nc.write(nc.Dataset.of([item]), tmp_path / "gt.json", "coco")
    # the prediction is counted under its own kind (the model has no kind "prediction")
    assert result.report.entries[("box", "*")].count("dropped") == 1
    assert result.report.entries[("box", "*")].count("kept") == 1
    assert "content=predictions" in result.report.entries[("box", "*")].reasons["dropped"]
    item2 = copy.deepcopy(item)
    result = nc.write(nc.Dataset.of([item2]), tmp_path / "dt.json", "coco", content="predictions")
    assert orjson.loads((tmp_path / "dt.json").read_bytes()) == [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "score": 0.5}
    ]


def test_masks_polygons_option_traces_masks_and_reports_pixel_iou(tmp_path: Path) -> None:
    mask = np.zeros((6, 8), dtype=np.uint8, order="F")
    mask[1:5, 2:7] = 1
    rle = mask_utils.encode(mask)
    data = copy.deepcopy(KEYPOINTS)
    data["annotations"] = [
        {
            "id": 1,
            "image_id": 10,
            "category_id": 5,
            "bbox": [2, 1, 5, 4],
            "segmentation": {"size": [6, 8], "counts": rle["counts"].decode()},
            "area": 20,
            "iscrowd": 1,
        }
    ]
    bundle = _bundle(tmp_path, data, masks="polygons")
    manifest = orjson.loads((bundle / "manifest.json").read_bytes())
    (row,) = [r for r in manifest["loss"] if r["field"].startswith("rle.traced")]
    assert row["approximated"] == 1 and "IoU" in row["examples"][0]
    polys = [p for p in lines(bundle / "annotations.jsonl") if p["type"] == "polygon"]
    assert len(polys) == 1 and polys[0]["metadata"]["group_id"] == "1"
    iou = float(row["examples"][0].rsplit("IoU ", 1)[1])
    vertices = [c for v in polys[0]["geometry"]["vertices"] for c in (v["x"], v["y"])]
    traced = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([vertices], 6, 8)))
    inter = np.count_nonzero(traced & mask)
    assert iou == pytest.approx(inter / np.count_nonzero(traced | mask), abs=1e-4)
    assert iou > 0.5


def test_reference_id_option_uses_the_image_id_and_keeps_the_file_name(tmp_path: Path) -> None:
    src = _write(tmp_path, KEYPOINTS)
    ds = nc.read(src, "coco", reference_id="id", image_root="s3://bucket/val2017/")
    item = next(ds.items)
    assert item.reference_id == "10" and item.metadata["file_name"] == "a.jpg"
    assert isinstance(item.media, nc.ImageMedia)
    assert item.media.path == "s3://bucket/val2017/a.jpg"


_coord = st.floats(min_value=0, max_value=63, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def _coco_annotation(draw: st.DrawFn, ann_id: int) -> dict[str, Any]:
    rings = draw(
        st.lists(
            st.lists(_coord, min_size=6, max_size=20).filter(lambda r: len(r) % 2 == 0), max_size=3
        )
    )
    x, y = draw(_coord), draw(_coord)
    ann: dict[str, Any] = {
        "id": ann_id,
        "image_id": 1,
        "category_id": draw(st.sampled_from([1, 3])),
        "bbox": [x, y, draw(_coord), draw(_coord)],
        "segmentation": rings,
        "area": draw(_coord),
        "iscrowd": 0,
    }
    if ann["category_id"] == 1:
        n = 3
        kps: list[float] = []
        for _ in range(n):
            v = draw(st.sampled_from([0, 1, 2]))
            kps += [0, 0, 0] if v == 0 else [draw(_coord), draw(_coord), v]
        ann["keypoints"] = kps
        ann["num_keypoints"] = sum(1 for i in range(2, len(kps), 3) if kps[i])
    return ann


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_coco_objects_survive_nucleus_exactly(tmp_path: Path, data: st.DataObject) -> None:
    anns = [data.draw(_coco_annotation(i)) for i in range(1, data.draw(st.integers(1, 5)) + 1)]
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 64}],
        "categories": [
            {"id": 1, "name": "p", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3]]},
            {"id": 3, "name": "q"},
        ],
        "annotations": anns,
    }
    src = tmp_path / "r.json"
    src.write_bytes(orjson.dumps(coco))
    nc.convert(src, tmp_path / "b", from_="coco", overwrite=True)
    nc.convert(tmp_path / "b", tmp_path / "back.json", to="coco", overwrite=True)
    back = orjson.loads((tmp_path / "back.json").read_bytes())
    assert back["annotations"] == anns
    assert back["categories"] == coco["categories"]


COCO_FIXTURE = FIXTURES / "coco"


def test_bundled_coco_fixture_goes_through_nucleus_unchanged(tmp_path: Path) -> None:
    src = COCO_FIXTURE / "instances_demo.json"
    nc.convert(src, tmp_path / "bundle")
    judge_bundle(tmp_path / "bundle")
    nc.convert(tmp_path / "bundle", tmp_path / "back.json", to="coco")
    original = orjson.loads(src.read_bytes())
    back = orjson.loads((tmp_path / "back.json").read_bytes())
    for key in ("info", "licenses", "images", "categories", "annotations"):
        assert back[key] == original[key], key


def test_bundled_results_fixture_becomes_predictions_on_the_fixture_images(tmp_path: Path) -> None:
    result = nc.convert(
        COCO_FIXTURE / "results_demo.json",
        tmp_path / "bundle",
        read_options={"images": str(COCO_FIXTURE / "instances_demo.json")},
    )
    judge_bundle(tmp_path / "bundle")
    preds = lines(tmp_path / "bundle" / "predictions.jsonl")
    assert {p["type"] for p in preds} == {"box", "mask"}
    assert all(p["reference_id"].endswith(".jpg") for p in preds)
    assert not result.report.has_loss() or all(
        e.kind == "instance_mask" for e in result.report.lossy_entries()
    )
