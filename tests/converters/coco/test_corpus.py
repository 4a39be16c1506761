"""COCO -> Nucleus -> COCO on every COCO file of the shared corpus, checked at the JSON level.

The references are the original files and pycocotools (masks are compared as decoded pixels);
every Nucleus payload written on the way is judged by the official client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from judge import judge_bundle
from paths import CORPUS
from PIL import Image
from pycocotools import mask as mask_utils

import nucleus_convert as nc

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

COCO_FILES = sorted(
    [*CORPUS.glob("coco/**/*.json"), *CORPUS.glob("datumaro/coco_dataset/**/*.json")]
)
# datumaro's coco_panoptic/panoptic_train.json points at a 5x5 placeholder PNG for a 10x5
# image whose pixels carry a segment id that segments_info does not list: it is read with
# on_error=skip and the panoptic annotation is reported, never converted into garbage.
BROKEN_PANOPTIC = CORPUS / "datumaro/coco_dataset/coco_panoptic/annotations/panoptic_train.json"


def _pixels(rle: dict[str, Any]) -> np.ndarray[Any, Any]:
    h, w = rle["size"]
    if isinstance(rle["counts"], list):
        rle = mask_utils.frPyObjects(rle, h, w)
    elif isinstance(rle["counts"], str):
        rle = {"size": [h, w], "counts": rle["counts"].encode()}
    return np.asarray(mask_utils.decode(rle))


def _through_nucleus(src: Path, tmp: Path, **read_options: str) -> Any:
    nc.convert(src, tmp / "bundle", from_="coco", to="nucleus", read_options=read_options)
    judge_bundle(tmp / "bundle")
    # task=instances: a panoptic source comes back as instances here (the panoptic writer,
    # task=auto, is held to the same files in test_panoptic_write.py)
    nc.convert(
        tmp / "bundle", tmp / "back.json", from_="nucleus", to="coco",
        write_options={"task": "instances"},
    )  # fmt: skip
    return orjson.loads((tmp / "back.json").read_bytes())


def _same_annotation(a: dict[str, Any], b: dict[str, Any]) -> None:
    sa, sb = a.get("segmentation"), b.get("segmentation")
    if isinstance(sa, dict):
        assert isinstance(sb, dict), (a, b)
        assert sa["size"] == sb["size"]
        assert np.array_equal(_pixels(sa), _pixels(sb)), f"mask of annotation {a.get('id')}"
        a = {k: v for k, v in a.items() if k != "segmentation"}
        b = {k: v for k, v in b.items() if k != "segmentation"}
    assert a == b


def _compare_dataset(src: Path, original: dict[str, Any], back: dict[str, Any]) -> None:
    assert back["info"] == original["info"]
    assert back["licenses"] == original["licenses"]
    assert sorted(back["images"], key=lambda i: i["id"]) == sorted(
        original["images"], key=lambda i: i["id"]
    )
    assert back["categories"] == original["categories"]
    if any("segments_info" in a for a in original["annotations"]):
        _compare_panoptic(src, original, back)
        return
    by_id = {a["id"]: a for a in back["annotations"]}
    assert len(by_id) == len(back["annotations"]) == len(original["annotations"])
    for a in original["annotations"]:
        _same_annotation(a, by_id[a["id"]])


def _compare_panoptic(src: Path, original: dict[str, Any], back: dict[str, Any]) -> None:
    """Panoptic segments come back as RLE instances with their ids, labels and pixels."""
    by_id = {a["id"]: a for a in back["annotations"]}
    seen = 0
    for record in original["annotations"]:
        png = src.parent / src.stem / record["file_name"]
        rgb = np.asarray(Image.open(png).convert("RGB"), dtype=np.uint32)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
        for s in record["segments_info"]:
            got = by_id[s["id"]]
            seen += 1
            assert got["image_id"] == record["image_id"]
            assert got["category_id"] == s["category_id"]
            assert got["bbox"] == s["bbox"] and got["area"] == s["area"]
            assert got["iscrowd"] == s["iscrowd"]
            assert np.array_equal(_pixels(got["segmentation"]), (ids == s["id"]).astype(np.uint8))
    assert seen == len(back["annotations"])


def _painted(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The masks an index mask per image can hold: later instances cover earlier ones."""
    out = [dict(r) for r in results]
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for r in out:
        if isinstance(r.get("segmentation"), dict):
            by_image.setdefault(r["image_id"], []).append(r)
    for group in by_image.values():
        later = np.zeros(tuple(group[0]["segmentation"]["size"]), dtype=bool)
        for r in reversed(group):
            m = _pixels(r["segmentation"]).astype(bool)
            r["pixels"] = (m & ~later).astype(np.uint8)
            later |= m
    return out


