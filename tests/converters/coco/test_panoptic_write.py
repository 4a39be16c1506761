"""nucleus_convert/converters/coco/panoptic_write.py (with panoptic_pieces, panoptic_segments,
panoptic_layout, panoptic_parts): COCO panoptic output, checked against references computed
here: PNGs read with Pillow and decoded with panopticapi's ``rgb2id``, areas and boxes with
numpy and pycocotools, masks and polygons rasterised by pycocotools, and the round trip
through Nucleus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from cli_runner import run_cli
from every_kind import every_kind_dataset
from panoptic_samples import png_ids, segment_stats, write_panoptic_source
from paths import CORPUS, FIXTURES
from pycocotools import mask as mask_utils

import nucleus_convert as nc
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.loss import LOSSY_STATUSES, LossReport
from nucleus_convert.model import (
    Box,
    Category,
    Header,
    ImageMedia,
    InstanceMask,
    Item,
    MaskRef,
    MaterializedDataset,
    Polygon,
    Segment,
    Segmentation,
)
from nucleus_convert.roundtrip import compare
from nucleus_convert.testing import check_format
from nucleus_convert.testing.kitchen_sink import kitchen_sink_dataset

W, H = 16, 12


def _rle(mask: np.ndarray[Any, Any]) -> dict[str, Any]:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode()}


def _rect(y0: int, y1: int, x0: int, x1: int) -> np.ndarray[Any, Any]:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def _dataset(*annotations: Any, size: tuple[int, int] | None = (W, H)) -> MaterializedDataset:
    media = ImageMedia("a.jpg", *(size or (None, None)))
    item = Item("a.jpg", media=media, annotations=list(annotations))
    return MaterializedDataset(Header(), [item], [])


def _write(data: MaterializedDataset, dst: Path, **options: Any) -> nc.WriteResult:
    return nc.write(data.stream(), dst, "coco", task="panoptic", **options)


def _output(dst: Path) -> tuple[dict[str, Any], Path]:
    return orjson.loads((dst / f"{dst.name}.json").read_bytes()), dst / dst.name


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _rows(report: LossReport) -> dict[tuple[str, str, str], int]:
    return {(e.kind, e.field, s): n for e in report for s, n in e.counts.items() if n}


# ---------------------------------------------------------------- panoptic -> Nucleus -> panoptic


def test_a_panoptic_source_comes_back_identical_through_nucleus(tmp_path: Path) -> None:
    src = write_panoptic_source(tmp_path / "src")
    nc.convert(src, tmp_path / "bundle", to="nucleus")
    back = nc.convert(tmp_path / "bundle", tmp_path / "back", to="coco")  # task=auto
    assert back.summary.counts == {"images": 4, "segments": 9, "annotations": 4}
    original = orjson.loads(src.read_bytes())
    written, pngs = _output(tmp_path / "back")
    assert written == original
    for record in original["annotations"]:
        want = png_ids(src.parent / src.stem / record["file_name"])
        assert np.array_equal(png_ids(pngs / record["file_name"]), want)
    assert sorted(p.name for p in pngs.iterdir()) == [f"{k:012d}.png" for k in range(4)]


def test_the_roundtrip_command_through_nucleus_is_exact_per_pixel_and_segment(
    tmp_path: Path,
) -> None:
    src = write_panoptic_source(tmp_path / "src")
    result = run_cli("roundtrip", str(src), "--via", "nucleus", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    rows = {(r["kind"], r["field"]): r for r in out["report"]}
    for field in ("*", "mask", "segments", "segments.attributes", "id", "extra"):
        assert rows[("segmentation", field)]["kept"] == 4, field
    lossy = [
        (r["kind"], r["field"])
        for r in out["report"]
        if r["approximated"] or r["dropped"] or r["changed"]
    ]
    # Nucleus has no place for the PNG's name (the first leg drops it); the panoptic writer
    # derives it again (the second leg says so), and the comparison finds it equal.
    assert lossy == [("segmentation", "extra"), ("segmentation", "extra.coco_panoptic")]
    assert rows[("segmentation", "extra")]["approximated"] == 4
    assert not any(r["kind"] == "instance_mask" for r in out["report"])


def test_the_written_folder_is_detected_and_read_with_no_option(tmp_path: Path) -> None:
    src = write_panoptic_source(tmp_path / "src")
    nc.convert(src, tmp_path / "out", to="coco")
    again = nc.read(tmp_path / "out").materialize()  # detected as coco, PNGs found
    segs = [a for item in again.items for a in item.annotations]
    assert [len(s.segments) for s in segs] == [3, 3, 3, 0]  # type: ignore[attr-defined]
    assert nc.read(tmp_path / "out" / "out.json").materialize().items[0].reference_id == (
        "000000000000.jpg"
    )


def test_a_folder_without_its_json_is_refused_naming_the_file_it_needs(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match=r"out: a COCO source folder must hold out.json"):
        nc.read(tmp_path / "out", "coco")


# ---------------------------------------------------------------- what becomes a segment


def test_instance_masks_are_painted_in_order_with_pycocotools_areas_and_boxes(
    tmp_path: Path,
) -> None:
    first, second = _rect(0, 8, 0, 10), _rect(4, 12, 6, 16)
    data = _dataset(
        InstanceMask(label="car", rle=_rle(first), attributes={"coco_id": 41, "iscrowd": 0}),
        InstanceMask(label="person", rle=_rle(second), attributes={"coco_id": 9, "iscrowd": 1}),
    )
    result = _write(data, tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    (record,) = doc["annotations"]
    ids = png_ids(pngs / record["file_name"])
    later_wins = {41: first.astype(bool) & ~second.astype(bool), 9: second.astype(bool)}
    for entry in record["segments_info"]:
        want = later_wins[entry["id"]]
        assert np.array_equal(ids == entry["id"], want)
        rle = mask_utils.encode(np.asfortranarray(want.astype(np.uint8)))
        assert entry["area"] == int(mask_utils.area(rle))
        assert entry["bbox"] == [int(v) for v in mask_utils.toBbox(rle)]
    assert [(e["id"], e["iscrowd"]) for e in record["segments_info"]] == [(41, 0), (9, 1)]
    overlap = int(np.count_nonzero(first & second))
    rows = _rows(result.report)
    assert rows[("instance_mask", "rle.overlap", "approximated")] == overlap == 16
    assert rows[("instance_mask", "*", "approximated")] == 2
    assert record["file_name"] == "a.png" and set(np.unique(ids)) == {0, 9, 41}


def test_an_rle_with_bytes_counts_is_taken_as_pycocotools_gives_it(tmp_path: Path) -> None:
    raw = mask_utils.encode(np.asfortranarray(_rect(1, 3, 1, 4)))
    _write(_dataset(InstanceMask(label="car", rle=dict(raw))), tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    (entry,) = doc["annotations"][0]["segments_info"]
    assert (entry["area"], entry["bbox"]) == (6, [1, 1, 3, 2])
    assert np.array_equal(png_ids(pngs / "a.png") == entry["id"], _rect(1, 3, 1, 4) == 1)


def test_an_instance_covered_whole_is_left_out_and_counted(tmp_path: Path) -> None:
    small, big = _rect(2, 4, 2, 4), _rect(0, 8, 0, 8)
    data = _dataset(
        InstanceMask(label="car", rle=_rle(small)), InstanceMask(label="car", rle=_rle(big))
    )
    result = _write(data, tmp_path / "out")
    (record,) = _output(tmp_path / "out")[0]["annotations"]
    assert [(e["id"], e["area"]) for e in record["segments_info"]] == [(1, 64)]
    rows = _rows(result.report)
    assert rows[("instance_mask", "*", "dropped")] == 1
    assert rows[("instance_mask", "rle.overlap", "approximated")] == 4


def test_polygon_rings_of_one_group_become_one_segment_rasterised_as_pycocotools_does(
    tmp_path: Path,
) -> None:
    rings = [[(1.0, 1.0), (7.5, 1.0), (7.5, 6.2), (1.0, 6.2)], [(9.0, 2.0), (14.0, 9.0), (9, 9)]]
    data = _dataset(
        *(Polygon(label="car", points=r, group_id="g", attributes={"coco_id": 3}) for r in rings)
    )
    result = _write(data, tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    (entry,) = doc["annotations"][0]["segments_info"]
    flat = [[c for p in r for c in p] for r in rings]
    want = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(flat, H, W)))
    assert np.array_equal(png_ids(pngs / "a.png") == 3, want.astype(bool))
    assert (entry["area"], entry["bbox"]) == segment_stats(want.astype(np.int64), 1)
    assert _rows(result.report)[("polygon", "*", "approximated")] == 2


def test_index_mask_segments_get_their_pixels_and_computed_stats(tmp_path: Path) -> None:
    index = np.zeros((H, W), np.uint8)
    index[0:5, 0:16] = 4
    index[6:12, 3:9] = 9
    index[11, 15] = 77  # a value no segment lists stays void
    segments = [Segment(index=4, label="sky"), Segment(index=9, label="car")]
    data = _dataset(Segmentation(mask=MaskRef(array=index), segments=segments, id="m"))
    result = _write(data, tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    ids = png_ids(pngs / "a.png")
    infos = doc["annotations"][0]["segments_info"]
    assert [e["id"] for e in infos] == [1, 2]
    for entry, value in zip(infos, (4, 9), strict=True):
        assert np.array_equal(ids == entry["id"], index == value)
        assert (entry["area"], entry["bbox"]) == segment_stats(ids, entry["id"])
        assert entry["iscrowd"] == 0
    assert ids[11, 15] == 0
    assert [(c["name"], c["isthing"]) for c in doc["categories"]] == [("sky", 1), ("car", 1)]
    rows = _rows(result.report)
    assert rows[("header", "categories.isthing", "approximated")] == 2
    assert rows[("segmentation", "id", "dropped")] == 1  # read back as panoptic-<image id>


def test_an_index_segment_keeps_its_own_area_and_bbox_while_its_pixels_survive(
    tmp_path: Path,
) -> None:
    index = np.zeros((H, W), np.uint8)
    index[0:4, 0:4] = 1
    own = {"area": 20.0, "bbox": [0.0, 0.0, 3.0, 3.0]}  # a source's own (off by one) values
    segmentation = Segmentation(
        mask=MaskRef(array=index), segments=[Segment(index=1, label="a", attributes=dict(own))]
    )
    _write(_dataset(segmentation), tmp_path / "kept")
    (entry,) = _output(tmp_path / "kept")[0]["annotations"][0]["segments_info"]
    assert (entry["area"], entry["bbox"]) == (20.0, [0.0, 0.0, 3.0, 3.0])
    cover = InstanceMask(label="b", rle=_rle(_rect(0, 1, 0, 16)))
    covered = _dataset(segmentation, cover)
    result = _write(covered, tmp_path / "covered")
    first = _output(tmp_path / "covered")[0]["annotations"][0]["segments_info"][0]
    assert (first["area"], first["bbox"]) == (12, [0, 1, 4, 3])
    rows = _rows(result.report)
    assert rows[("segmentation", "segments.attributes.area", "approximated")] == 1
    assert rows[("segmentation", "segments.attributes.bbox", "approximated")] == 1
    assert rows[("segmentation", "mask.overlap", "approximated")] == 4


def test_segment_ids_keep_ids_that_fit_and_number_the_rest(tmp_path: Path) -> None:
    masks = [_rect(0, 2, 0, 2), _rect(3, 5, 0, 2), _rect(6, 8, 0, 2), _rect(9, 11, 0, 2)]
    wanted: list[Any] = [2, 1 << 24, 2, "x"]
    data = _dataset(
        *(
            InstanceMask(label="car", rle=_rle(m), attributes={"coco_id": w})
            for m, w in zip(masks, wanted, strict=True)
        )
    )
    result = _write(data, tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    infos = doc["annotations"][0]["segments_info"]
    assert [e["id"] for e in infos] == [2, 1, 3, 4]
    ids = png_ids(pngs / "a.png")
    for entry, m in zip(infos, masks, strict=True):
        assert np.array_equal(ids == entry["id"], m.astype(bool))
    assert _rows(result.report)[("instance_mask", "attributes.coco_id", "dropped")] == 3


def test_boxes_keypoints_and_the_other_side_are_counted_as_dropped(tmp_path: Path) -> None:
    data = _dataset(
        Box(label="car", x=1, y=1, width=2, height=2),
        InstanceMask(label="car", rle=_rle(_rect(0, 2, 0, 2)), score=0.5, prediction=True),
        InstanceMask(label="car", rle=_rle(_rect(0, 2, 0, 2))),
    )
    result = _write(data, tmp_path / "gt")
    rows = _rows(result.report)
    assert rows[("box", "*", "dropped")] == 1
    assert rows[("instance_mask", "*", "dropped")] == 1  # the prediction
    preds = _write(_dataset(*data.items[0].annotations), tmp_path / "pred", content="predictions")
    assert _rows(preds.report)[("instance_mask", "score", "dropped")] == 1
    assert len(_output(tmp_path / "pred")[0]["annotations"][0]["segments_info"]) == 1


def test_an_image_without_segments_gets_an_empty_record_and_a_void_png(tmp_path: Path) -> None:
    _write(_dataset(Box(label="car", x=1, y=1, width=2, height=2)), tmp_path / "out")
    doc, pngs = _output(tmp_path / "out")
    assert doc["annotations"] == [{"image_id": 1, "file_name": "a.png", "segments_info": []}]
    ids = png_ids(pngs / "a.png")
    assert ids.shape == (H, W) and not ids.any()
    assert doc["categories"] == []  # the box was dropped: no label is used


def test_an_image_of_unknown_size_takes_it_from_its_masks_or_gets_no_record(
    tmp_path: Path,
) -> None:
    mask = InstanceMask(label="car", rle=_rle(_rect(0, 2, 0, 2)))
    _write(_dataset(mask, size=None), tmp_path / "sized")
    doc = _output(tmp_path / "sized")[0]
    assert (doc["images"][0]["width"], doc["images"][0]["height"]) == (W, H)
    ring = [(1.0, 1.0), (5.0, 1.0), (5.0, 5.0)]
    result = _write(_dataset(Polygon(label="car", points=ring), size=None), tmp_path / "unsized")
    doc = _output(tmp_path / "unsized")[0]
    assert doc["annotations"] == [] and len(doc["images"]) == 1
    rows = _rows(result.report)
    assert rows[("item", "media.size", "dropped")] == 1
    assert rows[("polygon", "*", "dropped")] == 1


# ---------------------------------------------------------------- refusals and names


def test_a_mask_of_another_size_than_the_image_is_refused_naming_item_and_field(
    tmp_path: Path,
) -> None:
    bad = InstanceMask(label="car", id="m1", rle=_rle(np.zeros((5, 5), np.uint8)))
    with pytest.raises(OutputError, match=r"item 'a.jpg', instance_mask 'm1': field rle.size"):
        _write(_dataset(bad), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_json_destination_is_refused_with_the_way_out(tmp_path: Path) -> None:
    src = write_panoptic_source(tmp_path / "src")
    result = run_cli("convert", str(src), str(tmp_path / "out.json"), "--to", "coco")
    assert result.returncode == 2
    assert "COCO panoptic output is a folder" in result.stderr
    assert "-w task=instances" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out.json").exists()
    ok = run_cli(
        "convert", str(src), str(tmp_path / "i.json"), "--to", "coco", "-w", "task=instances"
    )
    assert ok.returncode == 0, ok.stderr
    assert "segmentation" in orjson.loads((tmp_path / "i.json").read_bytes())["annotations"][0]


def test_auto_writes_instances_unless_the_source_was_panoptic(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "instances_demo.json"
    nc.convert(src, tmp_path / "i.json", to="coco")
    assert "images" in orjson.loads((tmp_path / "i.json").read_bytes())
    nc.convert(src, tmp_path / "p", to="coco", write_options={"task": "panoptic"})
    doc, pngs = _output(tmp_path / "p")
    assert len(doc["annotations"]) == 6 == len(list(pngs.iterdir()))


@pytest.mark.parametrize(
    "file_name", ["../../evil.jpg", "/etc/evil.jpg", "a\\b.jpg", "x/../../y.jpg", "a.png/b.jpg"]
)
def test_png_names_never_leave_the_png_folder(tmp_path: Path, file_name: str) -> None:
    items = [
        Item("a.png", media=ImageMedia("a.png", W, H)),
        Item(file_name, media=ImageMedia("b.jpg", W, H)),
    ]
    nc.write(
        MaterializedDataset(Header(), items, []).stream(), tmp_path / "out", "coco", task="panoptic"
    )
    doc, pngs = _output(tmp_path / "out")
    names = [r["file_name"] for r in doc["annotations"]]
    assert len(set(names)) == 2 and names[0] == "a.png"
    for name in names:
        assert (pngs / name).resolve().is_relative_to(pngs.resolve())
        assert (pngs / name).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_images_whose_png_names_clash_get_distinct_files(tmp_path: Path) -> None:
    items = [Item(ref, media=ImageMedia(ref, W, H)) for ref in ("a.jpg", "a.png", "a.jpeg")]
    nc.write(
        MaterializedDataset(Header(), items, []).stream(), tmp_path / "out", "coco", task="panoptic"
    )
    doc, pngs = _output(tmp_path / "out")
    names = [r["file_name"] for r in doc["annotations"]]
    assert names[0] == "a.png" and len(set(names)) == 3
    assert sorted(p.name for p in pngs.iterdir()) == sorted(names)


# ---------------------------------------------------------------- partitions


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_panoptic_output_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, workers: int
) -> None:
    src = write_panoptic_source(tmp_path / "src", images=7)
    nc.convert(src, tmp_path / "bundle", to="nucleus")
    (tmp_path / "x").mkdir(), (tmp_path / "y").mkdir()
    one = nc.convert(tmp_path / "bundle", tmp_path / "x" / "out", to="coco")
    parts = nc.convert(tmp_path / "bundle", tmp_path / "y" / "out", to="coco", workers=workers)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(tmp_path / "y" / "out") == _tree(tmp_path / "x" / "out")
    assert parts.report.to_json() == one.report.to_json()
    assert parts.summary == one.summary
    assert sorted(p.name for p in (tmp_path / "y").iterdir()) == ["out"]  # no parts left


def test_png_names_clashing_across_parts_hand_over_to_one_process(tmp_path: Path) -> None:
    def dataset() -> MaterializedDataset:
        refs = ["a.jpg", "b.jpg", "c.jpg", "a.png"]  # a.png is wanted again in part 2
        mask = InstanceMask(label="car", rle=_rle(_rect(0, 2, 0, 2)))
        items = [Item(r, media=ImageMedia(r, W, H), annotations=[mask]) for r in refs]
        return MaterializedDataset(Header(categories=[Category("car", 3)]), items, [])

    (tmp_path / "x").mkdir(), (tmp_path / "y").mkdir()
    one = nc.write(dataset().stream(), tmp_path / "x" / "out", "coco", task="panoptic")
    parts = nc.write(
        dataset().stream(), tmp_path / "y" / "out", "coco", task="panoptic", partitions=2
    )
    assert parts.partitions == 1 and parts.note is not None and "interact" in parts.note
    assert _tree(tmp_path / "y" / "out") == _tree(tmp_path / "x" / "out")
    assert parts.report.to_json() == one.report.to_json()


# ---------------------------------------------------------------- nothing lost silently


def test_the_conformance_kit_passes_the_panoptic_writer_where_panoptic_can(
    tmp_path: Path,
) -> None:
    labels = tmp_path / "labels.json"
    labels.write_bytes(
        orjson.dumps(
            {
                "images": [{"id": 7, "file_name": "l.jpg", "width": 20, "height": 10}],
                "categories": [{"id": 1, "name": "cat"}],
                "annotations": [{"id": 3, "image_id": 7, "category_id": 1}],
            }
        )
    )
    samples = [write_panoptic_source(tmp_path / "src"), FIXTURES / "coco/instances_demo.json"]
    report = check_format(
        "coco",
        [*samples, labels],
        workdir=tmp_path / "kit",
        write_options={"task": "panoptic"},
        raise_on_failure=False,
    )
    verdicts = {c.name: c for c in report.checks}
    # Boxes, keypoints and image labels (kinds the coco format declares for its instances
    # files) are dropped by a panoptic file, and reported: only that check fails.
    assert [c.name for c in report.failures] == ["round-trips declared kinds"]
    assert "box" in verdicts["round-trips declared kinds"].detail
    assert verdicts["counts what it cannot carry"].passed


@pytest.mark.parametrize("name", ["every_kind", "kitchen_sink", "nucleus_fixture"])
def test_every_field_lost_on_the_way_through_panoptic_was_counted(
    tmp_path: Path, name: str
) -> None:
    if name == "nucleus_fixture":
        original = nc.read(FIXTURES / "nucleus").materialize()
    elif name == "every_kind":
        original = every_kind_dataset()
    else:
        original = kitchen_sink_dataset(tmp_path / "media").materialize()
    written = _write(original, tmp_path / "out").report
    again = nc.read(tmp_path / "out").materialize()
    booked = {(e.kind, e.field) for e in written if any(e.count(s) for s in LOSSY_STATUSES)}
    seen = compare(original, again)
    lossy = {(e.kind, e.field) for e in seen if any(e.count(s) for s in LOSSY_STATUSES)}
    silent = [row for row in lossy if not _explained(row, booked)]
    assert not silent, f"lost without a loss row: {sorted(silent)}"


def _explained(row: tuple[str, str], booked: set[tuple[str, str]]) -> bool:
    """As tests/test_no_silent_loss.py: the same field, a refinement of it or the field it
    refines, or the whole record (or its item) was booked."""
    kind, field = row
    same_kind = {f for k, f in booked if k == kind}
    items = {f for k, f in booked if k == "item"}
    if field == "*":
        return bool((same_kind | items) & {"*", "reference_id"})
    return any(
        f == "*" or f == field or f.startswith(field + ".") or field.startswith(f + ".")
        for f in same_kind
    )


# ---------------------------------------------------------------- the shared corpus

CORPUS_PANOPTIC = sorted(
    p
    for p in CORPUS.glob("datumaro/coco_dataset/**/panoptic_*.json")
    if p != CORPUS / "datumaro/coco_dataset/coco_panoptic/annotations/panoptic_train.json"
)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("src", CORPUS_PANOPTIC, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_panoptic_files_come_back_identical_through_nucleus(
    src: Path, tmp_path: Path
) -> None:
    nc.convert(src, tmp_path / "bundle", to="nucleus")
    nc.convert(tmp_path / "bundle", tmp_path / "back", to="coco")
    original = orjson.loads(src.read_bytes())
    written, pngs = _output(tmp_path / "back")
    assert written == original  # datumaro's own (off by one) boxes included
    for record in original["annotations"]:
        want = png_ids(src.parent / src.stem / record["file_name"])
        assert np.array_equal(png_ids(pngs / record["file_name"]), want)
        for entry in record["segments_info"]:
            assert np.count_nonzero(want == entry["id"]) == entry["area"]


def test_a_group_of_several_labels_gives_a_segment_per_label(tmp_path: Path) -> None:
    # CVAT groups a person with their helmet: one segment has one category.
    person = nc.Polygon(label="person", group_id="7", points=[(0, 0), (8, 0), (8, 8), (0, 8)])
    helmet = nc.Polygon(label="helmet", group_id="7", points=[(10, 0), (14, 0), (14, 4), (10, 4)])
    item = nc.Item("a.jpg", nc.ImageMedia("a.jpg", 16, 16), annotations=[person, helmet])
    result = nc.write(nc.Dataset.of([item]), tmp_path / "out", "coco", task="panoptic")
    data = orjson.loads((tmp_path / "out" / "out.json").read_bytes())
    names = {c["id"]: c["name"] for c in data["categories"]}
    [record] = data["annotations"]
    segments = {names[s["category_id"]]: s for s in record["segments_info"]}
    assert set(segments) == {"person", "helmet"}
    ids = png_ids(tmp_path / "out" / "out" / record["file_name"])
    for name, segment in segments.items():
        assert segment_stats(ids, segment["id"]) == (segment["area"], segment["bbox"]), name
    rows = {(e.kind, e.field): e.counts for e in result.report}
    assert rows[("polygon", "group_id")]["approximated"] == 1  # the helmet, written apart
