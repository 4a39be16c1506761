"""Scene export rows grouped by track: ``Dataset.scene_and_annotation_generator`` of the client.

Each row (endpoint ``exportForTrainingByScene``) is::

    {"scene": {"id", "reference_id", "metadata", "type", "fileLocation"},
     "annotations": {"<track id>": {"label", "name",
                                    "frames": [{"left", "top", "width", "height", "key",
                                                "dataset_item_id", "metadata"}]}}}

A track's frames become boxes (``x = left``, ``y = top``, pixels) with ``track_id`` the track
id, the track's label, the frame's metadata as attributes and the track's ``name`` in
``extra`` (when it differs from the label) on the item whose reference id is the frame's
``key``. The items carry no media (the export names none); the scene keeps its reference id,
metadata and one frame per key (sensor ``image``) in the order the keys first appear.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.errors import InputError
from nucleus_convert.kinds.values import free_obj, num, obj, text
from nucleus_convert.model import Annotation, Box, Frame, Scene

__all__ = ["SENSOR", "is_scene_export", "read_scene_export"]

SENSOR = "image"
"""The sensor name of the frames of a scene read from a track export."""


def is_scene_export(row: dict[str, Any]) -> bool:
    """A row of the scene export (``scene`` plus ``annotations`` grouped by track)."""
    return isinstance(row.get("scene"), dict) and isinstance(row.get("annotations"), dict)


def _box(frame: Any, field: str, track_id: str, label: str, name: Any) -> tuple[str, Box]:
    f = obj(frame, field)
    key = text(f.get("key"), f"{field}.key")
    box = Box(
        x=num(f.get("left"), f"{field}.left"),
        y=num(f.get("top"), f"{field}.top"),
        width=num(f.get("width"), f"{field}.width"),
        height=num(f.get("height"), f"{field}.height"),
        label=label,
        track_id=track_id,
        attributes=dict(free_obj(f.get("metadata") or {}, f"{field}.metadata")),
    )
    if box.width < 0 or box.height < 0:
        raise InputError("negative box size", field=field)
    if name is not None and name != label:
        box.extra["name"] = name
    return key, box


def read_scene_export(row: dict[str, Any], into: dict[str, list[Annotation]]) -> Scene:
    """The scene of one export row; its boxes go to ``into`` by frame key (item reference id)."""
    scene = obj(row["scene"], "scene")
    ref = text(scene.get("reference_id"), "scene.reference_id")
    metadata = dict(free_obj(scene.get("metadata") or {}, "scene.metadata"))
    keys: dict[str, None] = {}
    for track_id, track in row["annotations"].items():
        t = obj(track, f"annotations.{track_id}")
        label = text(t.get("label", ""), f"annotations.{track_id}.label")
        frames = t.get("frames")
        if not isinstance(frames, list):
            raise InputError("expected a list", field=f"annotations.{track_id}.frames")
        for i, frame in enumerate(frames):
            field = f"annotations.{track_id}.frames[{i}]"
            key, box = _box(frame, field, str(track_id), label, t.get("name"))
            keys.setdefault(key)
            into[key].append(box)
    return Scene(reference_id=ref, frames=[Frame({SENSOR: key}) for key in keys], metadata=metadata)
