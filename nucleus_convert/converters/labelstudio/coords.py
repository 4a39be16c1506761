"""Label Studio percentages to pixels and back, and rotated rectangles.

Label Studio stores image geometry in percent of the image: ``x`` and ``width`` of
``original_width``, ``y`` and ``height`` of ``original_height`` (0..100, from the top-left
corner of the image). A pixel coordinate is ``percent * size / 100`` (computed in that order);
:func:`to_percent` inverts it so that reading the written percentage gives the very same pixel
value: it starts from ``pixels * 100 / size`` and, when that does not read back exactly, tries
the neighbouring floats (a few units in the last place each way).

A rectangle is ``x, y, width, height`` with ``rotation`` in degrees, clockwise on screen (x to
the right, y down) about its top-left corner ``(x, y)``; its corners, in order top-left,
top-right, bottom-right, bottom-left, are ``(x, y)``, ``(x + w cos r, y + w sin r)``,
``(x + w cos r - h sin r, y + w sin r + h cos r)`` and ``(x - h sin r, y + h cos r)``, with
``w`` and ``h`` in pixels (:func:`rectangle_corners`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["points_to_percent", "rectangle_corners", "to_percent", "to_pixels"]

_STEPS = 4


def to_pixels(percent: float, size: int) -> float:
    """A percentage of ``size`` in pixels."""
    return percent * size / 100


def to_percent(pixels: float, size: int) -> tuple[float, bool]:
    """The percentage that reads back as ``pixels`` exactly, and whether one was found (when
    none is within a few units in the last place, the plain quotient is returned)."""
    guess = pixels * 100 / size
    if guess * size / 100 == pixels:
        return guess, True
    up = down = guess
    for _ in range(_STEPS):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        if up * size / 100 == pixels:
            return up, True
        if down * size / 100 == pixels:
            return down, True
    return guess, False


def points_to_percent(
    points: list[tuple[float, float]], width: int, height: int
) -> tuple[list[list[float]], bool]:
    """``[[x%, y%], ...]`` of pixel points (each as :func:`to_percent`), and whether every
    coordinate reads back exactly."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    sizes = np.array([width, height], dtype=np.float64)
    guess = pts * 100 / sizes
    exact = guess * sizes / 100 == pts
    if not exact.all():
        guess, exact = _search(guess, pts, sizes, exact)
    return guess.tolist(), bool(exact.all())


def _search(
    guess: npt.NDArray[np.float64],
    pts: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
    exact: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    out = guess.copy()
    up = down = guess
    for _ in range(_STEPS):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        for cand in (up, down):
            hit = ~exact & (cand * sizes / 100 == pts)
            out[hit] = cand[hit]
            exact = exact | hit
        if exact.all():
            break
    return out, exact


def rectangle_corners(value: dict[str, Any], width: int, height: int) -> list[tuple[float, float]]:
    """The four corners in pixels of a rectangle ``value`` (percent, rotation in degrees)."""
    x, y = to_pixels(value["x"], width), to_pixels(value["y"], height)
    w, h = to_pixels(value["width"], width), to_pixels(value["height"], height)
    r = math.radians(value["rotation"])
    cos, sin = math.cos(r), math.sin(r)
    return [
        (x, y),
        (x + w * cos, y + w * sin),
        (x + w * cos - h * sin, y + w * sin + h * cos),
        (x - h * sin, y + h * cos),
    ]
