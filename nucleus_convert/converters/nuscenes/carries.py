"""What the nuScenes tables keep of each model record, declared once for the writer.

The tables hold scenes of LiDAR sweeps and camera images with 3D boxes: every annotation kind
but ``cuboid`` is dropped whole, and the fields below a record holds without a place in the
tables are counted per ``(kind, field)``. The writer counts itself (finer rows) what it keeps
in part: cuboid ``id``, ``track_id`` (become tokens) and ``attributes`` (visibility, attribute
names and point counts), item ``metadata`` (tokens, timestamp, poses), ``camera`` (the
calibrated sensor), ``reference_id`` (the file name) and ``media``, scene ``metadata`` (token,
description, frame, log) and ``frames``, and the header's categories and ``extra``.
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

NO_PLACE = "the nuScenes tables have no place for it"

CARRIES = Carries.of(
    "nuscenes",
    {
        "cuboid": {"label", "position", "dimensions", "yaw"},
        "item": set(),
        "scene": {"reference_id"},
        "header": set(),
    },
    reasons={
        ("cuboid", "group_id"): "a sample_annotation has no group",
        ("cuboid", "score"): "the tables hold ground truth only",
        ("cuboid", "class_pdf"): "the tables hold ground truth only",
        ("cuboid", "extra"): NO_PLACE,
        ("item", "extra"): NO_PLACE,
        ("header", "skeletons"): "nuScenes has no keypoints",
        ("header", "taxonomies"): "nuScenes has no category taxonomies",
    },
    no_kind_reason="the nuScenes tables hold 3D boxes (cuboids) only",
)

HANDLED_CUBOID = frozenset({"id", "track_id", "attributes"})
HANDLED_ITEM = frozenset({"reference_id", "media", "metadata", "camera", "annotations"})
HANDLED_SCENE = frozenset({"frames", "metadata", "annotations"})
HANDLED_HEADER = frozenset({"categories", "extra"})
