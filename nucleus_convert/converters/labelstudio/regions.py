"""Results grouped into regions: what one Label Studio region is made of.

A region drawn on the image (a rectangle, polygon, keypoint or brush) may come with more
results that share its ``id``: per-region choices, text areas, ratings, taxonomies, or the
``labels`` of an unlabelled tool. The first drawn result of an id is the region; the others are
its siblings, kept whole in the region's ``ls_region_results`` attribute. A result that draws
nothing and shares no id with a drawn one stands alone (choices become image categories; other
types have no place in the model).

Pure functions over parsed JSON, shared by the header pass (labels only, nothing checked) and
the item reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nucleus_convert.converters.labelstudio.schema import REGION_KINDS, label_key

__all__ = ["DRAWN", "Region", "choice_labels", "region_labels", "regions", "result_kind"]

DRAWN = frozenset({"box", "polygon", "keypoints", "instance_mask"})
"""Model kinds of the results that draw a region."""


@dataclass(slots=True)
class Region:
    """One result that becomes an annotation (or is left out), with its siblings."""

    main: Any
    siblings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        """The model kind of :attr:`main` (``choices`` for a category), or ``None``."""
        return result_kind(self.main)


def _drawn_kind(value: dict[str, Any]) -> str | None:
    """The kind a ``labels`` result draws, from the keys of its value."""
    if "points" in value:
        return "polygon"
    if "rle" in value:
        return "instance_mask"
    if "radiusX" in value or "x" not in value or "y" not in value:
        return None
    return "box" if "width" in value and "height" in value else "keypoints"


def result_kind(result: Any) -> str | None:
    """``box``, ``polygon``, ``keypoints``, ``instance_mask``, ``choices`` or ``None`` (no
    place in the model: relations, text spans, ellipses, video, text areas...)."""
    if not isinstance(result, dict):
        return None
    kind = result.get("type")
    value = result.get("value")
    if not isinstance(kind, str) or not isinstance(value, dict):
        return None
    if kind in REGION_KINDS:
        return REGION_KINDS[kind]
    if kind == "choices":
        return "choices"
    if kind == "labels":
        return _drawn_kind(value)
    return None


def regions(results: list[Any]) -> list[Region]:
    """The results of one annotation or prediction as regions, in order of first appearance."""
    groups: list[list[Any]] = []
    by_id: dict[str, list[Any]] = {}
    for result in results:
        rid = result.get("id") if isinstance(result, dict) else None
        if isinstance(rid, str):
            members = by_id.get(rid)
            if members is not None:
                members.append(result)
                continue
            members = by_id[rid] = [result]
        else:
            members = [result]
        groups.append(members)
    out: list[Region] = []
    for members in groups:
        main = next((m for m in members if result_kind(m) in DRAWN), None)
        if main is None:
            out.extend(Region(m) for m in members)
        else:
            out.append(Region(main, [m for m in members if m is not main]))
    return out


def _labels_of(result: dict[str, Any]) -> list[Any] | None:
    key = label_key(str(result.get("type")))
    value = result.get("value")
    if key is None or not isinstance(value, dict):
        return None
    labels = value.get(key)
    return labels if isinstance(labels, list) else None


def region_labels(region: Region) -> list[Any]:
    """The labels of a drawn region: its own, else those of its first labelled sibling."""
    own = _labels_of(region.main)
    if own:
        return own
    for sibling in region.siblings:
        labels = _labels_of(sibling)
        if labels:
            return labels
    return own or []


def choice_labels(result: dict[str, Any]) -> Any:
    """The ``choices`` list of a choices result (unchecked)."""
    value = result.get("value")
    return value.get("choices") if isinstance(value, dict) else None
