"""The nucleus-convert conformance kit on the yolo format, as any plugin author runs it."""

from __future__ import annotations

from collections.abc import Callable

from yolo_testlib import DARKNET, DETECT, PLAIN, SEGMENT

from nucleus_convert.testing import ConformanceReport


def test_yolo_conforms(nucleus_conformance: Callable[..., ConformanceReport]) -> None:
    report = nucleus_conformance("yolo", [DETECT, SEGMENT], distribution="nucleus-convert-yolo")
    assert report.passed, str(report)


def test_darknet_layout_conforms_too(nucleus_conformance: Callable[..., ConformanceReport]) -> None:
    # Darknet lists name their subsets (train.txt, valid.txt); only the declared kinds it holds
    # are checked against it, so the segmentation sample comes along for polygons.
    report = nucleus_conformance("yolo", [DARKNET, SEGMENT])
    assert report.passed, str(report)


def test_plain_folder_has_no_subset_and_the_kit_reports_the_one_the_writer_picks(
    nucleus_conformance: Callable[..., ConformanceReport],
) -> None:
    report = nucleus_conformance("yolo", [PLAIN, SEGMENT], raise_on_failure=False)
    assert [c.name for c in report.failures] == ["round-trips declared kinds"]
    detail = report.failures[0].detail
    assert "item.metadata.yolo_subset: approximated" in detail
    assert "written to 'train'" in detail
