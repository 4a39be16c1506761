"""Label mapping and filtering: what follows a label, what is counted, and that it holds in
partitions, on Dask and from the command line."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from every_kind import every_kind_dataset

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.model import (
    Box,
    Category,
    Dataset,
    Header,
    Item,
    Keypoints,
    MaterializedDataset,
    MultiCategory,
    Segmentation,
    Skeleton,
)
from nucleus_convert.transforms import LabelMap, relabel

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COCO = FIXTURES / "coco" / "instances_demo.json"
VOC = FIXTURES / "voc"


def _labels(dataset: Dataset) -> Counter[str]:
    """Every annotation label (a multi-category's labels, a segmentation's segments)."""
    out: Counter[str] = Counter()
    items = list(dataset.items)
    for ann in [a for i in items for a in i.annotations] + [
        a for s in dataset.scenes for a in s.annotations
    ]:
        if isinstance(ann, MultiCategory):
            out.update(ann.labels)
        elif isinstance(ann, Segmentation):
            out.update(s.label for s in ann.segments)
        else:
            out[ann.label] += 1
    return out


def test_rename_and_merge_follow_into_annotations_categories_and_pdfs() -> None:
    held = every_kind_dataset()
    before = _labels(held.stream())
    out = relabel(held.stream(), LabelMap.of({"car": "vehicle", "bus": "vehicle"}))
    after = _labels(out)
    assert after["vehicle"] == before["car"] + before["bus"]
    assert "car" not in after and "bus" not in after
    assert after["person"] == before["person"]
    assert [c.name for c in out.header.categories] == ["vehicle", "person", "unused"]
    assert out.header.categories[0].source_id == 3  # the first category of the name
    pdfs = [a.class_pdf for i in held.items for a in i.annotations if a.class_pdf]
    assert {"car": 0.9, "bus": 0.1} in pdfs  # the source is left as it was
    merged = relabel(held.stream(), LabelMap.of({"car": "vehicle", "bus": "vehicle"}))
    new_pdfs = [a.class_pdf for i in merged.items for a in i.annotations if a.class_pdf]
    assert {"vehicle": pytest.approx(1.0)} in new_pdfs


def test_renames_and_drops_are_counted_per_kind() -> None:
    held = every_kind_dataset()
    out = relabel(held.stream(), LabelMap.of({"car": "vehicle", "lane": None}))
    list(out.items)
    report = {(e.kind, e.field): e.counts for e in out.losses}
    cars = sum(1 for i in held.items for a in i.annotations if a.label == "car")
    anns = [a for i in held.items for a in i.annotations]
    boxes = sum(1 for a in anns if a.label == "car" and a.kind == "box")
    assert report[("box", "label")] == {"changed": boxes}
    # Every car annotation, and the two segmentations with a car segment.
    assert sum(c.get("changed", 0) for (_, f), c in report.items() if f == "label") == cars + 2
    assert report[("segmentation", "label")] == {"changed": 2}
    assert report[("polyline", "*")] == {"dropped": 2}  # both lanes
    assert report[("header", "categories")] == {"changed": 1}


def test_segments_are_relabelled_dropped_and_an_empty_segmentation_goes() -> None:
    held = every_kind_dataset()
    out = relabel(held.stream(), LabelMap.of({"car": None, "road": "street"}))
    segs = [a for i in out.items for a in i.annotations if isinstance(a, Segmentation)]
    assert [[(s.index, s.label) for s in a.segments] for a in segs] == [
        [(0, "background"), (2, "street")]
    ]  # the prediction had only a car segment: it is gone
    counts = {(e.kind, e.field): e.counts for e in out.losses}
    assert counts[("segmentation", "segments")] == {"dropped": 2}
    assert counts[("segmentation", "*")] == {"dropped": 1}


def test_multicategories_and_taxonomies_follow_and_dedupe() -> None:
    held = every_kind_dataset()
    out = relabel(held.stream(), LabelMap.of({"red": "colour", "round": "colour", "rural": None}))
    multi = [a for i in out.items for a in i.annotations if isinstance(a, MultiCategory)]
    assert [a.labels for a in multi] == [["colour"]]
    assert out.header.taxonomies["scene_type"].labels == ["urban"]
    assert held.header.taxonomies["scene_type"].labels == ["urban", "rural"]


def test_keep_applies_after_the_map_and_everything_else_is_dropped() -> None:
    held = every_kind_dataset()
    out = relabel(held.stream(), LabelMap.of({"bus": "car"}, keep=["car"]))
    assert set(_labels(out)) == {"car"}
    assert [c.name for c in out.header.categories] == ["car"]
    assert out.header.skeletons == {}


def test_keep_naming_a_label_no_category_becomes_lists_what_there_is() -> None:
    with pytest.raises(InputError) as info:
        relabel(every_kind_dataset().stream(), LabelMap.of(keep=["persn", "car"]))
    assert "names 'persn', which no category becomes (they become: car, person, unused)" in str(
        info.value
    )


def test_two_skeletons_merge_only_when_they_are_the_same() -> None:
    def dataset(b: Skeleton) -> Dataset:
        header = Header(skeletons={"a": Skeleton(["x", "y"], [(0, 1)]), "b": b})
        return Dataset.of([], header=header)

    same = relabel(dataset(Skeleton(["x", "y"], [(0, 1)])), LabelMap.of({"b": "a"}))
    assert list(same.header.skeletons) == ["a"]
    with pytest.raises(InputError, match="'a' and 'b' both become 'a' but have different"):
        relabel(dataset(Skeleton(["x", "z"], [(0, 1)])), LabelMap.of({"b": "a"}))


def test_categories_a_reader_adds_while_streaming_are_mapped_too() -> None:
    header = Header(categories=[Category("car", 1)])

    def items() -> Iterator[Item]:
        for n, label in enumerate(["truck", "bus", "car"]):
            if all(c.name != label for c in header.categories):
                header.categories.append(Category(label, n + 10))
            yield Item(f"i{n}", annotations=[Box(label=label, x=0, y=0, width=1, height=1)])

    out = relabel(Dataset(header, items()), LabelMap.of({"truck": "car", "bus": None}))
    assert [a.label for i in out.items for a in i.annotations] == ["car", "car"]
    assert [(c.name, c.source_id) for c in out.header.categories] == [("car", 1)]


def test_the_source_objects_are_not_changed() -> None:
    held = every_kind_dataset()
    snapshot = copy.deepcopy(held)
    list(relabel(held.stream(), LabelMap.of({"car": "x", "person": None}, keep=["x"])).items)
    # Only the loss report (which counts the map's work) is written to.
    assert repr((held.header, held.items, held.scenes)) == repr(
        (snapshot.header, snapshot.items, snapshot.scenes)
    )


def test_keypoints_keep_their_names_under_a_new_label() -> None:
    out = nc.read(COCO, "coco")
    mapped = relabel(out, LabelMap.of({"person": "human"}))
    kps = [a for i in mapped.items for a in i.annotations if isinstance(a, Keypoints)]
    assert kps and all(a.label == "human" and a.names for a in kps)
    assert "human" in mapped.header.skeletons and "person" not in mapped.header.skeletons


def _written_labels(path: Path) -> set[str]:
    """The labels of a bundle's annotation lines (a segmentation's: its segments')."""
    out: set[str] = set()
    for line in path.read_bytes().splitlines():
        payload = orjson.loads(line)
        if "annotations" in payload:  # a segmentation
            out.update(s["label"] for s in payload["annotations"])
        else:
            out.add(payload["label"])
    return out


