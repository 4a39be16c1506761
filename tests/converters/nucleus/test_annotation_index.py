"""The bundle reader's annotation index (issue 16, part 5): checked once, decoded again as
each item streams, with the header and errors of decoding everything first."""

from __future__ import annotations

from pathlib import Path

import pytest

import nucleus_convert as nc
from nucleus_convert.converters.nucleus import annotation_index
from nucleus_convert.converters.nucleus.manifest import HeaderFacts, infer_header
from nucleus_convert.model import Box, Header, Keypoint, Keypoints, MultiCategory, Visibility


def _kp(label: str, names: list[str]) -> Keypoints:
    points = [Keypoint(1.0, 2.0, Visibility.VISIBLE) for _ in names]
    return Keypoints(label=label, points=points, names=names, skeleton=[(0, 1)])


def test_one_fact_of_each_kind_per_item_gives_the_header_of_every_annotation() -> None:
    """Items interleave in the files; the header follows the items' first appearance, and
    keeping one fact of each kind per item changes nothing."""
    annotations = {
        "b": [Box(label="dog", x=0, y=0, width=1, height=1), _kp("person", ["nose", "eye"])],
        "a": [
            Box(label="cat", x=0, y=0, width=1, height=1),
            Box(label="dog", x=0, y=0, width=1, height=1),
            _kp("person", ["other", "names"]),
            MultiCategory(labels=["x", "y"], taxonomy="tags"),
            MultiCategory(labels=["y", "z"], taxonomy="tags"),
            Box(label="cat", x=1, y=1, width=1, height=1),
        ],
    }
    expected = Header()
    infer_header(expected, annotations)
    facts = HeaderFacts()
    for ref, anns in annotations.items():
        for ann in anns:
            facts.add(ref, ann)
    got = Header()
    facts.infer(got)
    assert got == expected
    assert [c.name for c in got.categories] == ["dog", "person", "cat", "x", "y", "z"]
    assert got.skeletons["person"].names == ["nose", "eye"]
    assert len(facts.by_item["a"]) == 5  # the repeated cat box is not kept


def _bundle(tmp_path: Path) -> Path:
    items = [
        nc.Item(
            reference_id=f"im{i}",
            media=nc.ImageMedia(path=f"s3://b/im{i}.jpg", width=10, height=10),
            annotations=[
                Box(label="cat", id=f"b{i}.{k}", x=1, y=1, width=2, height=2) for k in range(2)
            ],
        )
        for i in range(3)
    ]
    dataset = nc.Dataset(Header(), iter(items))
    return nc.write(dataset, tmp_path / "bundle", "nucleus").path


@pytest.mark.parametrize("budget", [0, 3, 100])
def test_items_get_the_same_annotations_decoded_or_indexed(
    budget: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All decoded (100), all indexed (0), or the first three decoded and the rest indexed,
    the item in the middle split between the two: the same annotations in the same order."""
    monkeypatch.setattr(annotation_index, "DECODED_BUDGET", budget)
    bundle = _bundle(tmp_path)
    items = list(nc.read(bundle, "nucleus").items)
    assert [[a.id for a in item.annotations] for item in items] == [
        [f"b{i}.0", f"b{i}.1"] for i in range(3)
    ]


def test_a_line_changed_after_the_check_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotation_index, "DECODED_BUDGET", 0)
    bundle = _bundle(tmp_path)
    dataset = nc.read(bundle, "nucleus")
    path = bundle / "annotations.jsonl"
    original = path.read_bytes().splitlines(keepends=True)
    lines = list(original)
    lines[2] = lines[2].replace(b'"im1"', b'"im2"')  # same length, another item
    path.write_bytes(b"".join(lines))
    with pytest.raises(nc.InputError, match=r"annotations\.jsonl:3: the file changed"):
        list(dataset.items)
    path.write_bytes(b"".join(original))
    dataset = nc.read(bundle, "nucleus")
    lines = list(original)
    lines[2] = b"{" + b" " * (len(lines[2]) - 2) + b"\n"  # same length, not JSON
    path.write_bytes(b"".join(lines))
    with pytest.raises(nc.InputError, match=r"annotations\.jsonl:3: not valid JSON"):
        list(dataset.items)


def test_forked_workers_read_indexed_annotations_into_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(annotation_index, "DECODED_BUDGET", 0)
    bundle = _bundle(tmp_path)
    one = nc.convert(bundle, tmp_path / "one", from_="nucleus", to="nucleus", workers=1)
    two = nc.convert(bundle, tmp_path / "two", from_="nucleus", to="nucleus", workers=2)
    assert two.partitions == 2
    for name in ("items.jsonl", "annotations.jsonl", "manifest.json"):
        assert (one.path / name).read_bytes() == (two.path / name).read_bytes(), name


def test_a_single_file_reads_the_same_past_the_budget_of_decoded_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Payload lines and export rows, with every annotation decoded (the default budget) or
    none kept decoded (0): the same items, annotations, order and header."""
    bundle = _bundle(tmp_path)
    item_lines = (bundle / "items.jsonl").read_bytes().splitlines()
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_bytes(b"\n".join([*item_lines, (bundle / "annotations.jsonl").read_bytes()]))
    rows = tmp_path / "export.json"
    rows.write_text(
        '[{"item": {"reference_id": "r", "image_url": "s3://b/r.jpg", "width": 4, "height": 4},'
        ' "annotations": {"box": [{"label": "a", "annotation_id": "1", "geometry":'
        ' {"x": 0, "y": 0, "width": 1, "height": 1}}]},'
        ' "predictions": {"box": [{"label": "b", "annotation_id": "2", "confidence": 0.5,'
        ' "geometry": {"x": 1, "y": 1, "width": 1, "height": 1}}]}}]'
    )
    for path in (payloads, rows):
        read = []
        for budget in (annotation_index.DECODED_BUDGET, 0):
            monkeypatch.setattr(annotation_index, "DECODED_BUDGET", budget)
            dataset = nc.read(path, "nucleus")
            read.append(repr((list(dataset.items), dataset.header)))
        assert read[0] == read[1], path.name
        assert "Box(" in read[0]
