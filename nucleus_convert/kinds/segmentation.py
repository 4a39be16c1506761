"""Segmentation: an index mask of a whole image and the label of each of its values; Nucleus
type ``mask`` (also read as ``segmentation``, as export rows group them).

The payload points to the mask (``mask_url``) and lists the segments; it has no label,
metadata, track, group or confidence of its own. A segment's group id travels in its metadata
under the ``group_key`` option. Round trips compare the masks pixel by pixel through their
segments' labels, so a renumbered index mask still compares equal.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.kinds.values import array, free_obj, obj, require, text
from nucleus_convert.model import MaskRef, Segment, Segmentation

__all__ = ["SegmentationCodec"]

_EXTRA = frozenset({"unknown_keys"})
_NO_SUCH_FIELD = "Nucleus segmentation payloads have no such field"


def _segment(raw: Any, i: int, seen: set[int], group_key: str) -> Segment:
    s = obj(raw, f"annotations[{i}]")
    index = s.get("index")
    if isinstance(index, str) and index.isdigit():
        raise InputError(
            f"segment index must be an integer, got the string {index!r}",
            field=f"annotations[{i}].index",
        )
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InputError(
            f"segment index must be a non-negative integer, got {brief(index)}",
            field=f"annotations[{i}].index",
        )
    if index in seen:
        raise InputError(f"segment index {index} appears twice", field=f"annotations[{i}].index")
    seen.add(index)
    md = s.get("metadata")
    seg_group = None
    if isinstance(md, dict) and isinstance(md.get(group_key), str):
        md = dict(md)
        seg_group = md.pop(group_key)
    return Segment(
        group_id=seg_group,
        index=index,
        label=text(require(s, "label", f"annotations[{i}].label"), f"annotations[{i}].label"),
        attributes=None if md is None else free_obj(md, f"annotations[{i}].metadata"),
    )


def _encode_segment(s: Segment, group_key: str, where: str) -> dict[str, Any]:
    seg: dict[str, Any] = {"label": s.label, "index": int(s.index)}
    if s.group_id is not None:
        if s.attributes and group_key in s.attributes:
            raise OutputError(
                f"{where}, segment {s.index}: attribute {group_key!r} is taken; "
                "the group id needs it (choose another key with -w group_key=...)"
            )
        seg["metadata"] = {**(s.attributes or {}), group_key: str(s.group_id)}
    elif s.attributes is not None:
        seg["metadata"] = s.attributes
    return seg


class SegmentationCodec(Codec[Segmentation]):
    kind = "segmentation"
    model = Segmentation
    nucleus_types = ("mask", "segmentation")
    payload_metadata = False
    carries = frozenset({"id", "mask", "segments"})
    reasons: ClassVar[dict[str, str]] = dict.fromkeys(
        ("label", "attributes", "track_id", "group_id", "score", "class_pdf"), _NO_SUCH_FIELD
    )
    special_fields = frozenset({"mask", "segments"})

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Segmentation:
        url = text(require(payload, "mask_url", "mask_url"), "mask_url")
        seen: set[int] = set()
        segments = [
            _segment(s, i, seen, ctx.group_key)
            for i, s in enumerate(array(payload.get("annotations", []), "annotations"))
        ]
        return Segmentation(mask=MaskRef(path=ctx.resolve_url(url)), segments=segments, **common)

    def encode(
        self,
        ann: Segmentation,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        if ann.extra:
            ctx.extra(ann, _EXTRA, where)
        ctx.kept["segmentation"] += 1
        where = str(where)
        if mask_url is None:
            raise OutputError(f"{where}: segmentation has no mask to point to")
        group_key = ctx.group_key
        return {
            "type": "mask",
            "mask_url": mask_url,
            "annotations": [_encode_segment(s, group_key, where) for s in ann.segments],
            "annotation_id": ann.id,
            "reference_id": reference_id,
        }

    def compare_special(
        self, a: Segmentation, b: Segmentation, cmp: Comparison, where: str
    ) -> None:
        """``segments`` as (label, index) pairs, their attributes by index, and the ``mask``
        pixel by pixel through the labels (the paths when either mask is not local)."""
        cmp.eq(
            "segmentation",
            "segments",
            sorted((s.label, s.index) for s in a.segments),
            sorted((s.label, s.index) for s in b.segments),
            where,
        )
        cmp.eq(
            "segmentation",
            "segments.attributes",
            {s.index: s.attributes for s in a.segments},
            {s.index: s.attributes for s in b.segments},
            where,
        )
        if a.mask.is_local() and b.mask.is_local():
            _compare_pixels(cmp, _label_image(a), _label_image(b), where)
        else:
            cmp.eq("segmentation", "mask", a.mask.path, b.mask.path, where)


def _label_image(seg: Segmentation) -> np.ndarray[Any, Any]:
    """The mask with each value replaced by its segment's label (so renumbering is equal)."""
    arr = np.asarray(seg.mask.load()).astype(np.int64)
    lut_size = max([int(arr.max()) if arr.size else 0, *(s.index for s in seg.segments)]) + 1
    names = ["\x00unlabelled", *sorted({s.label for s in seg.segments})]
    code = {n: i for i, n in enumerate(names)}
    lut = np.zeros(lut_size, dtype=np.int64)
    for s in seg.segments:
        lut[s.index] = code[s.label]
    return np.asarray(names, dtype=object)[lut[arr]]


def _compare_pixels(
    cmp: Comparison, la: np.ndarray[Any, Any], lb: np.ndarray[Any, Any], where: str
) -> None:
    if la.shape != lb.shape:
        cmp.report.changed(
            "segmentation", "mask", reason=f"mask {la.shape} became {lb.shape}", example=where
        )
        return
    diff = int(np.count_nonzero(la != lb))
    if diff:
        cmp.report.changed("segmentation", "mask", reason=f"{diff} pixels differ", example=where)
    else:
        cmp.report.kept("segmentation", "mask")