def _bundle_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_workers_write_the_same_bytes_with_a_label_map(tmp_path: Path) -> None:
    mapping = {"car": "vehicle", "truck": "vehicle", "toothbrush": None}
    one = nc.convert(COCO, tmp_path / "w1", map_labels=mapping)
    two = nc.convert(COCO, tmp_path / "w2", map_labels=mapping, workers=2)
    assert two.partitions == 2
    assert _bundle_bytes(tmp_path / "w1") == _bundle_bytes(tmp_path / "w2")
    assert one.report.to_json() == two.report.to_json()
    labels = _written_labels(tmp_path / "w1" / "annotations.jsonl")
    assert "car" not in labels and "toothbrush" not in labels and "vehicle" in labels


def test_voc_class_files_follow_the_map(tmp_path: Path) -> None:
    nc.convert(VOC, tmp_path / "voc", to="voc", map_labels={"person": "human", "dog": None})
    main = {p.name for p in (tmp_path / "voc").rglob("ImageSets/Main/*.txt")}
    assert any(n.startswith("human_") for n in main)
    assert not any(n.startswith(("person_", "dog_")) for n in main)


def test_cli_map_file_and_keep_labels_show_in_the_report(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("old,new\ncar,vehicle\ntruck,vehicle\n", encoding="utf-8")
    proc = run_cli(
        "convert", str(COCO), str(tmp_path / "out"), "--map-labels", str(labels),
        "--keep-labels", "vehicle", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {(r["kind"], r["field"]): r for r in orjson.loads(proc.stdout)["report"]}
    assert rows[("box", "label")]["changed"] > 0
    assert rows[("box", "label")]["reason"] == "renamed by the label map"
    assert rows[("box", "*")]["dropped"] > 0
    assert _written_labels(tmp_path / "out" / "annotations.jsonl") == {"vehicle"}


def test_cli_bad_map_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    labels = tmp_path / "labels.yaml"
    labels.write_text("car: [vehicle]\n", encoding="utf-8")
    proc = run_cli("convert", str(COCO), str(tmp_path / "out"), "--map-labels", str(labels))
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert f"error: {labels}: label 'car': field 'new name'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_materialized_datasets_relabel_through_stream() -> None:
    held: MaterializedDataset = every_kind_dataset()
    out = relabel(held.stream(), LabelMap.of({"car": "auto"}))
    assert out.length == len(held.items)
    assert out.partition is not None
    first = list(out.partition(0, 2))
    assert all(a.label != "car" for i in first for a in i.annotations)
