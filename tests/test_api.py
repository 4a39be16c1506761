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
