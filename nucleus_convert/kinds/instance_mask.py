"""Instance mask: one instance's pixels as COCO RLE. Nucleus has no payload for it.

The Nucleus writer turns instance masks into a segmentation (or traced polygons) first, with
:func:`nucleus_convert.toolkit.instance_masks.instance_masks_for_nucleus`; one that reaches the
encoder as it is is counted as dropped. Round trips compare the masks' pixels.
"""

from __future__ import annotations

import numpy as np

from nucleus_convert.geometry.rle import decode
from nucleus_convert.kinds.base import PayloadlessCodec
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.model import InstanceMask

__all__ = ["InstanceMaskCodec"]


class InstanceMaskCodec(PayloadlessCodec[InstanceMask]):
    kind = "instance_mask"
    model = InstanceMask
    no_payload = "Nucleus has no per-instance mask; convert masks to a segmentation first"
    special_fields = frozenset({"rle"})

    def compare_special(
        self, a: InstanceMask, b: InstanceMask, cmp: Comparison, where: str
    ) -> None:
        """The masks' pixels (the same mask compressed or not is equal)."""
        if a.rle == b.rle:
            cmp.report.kept("instance_mask", "rle")
            return
        same = bool(np.array_equal(decode(a.rle), decode(b.rle)))
        cmp.eq("instance_mask", "rle", True, same, where)
