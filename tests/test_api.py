"""The Python API: one-shot datasets, and one loss report for writer, bundle and caller."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import DatasetConsumedError
from nucleus_convert.loss import LossReport


def _coco_with_a_bad_annotation(tmp_path: Path) -> Path:
    data = orjson.loads((FIXTURES / "coco" / "instances_demo.json").read_bytes())
    bad = dict(data["annotations"][0], id=999_999, bbox=[1, 2, "wide", 4])
    data["annotations"].append(bad)
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(data))
    return path


def test_writing_a_dataset_whose_items_ran_out_raises_and_creates_nothing(tmp_path: Path) -> None:
    dataset = nc.read(FIXTURES / "nucleus")
    nc.write(dataset, tmp_path / "first")
    with pytest.raises(DatasetConsumedError, match="already read to the end"):
        nc.write(dataset, tmp_path / "second")
    assert not (tmp_path / "second").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["first"]


def test_a_second_pass_over_a_consumed_stream_raises_instead_of_giving_nothing() -> None:
    dataset = nc.read(FIXTURES / "nucleus")
    first = [item.reference_id for item in dataset.items]
    assert len(first) == 10
    with pytest.raises(DatasetConsumedError):
        list(dataset.items)


def test_a_stream_taken_in_part_goes_on_where_it_stopped() -> None:
    dataset = nc.read(FIXTURES / "nucleus")
    head = next(dataset.items)
    rest = list(dataset.items)
    assert len(rest) == 9 and head.reference_id not in {i.reference_id for i in rest}


def test_a_materialized_dataset_streams_again_as_often_as_asked() -> None:
    kept = nc.read(FIXTURES / "nucleus").materialize()
    assert len(list(kept.stream().items)) == len(list(kept.stream().items)) == 10


def test_the_manifest_and_the_returned_report_are_one_report_with_the_reader_skips(
    tmp_path: Path,
) -> None:
    mine = LossReport()
    mine.dropped("box", "track_id", n=2, reason="counted before the write")
    dataset = nc.read(_coco_with_a_bad_annotation(tmp_path), "coco", on_error="skip")
    result = nc.write(dataset, tmp_path / "out", report=mine)
    assert result.report is mine
    manifest = orjson.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert manifest["loss"] == mine.to_json()
    assert manifest["skipped"] == mine.skipped
    assert len(mine.skipped) == 1 and "999999" in mine.skipped[0]
    assert mine.entries[("box", "track_id")].count("dropped") == 2


def test_convert_returns_the_report_the_manifest_holds(tmp_path: Path) -> None:
    result = nc.convert(
        _coco_with_a_bad_annotation(tmp_path),
        tmp_path / "out",
        from_="coco",
        read_options={"on_error": "skip"},
    )
    manifest = orjson.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert manifest["loss"] == result.report.to_json()
    assert result.report.skipped and manifest["skipped"] == result.report.skipped


def _dataset_with(label: str, reference_id: str, category: str) -> nc.Dataset:
    from nucleus_convert.model import Box, Category, Header, ImageMedia, Item

    box = Box(label=label, x=1, y=1, width=3, height=3)
    item = Item(reference_id, ImageMedia("img1.jpg", 10, 10), annotations=[box])
    return nc.Dataset(Header(categories=[Category("cat"), Category(category)]), iter([item]))


@pytest.mark.parametrize("fmt", ["coco", "voc", "kitti", "nucleus", "yolo"])
@pytest.mark.parametrize(
    ("label", "reference_id", "category", "where"),
    [
        ("ca\udcfft", "img1", "dog", "item 'img1'"),
        ("cat", "im\udcffg", "dog", "item 'im\\\\udcffg'"),
    ],
)
def test_text_no_output_can_encode_is_the_projects_error_naming_the_item(
    tmp_path: Path, fmt: str, label: str, reference_id: str, category: str, where: str
) -> None:
    with pytest.raises(nc.errors.NucleusConvertError, match=where):
        nc.write(_dataset_with(label, reference_id, category), tmp_path / "out", fmt)
    assert not (tmp_path / "out").exists()


def test_a_category_no_output_can_encode_is_refused_after_the_items(tmp_path: Path) -> None:
    with pytest.raises(nc.errors.OutputError, match="files written after the items"):
        nc.write(_dataset_with("cat", "img1", "d\ud800g"), tmp_path / "out", "coco")
    assert not (tmp_path / "out").exists()


def test_a_kitti_frame_whose_file_names_are_not_utf8_fails_with_one_line(tmp_path: Path) -> None:
    import os
    import shutil

    from cli_runner import run_cli

    src = tmp_path / "kitti"
    shutil.copytree(FIXTURES / "kitti" / "object", src)
    undecodable = os.fsdecode(b"00\xff000")  # a surrogate escape, as os.listdir gives it
    for path in list((src / "training").glob("*/000000*")):
        path.rename(path.with_name(undecodable + path.name[6:]))
    for target in ("coco", "nucleus"):
        dst = tmp_path / target
        proc = run_cli("convert", str(src), str(dst), "--from", "kitti", "--to", target)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: item ") and proc.stderr.count("\n") == 1
        assert "not valid Unicode" in proc.stderr
        assert not (tmp_path / target).exists()
