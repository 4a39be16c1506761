"""Real public OBB and pose samples (tests/data/real/README.md: Datumaro's Ultralytics exports,
MIT): read with the values their files hold, written back, round-tripped through Nucleus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from yolo_testlib import REAL, items, nucleus_roundtrip

import nucleus_convert as nc
from nucleus_convert.testing import ConformanceReport

SAMPLES = [REAL / "datumaro_obb", REAL / "datumaro_pose", REAL / "datumaro_pose_2d"]


def test_the_real_obb_sample_is_found_to_be_obb_with_a_corner_outside_the_image() -> None:
    dataset = nc.read(REAL / "datumaro_obb", "yolo").materialize()
    assert dataset.header.extra == {"yolo": {"task": "obb"}}  # no task key: 9-field lines
    (item,) = dataset.items
    assert isinstance(item.media, nc.ImageMedia)
    assert (item.media.width, item.media.height) == (15, 10)
    first, second = item.annotations
    assert isinstance(first, nc.Polygon) and isinstance(second, nc.Polygon)
    assert (first.label, second.label) == ("label_2", "label_4")
    # 0.146731 * 15 = 2.200965, the shortest decimal within the 6th digit's half unit
    assert first.points[0] == (2.20096, 1.51795)
    assert second.points[3] == (6.63398, -0.09808)  # -0.009808 of 10 pixels


def test_the_real_pose_samples_keep_box_keypoints_and_visibility() -> None:
    for sample in ("datumaro_pose", "datumaro_pose_2d"):
        (item,) = items(REAL / sample).values()
        box, kps = item.annotations
        assert isinstance(box, nc.Box) and isinstance(kps, nc.Keypoints)
        assert (box.x, box.y, box.width, box.height) == (0.0, 2.0, 4.0, 2.0)
        assert box.group_id == kps.group_id == "1"
        assert [p.visibility for p in kps.points] == [nc.Visibility.VISIBLE] * 3
        assert kps.names == ["kpt_0", "kpt_1", "kpt_2"]
    # "0.1 0.2" are %g-style short decimals, read as 0.100000 and 0.200000: the exact
    # products, with or without the snap
    for snap in ("true", "false"):
        (item,) = items(REAL / "datumaro_pose", snap=snap).values()
        kps = item.annotations[1]
        assert isinstance(kps, nc.Keypoints)
        assert [(p.x, p.y) for p in kps.points] == [(1.5, 2.0), (4.5, 4.0), (7.5, 6.0)]


def test_the_real_obb_sample_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    source = REAL / "datumaro_obb"
    result = nc.write(nc.read(source, "yolo"), tmp_path / "out", "yolo")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    written = (tmp_path / "out" / "labels" / "train" / "1.txt").read_text()
    assert written == (source / "labels" / "train" / "1.txt").read_text()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_the_real_samples_round_trip_through_nucleus_exactly(sample: Path) -> None:
    result = nucleus_roundtrip(sample)
    assert result["ok"], result["unexpected"]


def test_the_real_samples_pass_the_conformance_kit(
    nucleus_conformance: Callable[..., ConformanceReport],
) -> None:
    report = nucleus_conformance("yolo", SAMPLES)
    assert report.passed, str(report)
