"""Checked JSON values of Nucleus payloads, both ways.

Reading (:func:`require`, :func:`num`, :func:`text`...): a payload value of the wrong type is an
:class:`~nucleus_convert.errors.InputError` naming its field path (``geometry.vertices[2].x``);
the caller adds the file, line and record. Writing (:func:`out`, :func:`vertices`): a model value
that JSON cannot hold (NaN, infinity, a bool for a number, a string) is an
:class:`~nucleus_convert.errors.OutputError` naming the record (``where``); numpy scalars become
plain Python numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.toolkit.limits import json_value_problem

__all__ = [
    "PLAIN_NUMBERS",
    "array",
    "num",
    "obj",
    "opt_text",
    "out",
    "point3",
    "points2",
    "require",
    "text",
    "vertices",
    "xyz",
]

PLAIN_NUMBERS = frozenset({int, float})
"""The exact types the encoders accept without conversion (``bool`` is not one)."""

# --------------------------------------------------------------------------- reading


def require(d: dict[str, Any], key: str, path: str) -> Any:
    """``d[key]``; a missing key or ``null`` is an error at ``path``."""
    if key not in d or d[key] is None:
        raise InputError("missing required key", field=path)
    return d[key]


def num(value: Any, path: str) -> int | float:
    """A finite JSON number (``true``/``false`` are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"expected a number, got {brief(value)}", field=path)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"expected a finite number, got {brief(value)}", field=path)
    return value


def text(value: Any, path: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {brief(value)}", field=path)
    return value


def opt_text(value: Any, path: str) -> str | None:
    """A JSON string or ``null``."""
    return None if value is None else text(value, path)


def obj(value: Any, path: str) -> dict[str, Any]:
    """A JSON object; ``null`` reads as an empty one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"expected an object, got {brief(value)}", field=path)
    return value


def free_obj(value: Any, path: str) -> dict[str, Any]:
    """A JSON object of free-form values (metadata): :func:`obj`, then checked to nest at most
    :data:`~nucleus_convert.toolkit.limits.MAX_DEPTH` levels and to hold only integers orjson
    can write back, so a hostile value stops here, named, not deep in the writer."""
    checked = obj(value, path)
    problem = json_value_problem(checked)
    if problem is not None:
        raise InputError(problem, field=path)
    return checked


def array(value: Any, path: str) -> list[Any]:
    """A JSON list."""
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {brief(value)}", field=path)
    return value


def points2(geometry: dict[str, Any], minimum: int, what: str) -> list[tuple[float, float]]:
    """``geometry.vertices`` as ``(x, y)`` tuples; fewer than ``minimum`` is an error."""
    raw = array(require(geometry, "vertices", "geometry.vertices"), "geometry.vertices")
    pts = []
    for i, v in enumerate(raw):
        p = f"geometry.vertices[{i}]"
        v = obj(v, p)
        pts.append(
            (num(require(v, "x", f"{p}.x"), f"{p}.x"), num(require(v, "y", f"{p}.y"), f"{p}.y"))
        )
    if len(pts) < minimum:
        raise InputError(
            f"a {what} needs at least {minimum} vertices, got {len(pts)}", field="geometry.vertices"
        )
    return pts


def point3(d: Any, path: str) -> tuple[float, float, float]:
    """An ``{"x", "y", "z"}`` object as a tuple."""
    d = obj(d, path)
    return (
        num(require(d, "x", f"{path}.x"), f"{path}.x"),
        num(require(d, "y", f"{path}.y"), f"{path}.y"),
        num(require(d, "z", f"{path}.z"), f"{path}.z"),
    )


# --------------------------------------------------------------------------- writing


def out(value: Any, where: object) -> int | float:
    """A finite plain-Python number (numpy scalars converted), or :class:`OutputError`."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutputError(f"{where}: expected a number, got {brief(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise OutputError(f"{where}: {value} cannot be written (Nucleus payloads are JSON)")
    return value


def xyz(values: Sequence[Any], where: object) -> dict[str, int | float]:
    """A 3-vector as ``{"x", "y", "z"}`` of checked numbers (``where`` names it in errors)."""
    return {k: out(v, where) for k, v in zip("xyz", values, strict=True)}


_ARRAY_OF_NUMBERS = b"0123456789.eE+-,[]"
"""Every byte ``orjson.dumps`` may write for a list of finite int/float pairs. Anything else
(``null`` for NaN or infinity, ``true``/``false``, quotes, braces) means a vertex is not a
plain finite number."""


def vertices(points: Sequence[Sequence[float]], where: object) -> Any:
    """The JSON of ``[{"x", "y"}, ...]`` for a vertex list; every coordinate must be a finite
    number.

    This is the hot part of writing polygons, so the common case (plain pairs of finite ints
    and floats) never builds a dict per vertex: orjson writes the pairs as ``[[x,y],...]`` in
    one call, the bytes are checked to be numbers only, and two byte replacements turn them
    into the same text ``orjson.dumps([{"x": x, "y": y}, ...])`` gives (the numbers are
    formatted once, by orjson, either way). The result is an :class:`orjson.Fragment` that
    the bundle writer embeds as it is. Anything else goes vertex by vertex through
    :func:`out`, for a precise error or a numpy conversion.
    """
    if len(points) == 0:
        return []
    try:
        pairs = set(map(len, points)) == {2}
        raw = orjson.dumps(points) if pairs else b""
    except TypeError:
        raw = b""
    if raw and not raw.translate(None, _ARRAY_OF_NUMBERS):
        # raw is [[x0,y0],[x1,y1],...]: each "," becomes ',"y":', which turns the "],[" between
        # two pairs into '],"y":[', the one place that spelling occurs.
        body = raw[2:-2].replace(b",", b',"y":').replace(b'],"y":[', b'},{"x":')
        return orjson.Fragment(b'[{"x":' + body + b"}]")
    try:
        return [
            {"x": out(px, f"{where}: vertex x"), "y": out(py, f"{where}: vertex y")}
            for px, py in points
        ]
    except (TypeError, ValueError):
        raise OutputError(f"{where}: vertices must be (x, y) pairs") from None
