"""The fast path of the COCO reader: a standard instances/keypoints file decoded by msgspec
into typed records, and its annotations turned into model objects without a dict walk.

The schema below is COCO's own annotation record and nothing more: integer ids, ``bbox`` and
``area`` as JSON numbers, ``segmentation`` as flat polygon rings or an RLE object, ``iscrowd``,
``keypoints`` and ``num_keypoints``, ``score``. msgspec checks those types in C while it
parses, so the per-record code here checks only what types cannot say (a known image and
category, box sizes, ring lengths) and builds the same objects as the dict path
(:class:`~nucleus_convert.converters.coco.read.CocoReader`) would, in the same order.

Two fall-backs keep the behaviour of the dict path exactly:

* A file the schema does not describe (a results list, captions, panoptic records, any key
  COCO does not define, a value of another type, an integer beyond 64 bits) fails the typed
  decode, and the reader parses it again with orjson and walks it as dicts. Those files are
  read exactly as before, a little slower.
* A record whose values are well typed but wrong (an unknown image or category, a negative box
  size, a ring with an odd count or under 3 points, a score on an object with no geometry) is
  handed back to the dict path as a dict, which raises the located error (or skips it under
  ``on_error=skip``) as it always did.

JSON numbers keep orjson's meaning: integers are Python ints within 64 bits (a larger one
falls back, since orjson would read it as a float), decimals are floats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import orjson
from msgspec import UNSET, Meta, Raw, Struct, UnsetType

from nucleus_convert.model import Box, ImageCategory, InstanceMask, Polygon

if TYPE_CHECKING:
    from nucleus_convert.converters.coco.read import CocoReader
    from nucleus_convert.model import Annotation

__all__ = ["TypedAnnotation", "TypedFile", "as_dict", "decode_typed", "typed_annotation"]

Int = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
"""A JSON integer that orjson also reads as an int (it reads larger ones as floats)."""
Number = Int | float
Rle = dict[str, list[Int] | str]
"""An RLE object as it is written (key order kept: the COCO writer gives it back as it came);
:func:`~nucleus_convert.geometry.rle.check_rle` checks its keys and values."""


class TypedAnnotation(Struct, forbid_unknown_fields=True, gc=False):
    """One record of ``annotations``. ``UNSET`` is a key the record does not have (the dict
    path copies ``area``, ``iscrowd`` and ``num_keypoints`` only when present, even as null)."""

    id: Int
    image_id: Int
    category_id: Int
    bbox: list[Number] | UnsetType | None = UNSET
    segmentation: list[list[Number]] | Rle | UnsetType | None = UNSET
    area: Number | UnsetType | None = UNSET
    iscrowd: Int | UnsetType | None = UNSET
    keypoints: list[Number] | UnsetType = UNSET
    num_keypoints: Int | UnsetType | None = UNSET
    score: Number | UnsetType | None = UNSET
    attributes: Raw = Raw(b"")
    """CVAT's key (``{"occluded": false, ...}``), kept raw and parsed by orjson when the file
    is decoded: the one key outside COCO's schema that is common enough to keep fast."""


class TypedFile(Struct, forbid_unknown_fields=True):
    """A COCO dataset file. Everything but the annotations stays raw JSON, parsed by orjson
    for the dict path's header code (a few thousand records, not the hot part)."""

    images: Raw
    annotations: list[TypedAnnotation] = []
    categories: Raw = Raw(b"[]")
    info: Raw = Raw(b"")
    licenses: Raw = Raw(b"")

    def header(self) -> dict[str, Any]:
        """The top-level keys but ``annotations``, as orjson parses them."""
        out = {"images": _loads(self.images), "categories": _loads(self.categories)}
        for key in ("info", "licenses"):
            raw = getattr(self, key)
            if len(raw):
                out[key] = _loads(raw)
        return out


_DECODER = msgspec.json.Decoder(TypedFile)


def _loads(raw: Raw) -> Any:
    return orjson.loads(memoryview(raw))


Extras = dict[int, Any]
"""The parsed ``attributes`` of the records that have one, by record index."""


