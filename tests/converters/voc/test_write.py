"""The VOC writer's loss report (every model field it does not write, counted per (kind, field)
under model kinds) and its output confinement (nothing written outside the destination)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_cli
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.losses import RECORD_KINDS, loss_row_problem


def _dropped(report: LossReport) -> dict[tuple[str, str], int]:
    return {(e.kind, e.field): e.count("dropped") for e in report if e.count("dropped")}


def _kinds_are_model_kinds(report: LossReport) -> None:
    for e in report:
        assert e.kind in (*RECORD_KINDS, "record"), (e.kind, e.field)
        assert loss_row_problem(e.kind, e.field) is None, (e.kind, e.field)


def test_every_kind_to_voc_counts_each_field_it_cannot_carry(tmp_path: Path) -> None:
    result = nc.write(every_kind_dataset(), tmp_path / "voc", "voc")
    assert _dropped(result.report) == {
        ("box", "*"): 1,  # the prediction
        ("box", "track_id"): 1,
        ("category", "*"): 2,  # a prediction, and one of taxonomy scene_type
        ("cuboid", "*"): 3,
        ("header", "categories.source_id"): 3,  # car 3, person 1, unused 9: VOC's 7, 15, 21
        ("header", "categories.supercategory"): 2,  # vehicle, human
        ("header", "extra"): 1,
        ("header", "skeletons"): 1,
        ("header", "taxonomies"): 1,
        ("item", "*"): 1,  # the point-cloud item
        ("item", "camera"): 1,
        ("keypoints", "*"): 2,
        ("multicategory", "*"): 1,
        ("polygon", "*"): 3,
        ("polyline", "*"): 2,
        ("scene", "*"): 1,
        ("scene_category", "*"): 2,
        ("segmentation", "*"): 1,
        ("segmentation", "segments.attributes"): 1,
    }
    entries = result.report.entries
    assert "point cloud" in entries[("item", "*")].reasons["dropped"]
    assert entries[("polyline", "*")].reasons["dropped"] == "Pascal VOC has no such annotation"
    assert "track id" in entries[("box", "track_id")].reasons["dropped"]
    _kinds_are_model_kinds(result.report)


def test_a_point_cloud_item_gets_no_xml(tmp_path: Path) -> None:
    nc.write(every_kind_dataset(), tmp_path / "voc", "voc")
    xmls = sorted(p.name for p in (tmp_path / "voc" / "Annotations").iterdir())
    assert xmls == ["cam-0.xml", "img-0.xml", "img-1.xml"]


def test_nucleus_bundle_track_ids_and_cameras_are_reported(tmp_path: Path) -> None:
    result = nc.convert(FIXTURES / "nucleus", tmp_path / "voc", from_="nucleus", to="voc")
    dropped = _dropped(result.report)
    assert dropped[("box", "track_id")] == 2
    assert dropped[("item", "camera")] == 3
    assert dropped[("item", "*")] == 3  # the point clouds
    assert dropped[("cuboid", "*")] == 6
    _kinds_are_model_kinds(result.report)


def test_category_attributes_other_than_difficult_and_item_extra_are_counted(
    tmp_path: Path,
) -> None:
    item = nc.Item(
        reference_id="a",
        media=nc.ImageMedia("a.jpg", width=4, height=3),
        extra={"kitti": {"x": 1}},
        annotations=[
            nc.ImageCategory(label="dog", attributes={"difficult": 1, "source": "manual"}),
            nc.Box(label="dog", x=0, y=0, width=2, height=2, extra={"nucleus": {"e": 1}}),
        ],
    )
    result = nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc")
    assert _dropped(result.report) == {
        ("category", "attributes"): 1,
        ("item", "extra"): 1,
        ("box", "extra"): 1,
    }
    lines = (tmp_path / "voc" / "ImageSets" / "Main" / "dog_default.txt").read_text()
    assert lines == "a  0\n"  # difficult is kept


HOSTILE_IDS = ["../../x", "/abs/x", "a\x00b", "y" * 300, "..", ".hidden", "a/../../b.jpg"]


def _files_outside(root: Path, before: set[Path]) -> set[Path]:
    return (
        {p for p in root.rglob("*") if p not in before}
        - set((root / "voc").rglob("*"))
        - {root / "voc"}
    )


@pytest.mark.parametrize("ref", HOSTILE_IDS, ids=lambda r: repr(r[:12]))
def test_hostile_reference_ids_are_mapped_to_safe_names_under_the_destination(
    tmp_path: Path, ref: str
) -> None:
    image = tmp_path / "src" / "img.jpg"
    image.parent.mkdir()
    image.write_bytes(b"\xff\xd8 not really a jpeg")
    item = nc.Item(
        reference_id=ref,
        media=nc.ImageMedia(str(image), width=4, height=3),
        annotations=[nc.Box(label="dog", x=0, y=0, width=2, height=2)],
    )
    before = set(tmp_path.rglob("*"))
    result = nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc", images="copy")
    assert _files_outside(tmp_path, before) == set()
    [xml] = (tmp_path / "voc" / "Annotations").iterdir()
    assert xml.parent == tmp_path / "voc" / "Annotations"
    assert len(xml.name.encode()) <= 255 and "\x00" not in xml.name
    mapped = result.report.entries[("item", "reference_id")]
    assert mapped.count("approximated") == 1 and repr(ref) in mapped.examples[0]
    stem = xml.stem
    assert (tmp_path / "voc" / "ImageSets" / "Main" / "default.txt").read_text() == f"{stem}\n"
    assert [p.name for p in (tmp_path / "voc" / "JPEGImages").iterdir()] == ["img.jpg"]


@pytest.mark.parametrize("subset", ["../../escape", "a/../../../escape", "nul\x00escape"])
def test_a_subset_name_that_leaves_the_destination_is_refused(tmp_path: Path, subset: str) -> None:
    item = nc.Item(reference_id="a", media=nc.ImageMedia("a.jpg", width=4, height=3))
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="cannot write"):
        nc.write(nc.Dataset.of([item]), tmp_path / "out" / "voc", "voc", subset=subset)
    assert list(tmp_path.rglob("*escape*")) == []
    assert not (tmp_path / "out" / "voc").exists()  # nothing left at the destination


def test_a_subset_name_starting_with_a_slash_stays_under_the_destination(tmp_path: Path) -> None:
    item = nc.Item(reference_id="a", media=nc.ImageMedia("a.jpg", width=4, height=3))
    nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc", subset="/abs/escape")
    [written] = list(tmp_path.rglob("escape.txt"))
    assert written == tmp_path / "voc" / "ImageSets" / "Main" / "abs" / "escape.txt"


def test_cli_refuses_an_escaping_subset_with_one_error_line(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "instances_demo.json"
    dst = tmp_path / "voc"
    proc = run_cli("convert", str(src), str(dst), "--to", "voc", "-w", "subset=../../../escape")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "cannot write" in proc.stderr
    assert not (tmp_path / "escape.txt").exists() and not dst.exists()


def _one_box_dataset(
    label: str, attributes: dict[str, object], metadata: dict[str, object]
) -> nc.Dataset:
    from nucleus_convert.model import Box, Header, ImageMedia, Item

    box = Box(label=label, x=1, y=1, width=3, height=3, attributes=attributes)
    item = Item("img1", ImageMedia("img1.jpg", 10, 10), metadata=metadata, annotations=[box])
    return nc.Dataset(Header(), iter([item]))


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\ufffe"])
def test_a_label_xml_cannot_hold_is_refused_naming_item_box_and_field(
    tmp_path: Path, char: str
) -> None:
    with pytest.raises(OutputError, match=r"item 'img1', box .*, field label: holds"):
        nc.write(_one_box_dataset(f"ca{char}t", {}, {}), tmp_path / "voc", "voc")
    assert not (tmp_path / "voc").exists()


def test_attributes_and_metadata_xml_cannot_hold_are_dropped_and_counted(tmp_path: Path) -> None:
    dataset = _one_box_dataset(
        "cat", {"note": "a\x00b", "ok": "fine", "bad\x01key": 1}, {"source": "x\x02", "k": "v"}
    )
    result = nc.write(dataset, tmp_path / "voc", "voc")
    dropped = _dropped(result.report)
    assert dropped[("box", "attributes.note")] == 1
    assert dropped[("box", "attributes.bad\x01key")] == 1
    assert dropped[("item", "metadata.source")] == 1
    back = list(nc.read(tmp_path / "voc", "voc").items)
    (box,) = back[0].annotations
    assert box.label == "cat" and box.attributes["ok"] == "fine"
    assert "note" not in box.attributes and back[0].metadata["k"] == "v"
