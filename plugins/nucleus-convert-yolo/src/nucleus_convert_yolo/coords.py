"""Exact conversion between YOLO's normalised decimals and the model's float pixels.

Conventions:

* A YOLO box line holds ``cx cy w h``: the box centre and size as fractions of the image width
  ``W`` and height ``H`` (Ultralytics, Darknet). In the model's continuous pixel coordinates
  (origin at the top-left corner of the top-left pixel) the box is
  ``x = (cx - w/2) * W``, ``y = (cy - h/2) * H``, ``width = w * W``, ``height = h * H``.
* A YOLO polygon vertex, OBB corner or keypoint ``x y`` is ``(x * W, y * H)`` in pixels.
* ``W`` and ``H`` are the image's displayed size (after EXIF orientation).

Exactness: every number in a label file is a decimal string whose *quantum* ``q`` is the place
value of its last digit, but at most ``1e-6`` (``"0.123400"`` -> 1e-6, ``"0.1234567"`` -> 1e-7,
``"0.5"`` -> 1e-6, ``"1"`` -> 1e-6): whoever wrote the file knew the value to within ``q/2``.
The cap is there because writers that drop trailing zeros (``%g``, as Ultralytics' own tools
write) mean ``"0.5"`` as 0.500000, not as anything from 0.45 to 0.55. The reader computes the pixel
value exactly (integer arithmetic on the decimal digits), together with the half-width of the
interval the true value lies in (``q_w * W / 2`` for a width, ``(q_cx/2 + q_w/4) * W`` for a
box's left edge, ``q * W / 2`` for a polygon vertex), and returns the *shortest* decimal inside
that closed interval, as a float. A file written by another tool with 6 decimals from integer
pixel boxes therefore reads back as those integers, and no value leaves the file's precision.

The writer computes the exact normalised values of the float pixels and, for ``k = 6, 7, ...``
decimals, simulates the reader on the values rounded (half to even) to ``k`` decimals; the
first ``k`` that gives back the very same floats is written, trailing zeros included (they are
the quantum). YOLO -> model -> YOLO -> model and model -> YOLO -> model are bit-exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "FALLBACK_DECIMALS",
    "FIRST_DECIMALS",
    "LAST_DECIMALS",
    "Exact",
    "box_from_normalised",
    "box_to_normalised",
    "parse_number",
    "point_from_normalised",
    "point_to_normalised",
    "shortest_within",
]

FIRST_DECIMALS = 6
"""Decimals the writer tries first (what Ultralytics' own converters write)."""
LAST_DECIMALS = 40
"""Decimals the writer tries up to (more for values below ``1e-15``: 25 past their first
significant digit) before giving up; never reached for finite floats."""
_MOST_DECIMALS = 1200
FALLBACK_DECIMALS = 17
"""Decimals written when no number of decimals round-trips (reported as approximated)."""

_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_MAX_EXPONENT = 400
"""Decimal exponents beyond this either way are refused: no label needs them, and exact
arithmetic on ``1e-999999`` would take forever."""


@dataclass(frozen=True, slots=True)
class Exact:
    """A decimal from a label file, ``mantissa * 10**exponent``; its quantum is
    ``10**exponent`` (the place value of its last digit)."""

    mantissa: int
    exponent: int

    @property
    def value(self) -> Fraction:
        return Fraction(self.mantissa) * Fraction(10) ** self.exponent

    def __float__(self) -> float:
        if self.exponent >= 0:
            return float(self.mantissa * 10**self.exponent)
        denominator: int = 10**-self.exponent
        return self.mantissa / denominator  # int / int is correctly rounded


def parse_number(text: str) -> Exact:
    """The digits and exponent of a decimal string; ``ValueError`` says what is wrong."""
    match = _NUMBER.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
            raise ValueError(f"{text!r} is not a finite number")
        raise ValueError(f"{text!r} is not a number")
    sign, whole, frac, exp = match.groups()
    frac = frac or ""
    exponent = int(exp or "0") - len(frac)
    digits = (whole + frac).lstrip("0")
    if abs(exponent) > _MAX_EXPONENT or len(digits) + exponent > _MAX_EXPONENT:
        raise ValueError(f"{text!r} is out of any sensible range")
    mantissa = int(digits or "0")
    if exponent > -FIRST_DECIMALS:  # the quantum is at most 1e-6 (see the module docstring)
        mantissa *= 10 ** (exponent + FIRST_DECIMALS)
        exponent = -FIRST_DECIMALS
    return Exact(-mantissa if sign == "-" else mantissa, exponent)


def _round_half_even(num: int, den: int) -> int:
    """``num / den`` (``den > 0``) rounded to an integer, ties to even."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q % 2):
        q += 1
    return q


def shortest_within(num: int, den: int, half: int) -> float:
    """The shortest decimal in ``[(num - half) / den, (num + half) / den]``, as a float.

    Tries 0, 1, 2, ... decimals: the candidate is ``num / den`` rounded (half to even) to that
    many decimals, and the first candidate inside the closed interval wins. The interval is
    symmetric, so when any decimal with ``k`` digits lies in it, the rounded one does too.
    ``den`` must be positive; ``half`` is non-negative.
    """
    scale = 1
    while True:
        candidate = _round_half_even(num * scale, den)
        if abs(candidate * den - num * scale) <= half * scale:
            return candidate / scale
        if half == 0 and scale > den:  # exact value, not a finite decimal: nearest float
            return num / den
        scale *= 10


def _common(a: Exact, b: Exact) -> tuple[int, int, int, int, int, int]:
    """``a``, ``b`` and their quanta as integers over a shared ``10**e``: ``(A, B, Qa, Qb, up,
    down)`` where a value ``V`` means ``V * up / down``."""
    e = min(a.exponent, b.exponent)
    big_a, big_b = a.mantissa * 10 ** (a.exponent - e), b.mantissa * 10 ** (b.exponent - e)
    qa, qb = 10 ** (a.exponent - e), 10 ** (b.exponent - e)
    return (big_a, big_b, qa, qb, 10**e, 1) if e >= 0 else (big_a, big_b, qa, qb, 1, 10**-e)


def _edge(centre: Exact, size: Exact, scale: int) -> float:
    """``(centre - size/2) * scale`` snapped within ``(q_centre/2 + q_size/4) * scale``."""
    c, s, qc, qs, up, down = _common(centre, size)
    return shortest_within((4 * c - 2 * s) * scale * up, 4 * down, (2 * qc + qs) * scale * up)


def _scaled(value: Exact, scale: int) -> float:
    """``value * scale`` snapped within ``q * scale / 2``."""
    e = value.exponent
    if e >= 0:
        up = 10**e
        return shortest_within(2 * value.mantissa * scale * up, 2, scale * up)
    return shortest_within(2 * value.mantissa * scale, 2 * 10**-e, scale)


def box_from_normalised(
    cx: Exact, cy: Exact, w: Exact, h: Exact, width: int, height: int, *, snap: bool = True
) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` in pixels for a YOLO box in an image of ``width x height``.

    With ``snap`` each value is the shortest decimal within the file's precision (see the
    module docstring); without, the plain float formula on the parsed floats.
    """
    if not snap:
        fcx, fcy, fw, fh = float(cx), float(cy), float(w), float(h)
        return (fcx - fw / 2) * width, (fcy - fh / 2) * height, fw * width, fh * height
    return (
        _edge(cx, w, width),
        _edge(cy, h, height),
        _scaled(w, width),
        _scaled(h, height),
    )


def point_from_normalised(
    x: Exact, y: Exact, width: int, height: int, *, snap: bool = True
) -> tuple[float, float]:
    """A polygon vertex in pixels (see :func:`box_from_normalised` for ``snap``)."""
    if not snap:
        return float(x) * width, float(y) * height
    return _scaled(x, width), _scaled(y, height)


def _fixed(mantissa: int, decimals: int) -> str:
    """``mantissa * 10**-decimals`` in fixed notation, trailing zeros kept (a negative value,
    an OBB corner or keypoint just outside the image, gets a leading ``-``)."""
    sign = "-" if mantissa < 0 else ""
    if decimals == 0:
        return f"{sign}{abs(mantissa)}"
    digits = str(abs(mantissa)).rjust(decimals + 1, "0")
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


Ratio = tuple[int, int]
"""An exact non-negative rational ``(numerator, denominator)``, not necessarily reduced."""


def _rounded(values: tuple[Ratio, ...], decimals: int) -> list[Exact]:
    scale = 10**decimals
    return [Exact(_round_half_even(n * scale, d), -decimals) for n, d in values]


def _last_decimals(values: tuple[Ratio, ...]) -> int:
    """How many decimals to try for pixel values that are ``values`` of the image size:
    :data:`LAST_DECIMALS`, or more when one is tiny (a subnormal pixel value needs over 300
    decimals before its 17 significant digits)."""
    leading_zeros = max((len(str(d)) - len(str(abs(n))) for n, d in values if n), default=0)
    return min(max(LAST_DECIMALS, leading_zeros + 25), _MOST_DECIMALS)


def _decimals_to_try(values: tuple[Ratio, ...]) -> Iterator[int]:
    yield from range(FIRST_DECIMALS, LAST_DECIMALS + 1)
    yield from range(LAST_DECIMALS + 1, _last_decimals(values) + 1)


def _centre_and_size(start: float, size: float, extent: int) -> tuple[Ratio, Ratio, Ratio]:
    """``(start + size/2) / extent``, ``size / extent`` and ``start / extent``, exactly."""
    sn, sd = start.as_integer_ratio()
    zn, zd = size.as_integer_ratio()
    d = max(sd, zd)  # both powers of two: the larger is a common denominator
    sn, zn = sn * (d // sd), zn * (d // zd)
    return (2 * sn + zn, 2 * d * extent), (zn, d * extent), (sn, d * extent)


def box_to_normalised(
    x: float, y: float, w: float, h: float, width: int, height: int
) -> tuple[tuple[str, str, str, str], bool]:
    """The four YOLO strings ``cx cy w h`` that read back as exactly ``(x, y, w, h)``.

    The box must lie inside the image and have a positive size. Returns the strings and
    whether they are exact; ``False`` (never seen for finite floats) means that no number of
    decimals tried round-trips and :data:`FALLBACK_DECIMALS` were written.
    """
    cx_exact, w_exact, x_exact = _centre_and_size(x, w, width)
    cy_exact, h_exact, y_exact = _centre_and_size(y, h, height)
    exact = (cx_exact, cy_exact, w_exact, h_exact)
    target = (x, y, w, h)
    for k in _decimals_to_try((x_exact, y_exact, w_exact, h_exact)):
        cx, cy, nw, nh = _rounded(exact, k)
        if nw.mantissa <= 0 or nh.mantissa <= 0:
            continue
        if box_from_normalised(cx, cy, nw, nh, width, height) == target:
            return (
                _fixed(cx.mantissa, k),
                _fixed(cy.mantissa, k),
                _fixed(nw.mantissa, k),
                _fixed(nh.mantissa, k),
            ), True
    k = FALLBACK_DECIMALS
    fallback = _rounded(exact, k)
    return (
        _fixed(fallback[0].mantissa, k),
        _fixed(fallback[1].mantissa, k),
        _fixed(fallback[2].mantissa, k),
        _fixed(fallback[3].mantissa, k),
    ), False


def point_to_normalised(
    x: float, y: float, width: int, height: int
) -> tuple[tuple[str, str], bool]:
    """The two YOLO strings of a vertex (polygon, OBB corner or keypoint) that read back as
    ``(x, y)``; a vertex outside the image gives values outside ``[0, 1]``.

    Returns the strings and whether they are exact (see :func:`box_to_normalised`).
    """
    xn, xd = x.as_integer_ratio()
    yn, yd = y.as_integer_ratio()
    exact = ((xn, xd * width), (yn, yd * height))
    for k in _decimals_to_try(exact):
        nx, ny = _rounded(exact, k)
        if point_from_normalised(nx, ny, width, height) == (x, y):
            return (_fixed(nx.mantissa, k), _fixed(ny.mantissa, k)), True
    k = FALLBACK_DECIMALS
    fx, fy = _rounded(exact, k)
    return (_fixed(fx.mantissa, k), _fixed(fy.mantissa, k)), False
