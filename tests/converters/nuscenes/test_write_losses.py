"""What the nuScenes tables cannot carry is counted, under the model's kinds and fields: other
annotation kinds, predictions, labels on images, images outside scenes, distortion, metadata
without a place; and what the writer had to make up (tokens, poses, timestamps, point counts)
is counted as approximated, because it reads back as metadata the source did not have."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.loss import LossReport
from nucleus_convert.testing.kitchen_sink import kitchen_sink_dataset


def lossy(report: LossReport) -> dict[tuple[str, str], dict[str, int]]:
    return {(e.kind, e.field): e.counts for e in report.lossy_entries()}


@pytest.fixture
def sink_report(tmp_path: Path) -> LossReport:
    return nc.write(kitchen_sink_dataset(tmp_path / "media"), tmp_path / "out", "nuscenes").report


def test_kitchen_sink_other_kinds_predictions_and_plain_images_are_dropped(
    sink_report: LossReport,
) -> None:
    rows = lossy(sink_report)
    for kind in ("polygon", "polyline", "keypoints", "instance_mask", "segmentation", "category"):
        assert rows[(kind, "*")] == {"dropped": 1}, kind
    assert rows[("box", "*")] == {"dropped": 2}  # a box and a box prediction, on a plain image
    assert rows[("item", "*")] == {"dropped": 2}  # the two images outside the scene
    assert rows[("scene_category", "*")] == {"dropped": 1}
    assert rows[("header", "skeletons")] == {"dropped": 1}
    assert rows[("header", "taxonomies")] == {"dropped": 1}


def test_kitchen_sink_made_up_fields_are_approximated(sink_report: LossReport) -> None:
    rows = lossy(sink_report)
    for key in ("token", "sample_token", "timestamp", "ego_pose", "calibrated_sensor"):
        assert rows[("item", f"metadata.{key}")] == {"approximated": 2}, key
    assert rows[("cuboid", "track_id")] == {"approximated": 1}  # an instance of its own
    assert rows[("cuboid", "attributes.num_lidar_pts")] == {"approximated": 1}
    assert rows[("scene", "metadata.token")] == {"approximated": 1}
    assert rows[("header", "categories.source_id")] == {"approximated": 2}  # ids 1, 2


def test_a_bundles_predictions_distortion_and_metadata_without_place_are_counted(
    tmp_path: Path,
) -> None:
    rows = lossy(nc.convert(FIXTURES / "nucleus", tmp_path / "out", to="nuscenes").report)
    assert rows[("cuboid", "*")] == {"dropped": 2}  # cuboid predictions
    assert rows[("item", "camera.distortion")] == {"dropped": 2}
    assert rows[("item", "camera.camera_model")] == {"dropped": 2}
    assert rows[("item", "metadata.timestamp_us")] == {"dropped": 6}  # became timestamp
    assert rows[("scene", "metadata.duration_s")] == {"dropped": 1}
    assert rows[("item", "media")]["dropped"] == 3  # s3:// images: not copied


def test_nothing_is_counted_for_a_nuscenes_source(tmp_path: Path) -> None:
    source = FIXTURES / "nuscenes" / "v1.0-mini-like"
    rows = lossy(nc.convert(source, tmp_path / "out", to="nuscenes").report)
    assert set(rows) == {("record", "*")}  # sweeps, radar and map: not read


def test_images_none_counts_every_camera_image(tmp_path: Path) -> None:
    source = FIXTURES / "nuscenes" / "v1.0-mini-like"
    result = nc.convert(source, tmp_path / "out", to="nuscenes", write_options={"images": "none"})
    assert lossy(result.report)[("item", "media")] == {"dropped": 8}
    assert not (tmp_path / "out" / "samples" / "CAM_FRONT").exists()
