"""Keypoints: named points with three-valued visibility and an optional 0-based skeleton;
Nucleus type ``keypoints``.

Nucleus ``visible: false`` with coordinates is "labelled, hidden", without coordinates
"unlabelled". The client invents an ``annotation_id`` when none is given; the encoder writes
the one it would invent (``label-reference_id-keypoints``).
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.kinds.values import array, num, obj, out, require, text
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Keypoint, Keypoints, Visibility

__all__ = ["KeypointsCodec"]

_EXTRA = frozenset({"task_id", "unknown_keys"})


def _names(geometry: dict[str, Any], count: int) -> list[str]:
    raw = array(require(geometry, "names", "geometry.names"), "geometry.names")
    names = [text(n, f"geometry.names[{i}]") for i, n in enumerate(raw)]
    if len(names) != count:
        raise InputError(f"{count} keypoints but {len(names)} names", field="geometry.names")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"keypoint name {dup!r} appears twice", field="geometry.names")
    return names


def _keypoint(raw: Any, path: str) -> Keypoint:
    kp = obj(raw, path)
    visible = require(kp, "visible", f"{path}.visible")
    if not isinstance(visible, bool):
        raise InputError(f"expected true or false, got {brief(visible)}", field=f"{path}.visible")
    x, y = kp.get("x"), kp.get("y")
    if (x is None) != (y is None):
        raise InputError("x and y must both be given or both be null", field=path)
    if x is None:
        if visible:
            raise InputError("a visible keypoint needs x and y", field=path)
        return Keypoint(None, None, Visibility.UNLABELLED)
    return Keypoint(
        num(x, f"{path}.x"),
        num(y, f"{path}.y"),
        Visibility.VISIBLE if visible else Visibility.HIDDEN,
    )


def _skeleton(raw: Any, count: int) -> list[tuple[int, int]]:
    skeleton = []
    for j, edge in enumerate(array(raw, "geometry.skeleton")):
        path = f"geometry.skeleton[{j}]"
        if (
            not isinstance(edge, list)
            or len(edge) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in edge)
        ):
            raise InputError(f"a skeleton edge is two indices, got {brief(edge)}", field=path)
        for v in edge:
            if not 0 <= v < count:
                raise InputError(f"index {v} is out of range for {count} keypoints", field=path)
        skeleton.append((edge[0], edge[1]))
    return skeleton


def _encode_keypoint(kp: Keypoint, report: LossReport, where: object) -> dict[str, Any]:
    if kp.visibility == Visibility.UNLABELLED or kp.x is None or kp.y is None:
        if kp.visibility != Visibility.UNLABELLED:
            report.changed(
                "keypoints",
                "points.visibility",
                reason="a labelled keypoint without coordinates is written as unlabelled",
                example=str(where),
            )
        elif kp.x is not None or kp.y is not None:
            report.dropped(
                "keypoints",
                "points.coordinates",
                reason="Nucleus writes an unlabelled keypoint (COCO v=0) without coordinates",
                example=str(where),
            )
        return {"x": None, "y": None, "visible": False}
    return {
        "x": out(kp.x, f"{where}: keypoint x"),
        "y": out(kp.y, f"{where}: keypoint y"),
        "visible": kp.visibility == Visibility.VISIBLE,
    }


class KeypointsCodec(Codec[Keypoints]):
    kind = "keypoints"
    model = Keypoints
    nucleus_types = ("keypoints",)
    carries = frozenset(
        {"label", "id", "attributes", "track_id", "group_id", "score", "class_pdf"}
        | {"points", "names", "skeleton"}
    )
    special_fields = frozenset({"points", "skeleton"})

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Keypoints:
        raw = array(require(geometry, "keypoints", "geometry.keypoints"), "geometry.keypoints")
        names = _names(geometry, len(raw))
        points = [_keypoint(kp, f"geometry.keypoints[{i}]") for i, kp in enumerate(raw)]
        skeleton = None
        if geometry.get("skeleton") is not None:
            skeleton = _skeleton(geometry["skeleton"], len(points))
        return Keypoints(points=points, names=names, skeleton=skeleton, **common)

    def encode(
        self,
        ann: Keypoints,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        md, task_id = ctx.begin(ann, _EXTRA, where)
        report = ctx.report
        payload = {
            "label": ann.label,
            "type": "keypoints",
            "geometry": {
                "keypoints": [_encode_keypoint(kp, report, where) for kp in ann.points],
                "names": list(ann.names),
                "skeleton": None if ann.skeleton is None else [[a, b] for a, b in ann.skeleton],
            },
            "reference_id": reference_id,
            "annotation_id": ann.id
            if ann.id is not None
            else f"{ann.label}-{reference_id}-keypoints",
            "metadata": md,
            "track_reference_id": ann.track_id,
            "task_id": task_id,
        }
        if len(ann.names) != len(ann.points):
            raise OutputError(f"{where}: {len(ann.points)} keypoints but {len(ann.names)} names")
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload

    def compare_special(self, a: Keypoints, b: Keypoints, cmp: Comparison, where: str) -> None:
        """``skeleton`` equal; ``points.visibility`` point by point; ``points``: the coordinates of
        the labelled points (an unlabelled point's coordinates, if any, are not data)."""
        cmp.eq("keypoints", "skeleton", a.skeleton, b.skeleton, where)
        cmp.eq(
            "keypoints",
            "points.visibility",
            [int(p.visibility) for p in a.points],
            [int(p.visibility) for p in b.points],
            where,
        )
        cmp.nums("keypoints", "points", _placed(a), _placed(b), where)


def _placed(ann: Keypoints) -> list[float]:
    return [v for p in ann.points if p.x is not None and p.visibility for v in (p.x, p.y)]  # type: ignore[misc]
