"""Mask values that no segment names.

The client documents a segmentation's mask as values each mapped to a class by the segments
("the class name for each value in the mask is stored in the list of Segment objects"). A
value present in the PNG without a segment (often 0, the background of masks built from
instances, or VOC's void 255) is a class Nucleus cannot name. The writer keeps the pixels as
they are (inventing a label such as "background" would add a class the source never had) and
counts the segmentation ``dropped`` under ``(segmentation, segments)``, naming the values: what
the source meant by those pixels (background, void, unlabelled) has no place in the payload,
and Nucleus shows them unlabelled. Not ``not_uploadable``: the client uploads such a mask (it
checks only that the file is a PNG), and a mask that leaves its background unnamed is a normal
upload; the row tells the user to add segments if those values mean a class.

Value 0 without a segment is not counted: the client's documentation takes 0 as the background
("the mask is 0 for pixels where there is background"), masks built from instance masks leave
it so (:mod:`nucleus_convert.toolkit.instance_masks`), and the loss report of such conversions
is pinned lossless by the test suite. VOC's void 255 and every other unnamed value are counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.loss import LossReport
from nucleus_convert.model import Segmentation

__all__ = ["report_unnamed_values", "unnamed_values"]


def unnamed_values(array: npt.NDArray[np.integer[Any]], seg: Segmentation) -> list[int]:
    """The values present in ``array``, 0 aside, that no segment of ``seg`` has as its index,
    sorted.

    When the segments name every value from 0 to the mask's maximum (an index mask built
    from instances always does), one ``max`` settles it; otherwise an 8-bit mask is counted
    with one ``bincount`` (a pass over the pixels, no sort)."""
    if array.size == 0:
        return []
    named = {0, *(s.index for s in seg.segments)}
    top = int(array.max())  # in any memory order: no copy of a column-major mask
    non_negative = array.dtype.kind == "u" or int(array.min()) >= 0
    if non_negative and top < len(named) and named.issuperset(range(top + 1)):
        return []
    flat = array.ravel()
    if flat.dtype == np.uint8:
        present = np.flatnonzero(np.bincount(flat, minlength=256)).tolist()
    else:
        present = np.unique(flat).tolist()
    return [int(v) for v in present if int(v) not in named]


def report_unnamed_values(
    array: npt.NDArray[np.integer[Any]], seg: Segmentation, report: LossReport, where: str
) -> None:
    """Count ``seg``'s unnamed values as dropped when its mask holds values without a segment."""
    values = unnamed_values(array, seg)
    if values:
        shown = ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")
        report.dropped(
            "segmentation",
            "segments",
            reason="mask values without a segment reach Nucleus unlabelled (add segments "
            "if they mean a class)",
            example=f"{where}: values {shown}",
        )
