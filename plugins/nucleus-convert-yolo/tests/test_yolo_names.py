"""Output names: hostile reference ids and subsets never write outside the destination; every
change is mapped and reported, and every loss row names the model's kinds and fields."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml
from yolo_testlib import items, png

import nucleus_convert as nc
from nucleus_convert.toolkit import MAX_NAME_BYTES, loss_row_problem


def _item(ref: str, image: Path) -> nc.Item:
    box = nc.Box(label="cat", x=1, y=1, width=4, height=4)
    return nc.Item(ref, media=nc.ImageMedia(str(image), 20, 10), annotations=[box])


def _written(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, files in os.walk(root) for f in files]


def test_hostile_reference_ids_stay_inside_the_destination(tmp_path: Path) -> None:
    image = png(tmp_path / "src" / "a.png", 20, 10)
    refs = ["../escape", "/abs/olute", "a/../../b", "nul\x00byte", "x" * 300, "d/" + "é" * 200]
    out = tmp_path / "box" / "out"
    (tmp_path / "box").mkdir()
    result = nc.write(nc.Dataset.of([_item(r, image) for r in refs]), out, "yolo")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box", "src"]
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["out"]
    labels = list((out / "labels").rglob("*.txt"))
    assert len(labels) == len(refs)
    for path in _written(out):
        assert path.resolve().is_relative_to(out.resolve())
        assert all(len(part.encode()) <= MAX_NAME_BYTES for part in path.parts)
    entry = result.report.entries[("item", "reference_id")]
    assert entry.count("approximated") == len(refs)
    back = items(out)
    assert len(back) == len(refs)
    assert all(len(i.annotations) == 1 for i in back.values())


def test_hostile_subset_names_are_mapped_to_safe_folders_and_reported(tmp_path: Path) -> None:
    image = png(tmp_path / "a.png", 20, 10)
    subsets = ["../up", "path", "s" * 300]
    dataset = []
    for n, subset in enumerate(subsets):
        item = _item(f"i{n}", image)
        item.metadata["yolo_subset"] = subset
        dataset.append(item)
    result = nc.write(nc.Dataset.of(dataset), tmp_path / "out", "yolo", images="none")
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    keys = [k for k in data if k not in ("nc", "names")]
    assert keys[:2] == ["_up", "subset_path"]
    assert len(keys[2].encode()) < MAX_NAME_BYTES and keys[2].startswith("s" * 200 + "-")
    entry = result.report.entries[("item", "metadata.yolo_subset")]
    assert entry.count("approximated") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "out"]


def test_every_loss_row_names_a_model_kind_and_field(tmp_path: Path) -> None:
    image = png(tmp_path / "a.png", 64, 48)
    anns: list[nc.Annotation] = [
        nc.Box(label="cat", id="9", group_id="g", track_id="t", x=-5, y=1, width=80, height=5),
        nc.Box(label="cat", x=1, y=1, width=5, height=5, score=0.3, class_pdf={"cat": 1.0}),
        nc.Polygon(label="cat", points=[(-1, 1), (70, 1), (3, 60)], attributes={"k": 1}),
        nc.Polyline(label="cat", points=[(1, 1), (5, 5)]),
        nc.Segmentation(mask=nc.MaskRef(array=np.zeros((48, 64), np.uint8)), segments=[]),
    ]
    item = nc.Item(
        "a",
        media=nc.ImageMedia(str(image)),
        metadata={"weather": "rain", "yolo_subset": "val"},
        camera=nc.CameraParams((0, 0, 0), (0, 0, 0, 1), 1, 1, 1, 1),
        annotations=anns,
        extra={"nucleus": 1},
    )
    header = nc.Header(
        categories=[nc.Category("cat", source_id=3, supercategory="animal", attributes={"a": 1})],
        skeletons={"cat": nc.Skeleton(["a"])},
        extra={"coco": {"info": {}}},
    )
    scene = nc.Scene("s", metadata={"m": 1})
    dataset = nc.Dataset.of([item], header=header, scenes=[scene]).materialize()
    for task in ("auto", "detect", "segment"):
        result = nc.write(dataset.stream(), tmp_path / task, "yolo", task=task)
        rows = {(e.kind, e.field) for e in result.report}
        assert {("item", "metadata.weather"), ("header", "extra"), ("item", "extra")} <= rows
        bad = {row: loss_row_problem(*row) for row in rows if loss_row_problem(*row)}
        assert not bad, (task, bad)