def decode_typed(
    data: bytes,
) -> tuple[dict[str, Any], list[TypedAnnotation], Extras] | None:
    """``data`` decoded by the typed schema: the top-level keys but ``annotations`` as orjson
    parses them, the annotation records and their :data:`Extras`. ``None`` when it does not
    fit, or when orjson would refuse a part msgspec kept raw (text that is not UTF-8), or when
    msgspec's nesting limit is hit (a ``RecursionError`` from its decoder, well before
    orjson's 1,024 levels): the caller then reads the file as dicts, which also gives the
    located error for malformed JSON and for values nested too deep."""
    try:
        typed = _DECODER.decode(data)
        extras = {
            i: orjson.loads(memoryview(a.attributes))
            for i, a in enumerate(typed.annotations)
            if len(a.attributes)
        }
        return typed.header(), typed.annotations, extras
    except (msgspec.ValidationError, msgspec.DecodeError, orjson.JSONDecodeError, RecursionError):
        return None


def as_dict(a: TypedAnnotation, extras: Extras, index: int) -> dict[str, Any]:
    """Record ``index`` as orjson would have parsed it (the keys it had, in schema order)."""
    out = {
        name: value
        for name in a.__struct_fields__
        if (value := getattr(a, name)) is not UNSET and name != "attributes"
    }
    if index in extras:
        out["attributes"] = extras[index]
    return out


def typed_annotation(reader: CocoReader, extras: Extras, a: TypedAnnotation, index: int) -> None:
    """Add the model objects of record ``a`` (number ``index`` in the file) to its item, as
    the dict path's ``annotation`` does; a record it would reject goes to that path."""
    item = reader.items.get(a.image_id)
    label = reader.labels.get(a.category_id)
    members = None
    if item is not None and label is not None:
        members = _members(reader, a, label, extras.get(index, UNSET))
    if members is None:
        reader.annotation(as_dict(a, extras, index), index)
        return
    assert item is not None
    item.annotations.extend(members)


def _members(
    reader: CocoReader, a: TypedAnnotation, label: str, attributes: Any
) -> list[Annotation] | None:
    """Box, polygons or mask, keypoints, in the dict path's order; ``None`` at the first value
    that path rejects (nothing is changed before). Boxes and polygons, the bulk of a file,
    get their fields spelled out (no ``**common`` dict merge per object)."""
    aid = a.id
    group = str(aid)
    attrs: dict[str, Any] = {"coco_id": aid}
    if a.area is not UNSET:
        attrs["area"] = a.area
    if a.iscrowd is not UNSET:
        attrs["iscrowd"] = a.iscrowd
    if a.num_keypoints is not UNSET:
        attrs["num_keypoints"] = a.num_keypoints
    if attributes is not UNSET:
        attrs["attributes"] = reader.free(attributes, f"annotation id {aid}", "attributes")
    score = a.score if a.score is not UNSET else None
    common: dict[str, Any] = {
        "label": label,
        "group_id": group,
        "attributes": attrs,
        "score": score,
    }
    out: list[Annotation] = []
    bbox = a.bbox
    if bbox is not None and bbox is not UNSET:
        if len(bbox) != 4:
            return None
        x, y, w, h = bbox
        if w < 0 or h < 0:
            return None
        out.append(
            Box(
                id=group,
                x=x,
                y=y,
                width=w,
                height=h,
                label=label,
                group_id=group,
                attributes=attrs,
                score=score,
            )
        )
    seg = a.segmentation
    if type(seg) is list:
        for k, ring in enumerate(seg):
            n = len(ring)
            if n % 2 or n < 6:
                return None
            it = iter(ring)
            out.append(
                Polygon(
                    id=f"{group}.{k}",
                    points=list(zip(it, it, strict=True)),
                    label=label,
                    group_id=group,
                    attributes=attrs,
                    score=score,
                )
            )
    elif type(seg) is dict:
        reader.check_rle(seg, a.image_id, f"annotation id {aid}")
        out.append(InstanceMask(id=f"{group}.mask", rle=seg, **common))
    if a.keypoints is not UNSET:
        source = {"keypoints": a.keypoints, "category_id": a.category_id}
        out.append(reader.keypoints(source, f"annotation id {aid}", group, common))
    if not out:
        if score is not None:
            return None
        out.append(ImageCategory(**common))
    return out
