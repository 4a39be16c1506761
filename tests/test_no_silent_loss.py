"""Nothing is lost silently: whatever a round trip through a format shows missing or changed,
that format's writer counted in its loss report, under the same model kind and field.

The oracle is independent of each writer's declaration: a dataset is written in a target
format and read back, the two are compared field by field through the kind codecs
(:func:`nucleus_convert.roundtrip.compare`), and every lossy ``(kind, field)`` row of that
comparison must be explained by a lossy row the writer booked: the same field, a dotted
refinement of it or the field it refines, the whole record (``*``), or, for annotations, their
item left out or renamed. Sources: the Nucleus fixture bundle (track ids, camera parameters,
metadata, predictions, scenes) and the every-kind dataset; the row names are also checked on the
conformance kit's kitchen sink.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.loss import LOSSY_STATUSES, LossReport
from nucleus_convert.roundtrip import compare
from nucleus_convert.testing.kitchen_sink import kitchen_sink_dataset
from nucleus_convert.toolkit.losses import loss_row_problem

TARGETS = [
    "coco",
    "voc",
    "kitti",
    "kitti_raw",
    "pointcloud",
    "nucleus",
    "labelme",
    "cvat",
    "labelstudio",
    "nuscenes",
]
WRITE_ONLY_CHECKED = ["yolo"]  # its reader needs the image files to de-normalise labels


def _lossy(report: LossReport) -> set[tuple[str, str]]:
    return {(e.kind, e.field) for e in report if any(e.count(s) for s in LOSSY_STATUSES)}


def _explained(row: tuple[str, str], booked: set[tuple[str, str]]) -> bool:
    kind, field = row
    same_kind = {f for k, f in booked if k == kind}
    if field == "*":
        return bool(same_kind & {"*", "reference_id"}) or bool(
            {f for k, f in booked if k == "item"} & {"*", "reference_id"}
        )
    return any(
        f == "*" or f == field or f.startswith(field + ".") or field.startswith(f + ".")
        for f in same_kind
    )


def _source(name: str, tmp_path: Path) -> Path:
    """The dataset ``name`` as a Nucleus bundle."""
    if name == "nucleus_fixture":
        return FIXTURES / "nucleus"
    if name == "every_kind":
        data = every_kind_dataset().stream()
    else:
        data = kitchen_sink_dataset(tmp_path / "media")
    nc.write(data, tmp_path / name, "nucleus")
    return tmp_path / name


@pytest.fixture(params=["nucleus_fixture", "every_kind"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return _source(request.param, tmp_path)


@pytest.fixture(params=["nucleus_fixture", "every_kind", "kitchen_sink"])
def any_source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return _source(request.param, tmp_path)


def _dst(tmp_path: Path, target: str) -> Path:
    return tmp_path / target / ("out.json" if target == "coco" else "out")


@pytest.mark.parametrize("target", TARGETS)
def test_every_field_a_round_trip_loses_was_counted_by_the_writer(
    source: Path, tmp_path: Path, target: str
) -> None:
    original = nc.read(source).materialize()
    dst = _dst(tmp_path, target)
    dst.parent.mkdir()
    written = nc.write(original.stream(), dst, target).report
    back = nc.read(dst, target)
    comparison = compare(original, back)
    lost = _lossy(comparison)
    unnamed = [(e.kind, e.field) for e in comparison if loss_row_problem(e.kind, e.field)]
    assert not unnamed, f"comparison rows that do not name the model: {unnamed}"
    booked = _lossy(written)
    silent = sorted(row for row in lost if not _explained(row, booked))
    assert not silent, f"{target} lost without a loss row: {silent}"
    if target != "nucleus":
        assert lost, "a format other than nucleus cannot carry everything in these sources"


@pytest.mark.parametrize("target", [*TARGETS, *WRITE_ONLY_CHECKED])
def test_every_loss_row_names_a_model_kind_and_field(
    any_source: Path, tmp_path: Path, target: str
) -> None:
    dst = _dst(tmp_path, target)
    dst.parent.mkdir()
    report = nc.convert(any_source, dst, to=target).report
    assert report.entries, "every source holds something a target counts"
    problems = [
        f"({e.kind}, {e.field}): {problem}"
        for e in report
        if (problem := loss_row_problem(e.kind, e.field)) is not None
    ]
    assert not problems, problems


EXPECTED_BUNDLE_ROWS = {
    # track ids, cameras, metadata and predictions of the Nucleus fixture bundle
    "coco": {
        ("box", "track_id"),
        ("item", "camera"),
        ("box", "*"),  # predictions, left out of an instances file
        ("item", "*"),  # point clouds
    },
    "voc": {("box", "track_id"), ("item", "camera"), ("box", "*"), ("item", "*")},
    "kitti": {
        ("box", "track_id"),
        ("box", "class_pdf"),  # KITTI keeps a prediction's score, not its class pdf
        ("item", "camera.distortion"),  # the pinhole is kept as the calibration
        ("item", "metadata.timestamp_us"),
        ("item", "reference_id"),
    },
    "cvat": {("box", "track_id"), ("item", "camera"), ("box", "*"), ("item", "*")},
    "labelstudio": {("box", "track_id"), ("item", "camera"), ("item", "*"), ("cuboid", "*")},
    "yolo": {
        ("box", "track_id"),
        ("item", "camera"),
        ("box", "*"),  # predictions
        ("item", "*"),  # point clouds
        ("item", "metadata.timestamp_us"),
    },
}


@pytest.mark.parametrize("target", sorted(EXPECTED_BUNDLE_ROWS))
def test_track_ids_cameras_metadata_and_predictions_of_a_bundle_are_reported(
    tmp_path: Path, target: str
) -> None:
    dst = _dst(tmp_path, target)
    dst.parent.mkdir()
    report = nc.convert(FIXTURES / "nucleus", dst, to=target).report
    missing = EXPECTED_BUNDLE_ROWS[target] - _lossy(report)
    assert not missing, f"{target} did not report {sorted(missing)}"
