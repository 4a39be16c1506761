"""COCO keypoints: ``[x1, y1, v1, x2, y2, v2, ...]`` with ``v`` = 0 (unlabelled), 1 (labelled,
hidden), 2 (visible); an unlabelled point at ``(0, 0)`` has no position. The category's
skeleton (1-based in the file, 0-based in the model by the time it gets here) names the points
and gives the edges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from nucleus_convert.model import Keypoint, Keypoints, Skeleton, Visibility

__all__ = ["read_keypoints"]

_VIS = (Visibility.UNLABELLED, Visibility.HIDDEN, Visibility.VISIBLE)

Error = Callable[[str, str, str], NoReturn]
"""Raises the reader's located error for (message, record, field)."""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def read_keypoints(
    raw: Any,
    skel: Skeleton | None,
    record: str,
    group: str,
    common: dict[str, Any],
    error: Error,
) -> Keypoints:
    """The keypoints member of a COCO object: ``raw`` is its ``keypoints`` value, ``skel`` its
    category's skeleton, ``common`` the fields every member of the object shares."""
    if not isinstance(raw, list) or not all(_is_number(v) for v in raw):
        error("keypoints must be a flat list of numbers", record, "keypoints")
    if len(raw) % 3:
        error(
            f"keypoints has {len(raw)} values, not a multiple of 3 (x, y, v)",
            record,
            "keypoints",
        )
    n = len(raw) // 3
    if skel is not None and skel.names and len(skel.names) != n:
        error(
            f"{n} keypoints but category {common['label']!r} names {len(skel.names)}",
            record,
            "keypoints",
        )
    names = list(skel.names) if skel is not None and skel.names else [f"{i + 1}" for i in range(n)]
    points = []
    for i in range(n):
        x, y, v = raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]
        if v not in (0, 1, 2):
            error(
                f"keypoint {i} has visibility {v!r}; COCO uses 0, 1 or 2",
                record,
                "keypoints",
            )
        vis = _VIS[int(v)]
        if vis is Visibility.UNLABELLED and x == 0 and y == 0:
            points.append(Keypoint(None, None, vis))
        else:
            points.append(Keypoint(x, y, vis))
    edges = None
    if skel is not None and skel.edges and all(max(e) < n for e in skel.edges):
        edges = list(skel.edges)
    return Keypoints(id=f"{group}.keypoints", points=points, names=names, skeleton=edges, **common)
