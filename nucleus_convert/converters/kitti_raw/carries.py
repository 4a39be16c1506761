"""What a KITTI raw drive keeps of each model record, declared once for the writer.

A drive holds velodyne scans, camera images, a calibration and cuboid tracklets; every other
annotation kind is dropped whole, and the fields below a record holds without a place in the
devkit's files are counted per ``(kind, field)``. The writer counts itself (finer rows) what
it keeps in part: cuboid ``attributes`` (pose fields and CVAT blocks), ``id`` and
``track_id`` (renamed by drive, track and frame), item ``metadata`` (only ``frame``), item
``camera`` (the calibration), item ``extra`` (only the source calibration files), scene
``reference_id`` (the drive folder) and the header's categories, skeletons and taxonomies.
"""

from __future__ import annotations

from nucleus_convert.toolkit.losses import Carries

__all__ = [
    "CARRIES",
    "HANDLED_CUBOID",
    "HANDLED_HEADER",
    "HANDLED_ITEM",
    "HANDLED_SCENE",
    "NO_PLACE",
]

NO_PLACE = "kitti_raw has no place for it"

CARRIES = Carries.of(
    "kitti_raw",
    {
        "cuboid": {"label", "position", "dimensions", "yaw"},
        "item": {"media"},
        "scene": {"frames"},
        "header": set(),
    },
    reasons={
        ("cuboid", "group_id"): "tracklets have no groups",
        ("cuboid", "score"): "a tracklet has no score",
        ("cuboid", "class_pdf"): "a tracklet has no score",
        ("cuboid", "extra"): "tracklet poses have no extra fields",
        ("scene", "metadata"): NO_PLACE,
        ("header", "extra"): "kitti_raw has no dataset-level fields",
    },
    no_kind_reason="kitti_raw tracklets hold only cuboids",
)

HANDLED_CUBOID = frozenset({"id", "track_id", "attributes"})
HANDLED_ITEM = frozenset({"reference_id", "metadata", "camera", "annotations", "extra"})
HANDLED_SCENE = frozenset({"reference_id", "annotations"})
HANDLED_HEADER = frozenset({"categories", "skeletons", "taxonomies"})
