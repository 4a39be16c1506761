"""Field comparisons for round trips: each counts one ``(kind, field)`` row of a loss report.

``kept``: equal; ``approximated``: numbers within the absolute tolerance (in the unit of the
geometry: pixels, metres, radians) but not equal; ``changed``: different beyond it, or present on
one side only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nucleus_convert.loss import LossReport

__all__ = ["Comparison", "numbers_of", "short"]


def short(value: Any) -> str:
    """``repr(value)``, cut to 60 characters for a reason text."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def numbers_of(value: Any) -> list[float] | None:
    """The numbers of a number or of a (nested) sequence of numbers, flattened; ``None`` when
    ``value`` holds anything else (a string, a dict, ``None``...) or is an empty sequence."""
    if _is_number(value):
        return [value]
    if not isinstance(value, list | tuple) or not value:
        return None
    flat: list[float] = []
    for v in value:
        inner = numbers_of(v)
        if inner is None:
            return None
        flat.extend(inner)
    return flat


class Comparison:
    """Counts comparisons into ``report`` with absolute tolerance ``tol``."""

    def __init__(self, report: LossReport, tol: float) -> None:
        self.report = report
        self.tol = tol

    def value(self, kind: str, fld: str, a: Any, b: Any, where: str) -> None:
        """Numbers (or nested sequences of numbers) within the tolerance, everything else equal.

        A number against ``None`` is "present on one side only"; sequences of numbers are
        flattened and compared element by element.
        """
        if (a is None or _is_number(a)) and (b is None or _is_number(b)):
            self.num(kind, fld, a, b, where)
            return
        na, nb = numbers_of(a), numbers_of(b)
        if na is None or nb is None:
            self.eq(kind, fld, a, b, where)
        else:
            self.nums(kind, fld, na, nb, where)

    def num(self, kind: str, fld: str, a: float | None, b: float | None, where: str) -> None:
        """Two optional numbers."""
        if a is None and b is None:
            self.report.kept(kind, fld)
        elif a is None or b is None:
            self.report.changed(kind, fld, reason="present on one side only", example=where)
        elif a == b:
            self.report.kept(kind, fld)
        elif math.isclose(a, b, rel_tol=0.0, abs_tol=self.tol):
            self.report.approximated(kind, fld, reason=f"within {self.tol:g}", example=where)
        else:
            self.report.changed(kind, fld, reason=f"{a!r} became {b!r}", example=where)

    def nums(self, kind: str, fld: str, a: Sequence[float], b: Sequence[float], where: str) -> None:
        """Two number sequences, element by element."""
        if len(a) != len(b):
            self.report.changed(kind, fld, reason=f"{len(a)} values became {len(b)}", example=where)
            return
        aa = np.asarray(a, dtype=np.float64)
        bb = np.asarray(b, dtype=np.float64)
        if np.array_equal(aa, bb):
            self.report.kept(kind, fld)
        elif np.allclose(aa, bb, rtol=0.0, atol=self.tol):
            self.report.approximated(kind, fld, reason=f"within {self.tol:g}", example=where)
        else:
            worst = float(np.max(np.abs(aa - bb)))
            self.report.changed(kind, fld, reason=f"off by up to {worst:g}", example=where)

    def eq(self, kind: str, fld: str, a: Any, b: Any, where: str) -> None:
        """Two values that must be equal."""
        if a == b:
            self.report.kept(kind, fld)
        else:
            self.report.changed(kind, fld, reason=f"{short(a)} became {short(b)}", example=where)
