"""The nucleus-convert conformance kit on the yolo format, as any plugin author runs it."""

from __future__ import annotations

from collections.abc import Callable

from yolo_testlib import DARKNET, DETECT, OBB, PLAIN, POSE, POSE2D, SEGMENT

from nucleus_convert.testing import ConformanceReport


def test_yolo_conforms(nucleus_conformance: Callable[..., ConformanceReport]) -> None:
    report = nucleus_conformance(
        "yolo", [DETECT, SEGMENT, POSE], distribution="nucleus-convert-yolo"
    )
    assert report.passed, str(report)


def test_oriented_box_and_pose_datasets_conform(
    nucleus_conformance: Callable[..., ConformanceReport],
) -> None:
    # OBB (found from its 9-field lines), pose with visibility and pose without: each is
    # written back as what it is, read again and converted to Nucleus payloads.
    report = nucleus_conformance("yolo", [OBB, POSE, POSE2D])
    assert report.passed, str(report)


def test_darknet_layout_conforms_too(nucleus_conformance: Callable[..., ConformanceReport]) -> None:
    # Darknet lists name their subsets (train.txt, valid.txt); only the declared kinds it holds
    # are checked against it, so the segmentation and pose samples come along for polygons and
    # keypoints.
    report = nucleus_conformance("yolo", [DARKNET, SEGMENT, POSE])
    assert report.passed, str(report)


def test_plain_folder_has_no_subset_and_the_kit_reports_the_one_the_writer_picks(
    nucleus_conformance: Callable[..., ConformanceReport],
) -> None:
    report = nucleus_conformance("yolo", [PLAIN, SEGMENT, POSE], raise_on_failure=False)
    assert [c.name for c in report.failures] == ["round-trips declared kinds"]
    detail = report.failures[0].detail
    assert "item.metadata.yolo_subset: approximated" in detail
    assert "written to 'train'" in detail
