"""Label mapping, split and merge on real files of the shared corpus (skipped without it)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from paths import CORPUS

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.transforms.labels import annotation_labels
from nucleus_convert.transforms.split_plan import plan_split, units_of

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

MINI = CORPUS / "coco" / "coco-mini" / "instances_val2017.json"
KEYPOINTS = CORPUS / "coco" / "coco-mini" / "person_keypoints_val2017.json"
VOC = CORPUS / "datumaro" / "voc_dataset" / "voc_dataset1"
KITTI = CORPUS / "kitti" / "object"


def _label_counts(path: Path, fmt: str) -> Counter[str]:
    return Counter(
        label
        for item in nc.read(path, fmt).items
        for ann in item.annotations
        for label in annotation_labels(ann)
    )


def test_map_and_keep_on_coco_mini_count_every_annotation(tmp_path: Path) -> None:
    before = _label_counts(MINI, "coco")
    vehicles = ("car", "truck", "bus")
    result = nc.convert(
        MINI, tmp_path / "out.json", to="coco",
        map_labels=dict.fromkeys(vehicles, "vehicle"), keep_labels=["vehicle", "person"],
    )  # fmt: skip
    after = _label_counts(tmp_path / "out.json", "coco")
    assert after["person"] == before["person"]
    assert after["vehicle"] == sum(before[v] for v in vehicles)
    assert set(after) == {"person", "vehicle"}
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    assert sorted(c["name"] for c in data["categories"]) == ["person", "vehicle"]
    dropped = sum(e.counts.get("dropped", 0) for e in result.report if e.field == "*")
    assert dropped >= sum(n for label, n in before.items() if label not in (*vehicles, "person"))


def _deviation(plan: dict[str, str], rows: list[tuple[str, None, list[str]]]) -> float:
    """Mean over labels in 8 or more images of |val's share of their images - 0.25|."""
    total = Counter(lb for _, _, labels in rows for lb in set(labels))
    val = Counter(lb for ref, _, labels in rows if plan[ref] == "val" for lb in set(labels))
    common = [label for label, n in total.items() if n >= 8]
    return sum(abs(val[label] / total[label] - 0.25) for label in common) / len(common)


def test_stratified_split_of_coco_mini_shares_labels_better_than_a_shuffle(
    tmp_path: Path,
) -> None:
    result = nc.split(MINI, tmp_path / "out", "train=0.75,val=0.25", seed=5, stratify=True)
    total = _label_counts(MINI, "coco")
    val = _label_counts(tmp_path / "out" / "val.json", "coco")
    train = _label_counts(tmp_path / "out" / "train.json", "coco")
    assert train + val == total  # nothing lost, nothing twice
    assert result.counts == {"train": 59, "val": 20}
    rows = [
        (item.reference_id, None, [lb for a in item.annotations for lb in annotation_labels(a)])
        for item in nc.read(MINI, "coco").items
    ]
    ratios = {"train": 0.75, "val": 0.25}

    def mean(stratify: bool) -> float:
        plans = [plan_split(units_of(rows), ratios, seed=s, stratify=stratify) for s in range(20)]
        return sum(_deviation(p, rows) for p in plans) / len(plans)

    assert mean(True) < 0.85 * mean(False)


def test_merging_two_files_of_the_same_images_refuses_then_renames(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is also in"):
        nc.merge([MINI, KEYPOINTS], tmp_path / "out.json", to="coco")
    result = nc.merge([MINI, KEYPOINTS], tmp_path / "out.json", to="coco", on_clash="rename")
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    first = len(orjson.loads(MINI.read_bytes())["images"])
    second = len(orjson.loads(KEYPOINTS.read_bytes())["images"])
    assert len(data["images"]) == first + second
    renamed = next(e for e in result.report if (e.kind, e.field) == ("item", "reference_id"))
    assert renamed.counts["changed"] > 0


def test_voc_corpus_maps_labels_into_its_class_files(tmp_path: Path) -> None:
    before = _label_counts(VOC, "voc")
    old = next(label for label, _ in before.most_common())
    nc.convert(VOC, tmp_path / "voc", to="voc", map_labels={old: "renamed_class"})
    after = _label_counts(tmp_path / "voc", "voc")
    assert after["renamed_class"] == before[old] and old not in after
    main = [p.name for p in (tmp_path / "voc").rglob("ImageSets/Main/*_*.txt")]
    assert not any(name.startswith(f"{old}_") for name in main)


def test_kitti_corpus_splits_by_frame_and_keeps_scan_and_image_together(tmp_path: Path) -> None:
    nc.split(KITTI, tmp_path / "out", "a=0.5,b=0.5", seed=0, to="nucleus")
    for name in ("a", "b"):
        part = nc.read(tmp_path / "out" / name, "nucleus").materialize()
        refs = {item.reference_id for item in part.items}
        frames = {ref.split("/")[0] for ref in refs}
        assert len(frames) == 1 and len(refs) == 2  # the frame's scan and its image