def _compare_results(original: list[dict[str, Any]], back: list[dict[str, Any]]) -> None:
    expected = _painted(original)
    for r in expected:
        if "keypoints" in r:  # Nucleus keeps no coordinates for unlabelled (v=0) keypoints
            kp = list(r["keypoints"])
            for i in range(0, len(kp), 3):
                if kp[i + 2] == 0:
                    kp[i : i + 3] = [0, 0, 0]
            r["keypoints"] = kp
    assert len(back) == len(expected)

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["image_id"], r["category_id"], r["score"], orjson.dumps(r.get("bbox")))

    for want, got in zip(sorted(expected, key=key), sorted(back, key=key), strict=True):
        pixels = want.pop("pixels", None)
        if pixels is not None:
            assert np.array_equal(_pixels(got["segmentation"]), pixels)
            want = {k: v for k, v in want.items() if k != "segmentation"}
            got = {k: v for k, v in got.items() if k != "segmentation"}
        assert got == want


@pytest.mark.parametrize(
    "src", [p for p in COCO_FILES if p != BROKEN_PANOPTIC], ids=lambda p: str(p.relative_to(CORPUS))
)
def test_every_corpus_coco_file_comes_back_the_same_through_nucleus(
    src: Path, tmp_path: Path
) -> None:
    original = orjson.loads(src.read_bytes())
    back = _through_nucleus(src, tmp_path)
    if isinstance(original, list):
        _compare_results(original, back)
    else:
        _compare_dataset(src, original, back)


def test_coco_mini_instances_keep_every_box_polygon_and_crowd_mask_exactly(tmp_path: Path) -> None:
    src = CORPUS / "coco/coco-mini/instances_val2017.json"
    original = orjson.loads(src.read_bytes())
    back = _through_nucleus(src, tmp_path)
    crowd = [a for a in back["annotations"] if a["iscrowd"]]
    assert len(crowd) == 5 and all(isinstance(a["segmentation"]["counts"], list) for a in crowd)
    assert len(back["annotations"]) == len(original["annotations"]) == 624


def test_the_broken_datumaro_panoptic_asset_is_refused_precisely_or_skipped(
    tmp_path: Path,
) -> None:
    with pytest.raises(nc.InputError, match=r"panoptic_train\.json: panoptic annotation of image"):
        nc.convert(BROKEN_PANOPTIC, tmp_path / "out", from_="coco")
    assert not (tmp_path / "out").exists()
    result = nc.convert(
        BROKEN_PANOPTIC, tmp_path / "out", from_="coco", read_options={"on_error": "skip"}
    )
    assert len(result.report.skipped) == 1 and "5x5" in result.report.skipped[0]
    assert result.report.entries[("record", "*")].count("dropped") == 1


def test_keypoint_results_report_the_coordinates_of_unlabelled_points_they_drop(
    tmp_path: Path,
) -> None:
    src = CORPUS / "coco/cocoapi-results/person_keypoints_val2014_fakekeypoints100_results.json"
    result = nc.convert(src, tmp_path / "bundle", from_="coco")
    original = orjson.loads(src.read_bytes())
    v0_with_coords = sum(
        1
        for r in original
        for i in range(0, len(r["keypoints"]), 3)
        if r["keypoints"][i + 2] == 0 and (r["keypoints"][i], r["keypoints"][i + 1]) != (0, 0)
    )
    entry = result.report.entries[("keypoints", "points.coordinates")]
    assert entry.count("dropped") == v0_with_coords > 0


def test_overlapping_result_masks_are_counted_in_pixels_in_the_loss_report(
    tmp_path: Path,
) -> None:
    src = CORPUS / "coco/cocoapi-results/instances_val2014_fakesegm100_results.json"
    result = nc.convert(src, tmp_path / "bundle", from_="coco")
    original = orjson.loads(src.read_bytes())
    overlap = 0
    by_image: dict[Any, list[Any]] = {}
    for r in original:
        by_image.setdefault(r["image_id"], []).append(_pixels(r["segmentation"]))
    for masks in by_image.values():
        overlap += int(np.count_nonzero(np.sum(masks, axis=0) > 1))
    entry = result.report.entries[("instance_mask", "rle.overlap")]
    assert entry.count("approximated") == overlap > 0
