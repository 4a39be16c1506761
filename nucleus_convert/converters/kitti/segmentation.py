"""KITTI semantic and instance segmentation PNGs (the KITTI-STEP / semantics benchmark layout).

* ``instance/F.png``: 16-bit, each pixel ``class_id * 256 + instance_id`` (instance 0 for
  "stuff" and for pixels of a thing class that were not separated);
* ``semantic/F.png``: 8-bit class ids (the instance PNG divided by 256);
* class ids are Cityscapes' label ids (:data:`CITYSCAPES`, ``0`` = unlabeled).

In the model a frame's segmentation is one :class:`~nucleus_convert.model.Segmentation` on its
camera item, with id ``instance`` (or ``semantic`` when only the semantic PNG exists): an 8-bit
index mask numbering the distinct pixel values in increasing order (Nucleus index masks are
8-bit; more than 256 distinct values is an error), and a segment per index labelled with the
Cityscapes name of its class, with the attribute ``instance`` (int) when the instance id is not
0. Writing inverts that exactly (``value = class_id * 256 + instance``) and writes the semantic
PNG, and the instance PNG too for an ``instance`` segmentation (or one with instance ids);
a segment whose label is not a Cityscapes class has no KITTI id, so its pixels become 0
(unlabeled) and it is reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import MaskRef, Segment, Segmentation
from nucleus_convert.toolkit.limits import open_image

__all__ = [
    "CITYSCAPES",
    "INSTANCE_ID",
    "SEMANTIC_ID",
    "present_values",
    "read_values",
    "segmentation_from_values",
    "values_from_segmentation",
    "write_pngs",
]

INSTANCE_ID = "instance"
SEMANTIC_ID = "semantic"
_MAX_SEGMENTS = 256

CITYSCAPES = (
    "unlabeled",
    "ego vehicle",
    "rectification border",
    "out of roi",
    "static",
    "dynamic",
    "ground",
    "road",
    "sidewalk",
    "parking",
    "rail track",
    "building",
    "wall",
    "fence",
    "guard rail",
    "bridge",
    "tunnel",
    "pole",
    "polegroup",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "caravan",
    "trailer",
    "train",
    "motorcycle",
    "bicycle",
)
"""Cityscapes label names by label id (0..33), as KITTI's semantics benchmark uses them."""
_CLASS_ID = {name: i for i, name in enumerate(CITYSCAPES)}


def read_values(
    path: Path, *, instance: bool, max_pixels: int | None = None
) -> npt.NDArray[np.uint16]:
    """The ``(h, w)`` ``class * 256 + instance`` values (``uint16``: two bytes a pixel, so a
    mask at the pixel limit stays small) of an instance (16-bit) or semantic (8-bit) PNG; a
    PNG over ``max_pixels`` pixels (default Pillow's limit) or that Pillow cannot decode is an
    :class:`InputError` naming the file."""
    with open_image(path, max_pixels=max_pixels, what="segmentation PNG") as im:
        if im.format != "PNG":
            raise InputError(f"{im.format} image, not PNG", path=path)
        modes = ("I;16", "I") if instance else ("L", "P")
        if im.mode not in modes:
            want = "16-bit grayscale" if instance else "8-bit grayscale"
            raise InputError(f"mode {im.mode}: KITTI wants {want} here", path=path)
        arr = np.asarray(im)
    if instance and arr.size and (int(arr.min()) < 0 or int(arr.max()) > 0xFFFF):
        raise InputError("values outside 0..65535", path=path)
    top = int(arr.max()) if arr.size else 0
    if (top >> 8 if instance else top) >= len(CITYSCAPES):
        bad = top >> 8 if instance else top
        raise InputError(f"class id {bad} is not a Cityscapes label id (0..33)", path=path)
    values: npt.NDArray[np.uint16] = arr.astype(np.uint16, copy=False)
    if not instance:
        values <<= 8  # a copy already: the 8-bit array was widened
    return values


_CHUNK = 1 << 22


def present_values(values: npt.NDArray[np.uint16]) -> npt.NDArray[np.intp]:
    """The distinct values of a ``uint16`` array, ascending: counted a slice at a time
    (``bincount`` widens what it counts to 8 bytes a value), so linear in time and small."""
    counts = np.zeros(1 << 16, dtype=np.int64)
    flat = values.reshape(-1)
    for start in range(0, flat.size, _CHUNK):
        counts += np.bincount(flat[start : start + _CHUNK], minlength=1 << 16)
    return np.flatnonzero(counts)


def segmentation_from_values(
    values: npt.NDArray[np.uint16], path: Path, *, instance: bool
) -> Segmentation:
    """The model segmentation of ``class * 256 + instance`` pixel values (module doc).

    The values are 0..65535 (checked when read), so the distinct ones are counted in one pass
    (``bincount``) and numbered through a lookup table, never sorted: linear in the pixels.
    """
    present = present_values(values)
    if len(present) > _MAX_SEGMENTS:
        raise InputError(
            f"{len(present)} distinct classes and instances; a Nucleus index mask holds 256",
            path=path,
        )
    segments = []
    for i, v in enumerate(present.tolist()):
        attrs: dict[str, Any] | None = {"instance": v % 256} if v % 256 else None
        segments.append(Segment(index=i, label=CITYSCAPES[v // 256], attributes=attrs))
    lut = np.zeros(int(present[-1]) + 1 if len(present) else 1, dtype=np.uint8)
    lut[present] = np.arange(len(present), dtype=np.uint8)
    mask = lut[values]
    return Segmentation(
        id=INSTANCE_ID if instance else SEMANTIC_ID,
        mask=MaskRef(array=mask),
        segments=segments,
    )


def values_from_segmentation(
    seg: Segmentation, report: LossReport, where: str
) -> npt.NDArray[np.int64]:
    """``class * 256 + instance`` per pixel; unknown labels become 0 and are reported."""
    mask = np.asarray(seg.mask.load())
    lut = np.zeros(int(mask.max()) + 1 if mask.size else 1, dtype=np.int64)
    for s in seg.segments:
        if s.index >= len(lut):
            continue
        class_id = _CLASS_ID.get(s.label)
        instance = (s.attributes or {}).get("instance", 0)
        if class_id is None or type(instance) is not int or not 0 <= instance < 256:
            report.dropped(
                "segmentation",
                "segments",
                reason="no Cityscapes class id (or instance not 0..255): written as unlabeled",
                example=f"{where}: {s.label!r}",
            )
            continue
        lut[s.index] = class_id * 256 + instance
    out: npt.NDArray[np.int64] = lut[mask]
    return out


def write_pngs(values: npt.NDArray[np.int64], base: Path, stem: str, *, instance: bool) -> None:
    """``semantic/stem.png`` (8-bit class ids) and, for an instance segmentation, also
    ``instance/stem.png`` (16-bit ``class * 256 + instance``)."""
    (base / "semantic").mkdir(parents=True, exist_ok=True)
    Image.fromarray((values // 256).astype(np.uint8)).save(base / "semantic" / f"{stem}.png")
    if instance:
        (base / "instance").mkdir(parents=True, exist_ok=True)
        Image.fromarray(values.astype(np.uint16)).save(base / "instance" / f"{stem}.png")
