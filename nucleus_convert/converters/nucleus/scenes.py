"""LidarScene payloads: a scene's frames map sensor names to the items they embed."""

from __future__ import annotations

from typing import Any

from nucleus_convert.converters.nucleus.payloads import Decoder
from nucleus_convert.errors import InputError
from nucleus_convert.model import Frame, Item, Scene
from nucleus_convert.toolkit.limits import json_value_problem

__all__ = ["decode_scene"]


def _frame(frame: Any, i: int, ref: str, decoder: Decoder, items: list[Item]) -> Frame:
    if not isinstance(frame, dict) or not frame:
        raise InputError(
            "a frame maps sensor names to items", record=f"scene {ref!r}", field=f"frames[{i}]"
        )
    sensors: dict[str, str] = {}
    for sensor, payload in frame.items():
        try:
            item = decoder.item(payload)
        except InputError as exc:
            raise InputError(
                exc.message,
                record=f"scene {ref!r}",
                field=f"frames[{i}].{sensor}.{exc.field or 'item'}",
            ) from None
        sensors[sensor] = item.reference_id
        items.append(item)
    return Frame(sensors=sensors)


def decode_scene(obj: Any, decoder: Decoder) -> tuple[Scene, list[Item]]:
    """A LidarScene payload: the scene and the items its frames embed."""
    if not isinstance(obj, dict):
        raise InputError("a scene must be an object")
    ref = obj.get("reference_id")
    if not isinstance(ref, str):
        raise InputError("missing or non-string reference_id", field="reference_id")
    frames_raw = obj.get("frames")
    if not isinstance(frames_raw, list) or not frames_raw:
        raise InputError(
            "a scene needs a non-empty frames list", record=f"scene {ref!r}", field="frames"
        )
    items: list[Item] = []
    frames = [_frame(frame, i, ref, decoder, items) for i, frame in enumerate(frames_raw)]
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError("expected an object", record=f"scene {ref!r}", field="metadata")
    problem = json_value_problem(metadata)
    if problem is not None:
        raise InputError(problem, record=f"scene {ref!r}", field="metadata")
    return Scene(reference_id=ref, frames=frames, metadata=dict(metadata)), items
