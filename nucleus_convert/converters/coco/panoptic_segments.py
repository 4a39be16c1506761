"""The ``segments_info`` of one COCO panoptic image, from its painted pieces.

Conventions (COCO panoptic's): an entry is ``{"id", "category_id", "iscrowd", "bbox", "area",
...}``; ids are unique within the image and lie in ``1 .. 2^24 - 1`` (the PNG's colours);
``area`` is the segment's pixel count and ``bbox`` the box of its pixels (see
:mod:`.panoptic_pixels`). A piece's ``coco_id`` attribute (the panoptic reader's segment id, or
a COCO annotation id) is its id where it fits and is free; the others get the smallest free
ids, in order. The ``area`` and ``bbox`` attributes of an index-mask segment whose pixels all
survived painting are written as read (a panoptic source's own values); otherwise both are
computed from the pixels, and an attribute that said otherwise is counted as approximated.
``iscrowd`` is the attribute's, else 0; every other attribute becomes a key of the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nucleus_convert.converters.coco.panoptic_pieces import Piece
from nucleus_convert.converters.coco.panoptic_pixels import MAX_SEGMENT_ID
from nucleus_convert.loss import LossReport

__all__ = ["OVERLAP_FIELDS", "Painted", "segment_ids", "segments_info"]

OVERLAP_FIELDS = {
    "segmentation": "mask.overlap",
    "instance_mask": "rle.overlap",
    "polygon": "points.overlap",
}
"""The loss-report field of pixels a piece of each kind lost to later layers."""

_HANDLED = frozenset({"coco_id", "area", "bbox", "iscrowd"})
_RESERVED = frozenset({"id", "category_id"})


@dataclass(slots=True)
class Painted:
    """What painting left of each piece ``k`` (lists indexed by piece number; 0 is void)."""

    areas: list[int]
    boxes: list[list[int]]
    own: list[int]
    """Pixels each piece had in its own layer."""
    covered: list[int]
    """Pixels of each piece that later layers covered."""

    def kept(self, number: int) -> bool:
        """True unless later layers covered every pixel the piece had."""
        return self.areas[number] > 0 or self.own[number] == 0


def _usable(value: Any) -> bool:
    return type(value) is int and 0 < value <= MAX_SEGMENT_ID


def segment_ids(pieces: list[Piece], painted: Painted, report: LossReport) -> list[int]:
    """The segment id of each piece (0 for a piece that is not kept); see the module
    docstring."""
    ids = [0] * len(pieces)
    used: set[int] = set()
    for k, piece in enumerate(pieces):
        wanted = piece.attributes.get("coco_id")
        if not (isinstance(wanted, int) and _usable(wanted)) or not painted.kept(k + 1):
            continue
        if wanted not in used:
            ids[k] = wanted
            used.add(wanted)
    free = 1
    for k, piece in enumerate(pieces):
        if ids[k] or not painted.kept(k + 1):
            continue
        while free in used:
            free += 1
        ids[k] = free
        used.add(free)
        if "coco_id" in piece.attributes:
            report.dropped(
                piece.kind,
                f"{piece.field}.coco_id",
                reason="a panoptic segment id is an integer in 1..2**24-1, unique in its "
                "image: another id was given",
                example=f"{piece.where}: {str(piece.attributes['coco_id'])[:40]}",
            )
    return ids


def _own_area(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _own_box(value: Any) -> bool:
    return type(value) is list and len(value) == 4 and all(_own_area(v) for v in value)


def _entry(
    piece: Piece, k: int, sid: int, category: Any, painted: Painted, report: LossReport
) -> dict[str, Any]:
    attrs = piece.attributes
    entry: dict[str, Any] = {"id": sid, "category_id": category, "iscrowd": attrs.get("iscrowd", 0)}
    exact = piece.from_index and not painted.covered[k]
    for key, computed, valid in (
        ("bbox", painted.boxes[k], _own_box),
        ("area", painted.areas[k], _own_area),
    ):
        own = attrs.get(key)
        if exact and valid(own):
            entry[key] = own
            continue
        entry[key] = computed
        if own is not None and own != computed:
            report.approximated(
                piece.kind,
                f"{piece.field}.{key}",
                reason="a panoptic segment's area and bbox are those of its pixels in the PNG",
                example=f"{piece.where}: {str(own)[:40]} became {computed}",
            )
    for key, value in attrs.items():
        if key in _RESERVED:
            report.dropped(
                piece.kind,
                f"{piece.field}.{key}",
                reason=f"attribute {key!r} is a COCO panoptic field name",
                example=piece.where,
            )
        elif key not in _HANDLED:
            entry[key] = value
    return entry


def segments_info(
    pieces: list[Piece],
    categories: list[Any],
    painted: Painted,
    report: LossReport,
) -> tuple[list[dict[str, Any]], list[int]]:
    """The ``segments_info`` entries of the kept pieces, in piece order (``categories[k]``:
    the category record of piece ``k``, resolved to its id when the file is written), and the
    id of each piece (0: not kept). Pixels lost to later layers and pieces covered whole are
    counted."""
    ids = segment_ids(pieces, painted, report)
    out: list[dict[str, Any]] = []
    for k, piece in enumerate(pieces):
        number = k + 1
        if painted.covered[number]:
            report.approximated(
                piece.kind,
                OVERLAP_FIELDS[piece.kind],
                n=painted.covered[number],
                reason="pixels covered by a later annotation keep only the later one (counted "
                "in pixels)",
                example=piece.where,
            )
        if not painted.kept(number):
            report.dropped(
                piece.kind,
                "segments" if piece.from_index else "*",
                reason="later annotations cover all its pixels: a panoptic PNG holds one "
                "segment per pixel",
                example=piece.where,
            )
            continue
        entry = _entry(piece, number, ids[k], categories[k], painted, report)
        if piece.from_index:
            _count_read_back(piece, entry, len(out) + 1, report)
        out.append(entry)
    return out, ids


def _count_read_back(piece: Piece, entry: dict[str, Any], index: int, report: LossReport) -> None:
    """Count how an index-mask segment differs when read back: numbered ``index`` (its place
    in ``segments_info``), with the entry's keys as attributes (``id`` as ``coco_id``)."""
    if piece.index != index:
        report.approximated(
            "segmentation",
            "segments",
            reason="read back numbered 1..n in segments_info order (pixels keep their labels)",
            example=f"{piece.where} became {index}",
        )
    again = {"coco_id": entry["id"]}
    again.update((k, v) for k, v in entry.items() if k not in ("id", "category_id"))
    if again != piece.attributes:
        report.approximated(
            "segmentation",
            "segments.attributes",
            reason="read back with the segment's entry as attributes (coco_id, iscrowd, bbox, "
            "area and its other keys)",
            example=piece.where,
        )
