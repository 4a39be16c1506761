"""One label line's fields as model annotations, by the dataset's task (:mod:`.tasks`).

Conventions (Ultralytics defines the lines; :mod:`.coords` does the exact arithmetic):

* **detect / segment** (read alike, line by line): ``cls cx cy w h`` is a
  :class:`~nucleus_convert.Box`; ``cls x1 y1 ... xn yn`` with ``n >= 3`` a
  :class:`~nucleus_convert.Polygon`. Any other field count is an error (6 fields is usually a
  predictions file with a confidence column).
* **obb**: ``cls x1 y1 x2 y2 x3 y3 x4 y4``, the four corners of an oriented box, is a 4-point
  :class:`~nucleus_convert.Polygon`, corners in file order (Ultralytics and DOTA list them
  clockwise as seen on the image, y pointing down; the order is kept, never re-sorted). Any
  other field count is an error.
* **pose** (``kpt_shape: [K, D]``): ``cls cx cy w h`` then ``K`` keypoints of ``D`` values,
  ``px py`` or ``px py v``. The line becomes a :class:`~nucleus_convert.Box` and a
  :class:`~nucleus_convert.Keypoints` sharing ``group_id`` (the line number). ``v`` is mapped
  exactly: ``0`` not labelled (:attr:`~nucleus_convert.Visibility.UNLABELLED`, coordinates
  ``None`` when the file has ``0 0``, kept otherwise), ``1`` labelled but not visible
  (``HIDDEN``), ``2`` visible (``VISIBLE``); ``v`` may be written ``2`` or ``2.0`` but must be
  one of those three. With ``D = 2`` the file says nothing of visibility: a keypoint is
  ``VISIBLE``, or ``UNLABELLED`` (coordinates kept) when a coordinate is negative, as
  Ultralytics reads it. Keypoint names and skeleton are the class's (:mod:`.dataset_yaml`).
* ``cls`` is an integer index of ``names``. Box values and polygon vertices are finite decimals
  in ``[0, 1]`` (no slack), a box's ``w`` and ``h`` positive. OBB corners and keypoint
  coordinates may lie in Ultralytics' own band ``[-0.01, 1.01]`` (its label check allows 1%
  either side): the corners of a rotated box near the edge, or a keypoint just outside the
  frame, legitimately leave the image.
* Ids: a box, polygon or OBB is the 1-based line number (``"3"``); a pose line's box is
  ``"3"`` and its keypoints ``"3-keypoints"`` (ids stay distinct per item, as Nucleus needs),
  both with group ``"3"``. Other lines have no group.
"""

from __future__ import annotations

from nucleus_convert import Annotation, Box, Keypoint, Keypoints, Polygon, Visibility
from nucleus_convert_yolo.coords import (
    Exact,
    box_from_normalised,
    parse_number,
    point_from_normalised,
)
from nucleus_convert_yolo.dataset_yaml import PoseSpec

__all__ = ["BAND", "LineParser", "keypoints_id"]

BAND = ("-0.01", "1.01")
"""The range of an OBB corner or a keypoint coordinate (Ultralytics' label check)."""
_BOX_FIELDS = ("cx", "cy", "w", "h")
_VISIBILITY = {0: Visibility.UNLABELLED, 1: Visibility.HIDDEN, 2: Visibility.VISIBLE}


def keypoints_id(line: int | str) -> str:
    """The id of the keypoints of pose line ``line`` (its box's id is the line number)."""
    return f"{line}-keypoints"


def _shape_problem(n: int) -> str:
    expected = "a box line has 5 fields (class cx cy w h), a polygon line 1 + 2n (n >= 3 vertices)"
    if n == 6:
        return (
            f"6 fields, but {expected}; a 6th value is usually a confidence (a predictions "
            "file, not labels)"
        )
    if n > 6 and n % 2 == 0:
        return f"{n} fields: {n - 1} coordinates cannot be x y pairs; {expected}"
    return f"{n} fields, but {expected}"


def _number(text: str, name: str) -> Exact:
    try:
        return parse_number(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _unit(text: str, name: str) -> Exact:
    value = _number(text, name)
    m, e = value.mantissa, value.exponent
    if m < 0 or (m * 10**e > 1 if e >= 0 else m > 10**-e):
        raise ValueError(f"{name} is {text}, outside [0, 1] (YOLO coordinates are normalised)")
    return value


def _banded(text: str, name: str) -> Exact:
    """A coordinate within :data:`BAND`: ``-1/100 <= m * 10**e <= 101/100``."""
    value = _number(text, name)
    m, e = value.mantissa, value.exponent
    scaled, den = (100 * m * 10**e, 1) if e >= 0 else (100 * m, 10**-e)
    if not -den <= scaled <= 101 * den:
        raise ValueError(
            f"{name} is {text}, outside [{BAND[0]}, {BAND[1]}] (normalised, with Ultralytics' "
            "1% slack)"
        )
    return value


def _integer(value: Exact) -> int | None:
    m, e = value.mantissa, value.exponent
    if e >= 0:
        up: int = 10**e
        return m * up
    scale: int = 10**-e
    return None if m % scale else m // scale


def _class_index(text: str, names: dict[int, str]) -> int:
    index = _integer(_number(text, "class"))
    if index is None:
        raise ValueError(f"class {text!r} is not an integer")
    if index not in names:
        ids = sorted(names)
        if ids == list(range(len(ids))):
            known = f"0..{len(ids) - 1}"
        else:
            known = ", ".join(map(str, ids[:10])) + (", ..." if len(ids) > 10 else "")
        raise ValueError(f"class {index} is not in names ({known})")
    return index


def _visibility(text: str, name: str) -> Visibility:
    value = _integer(_number(text, name))
    if value not in _VISIBILITY:
        raise ValueError(
            f"{name} is {text}; a visibility is 0 (not labelled), 1 (labelled, not visible) or "
            "2 (visible)"
        )
    return _VISIBILITY[value]


class LineParser:
    """Parses the label lines of one dataset: ``task`` is ``obb``, ``pose`` or anything else
    for detect/segment lines; ``pose`` needs the dataset's :class:`PoseSpec`."""

    def __init__(
        self, names: dict[int, str], task: str | None, pose: PoseSpec | None, *, snap: bool
    ) -> None:
        if task == "pose" and pose is None:
            raise ValueError("a pose dataset needs its kpt_shape")
        self.names = names
        self.task = task
        self.pose = pose
        self.snap = snap

    def parse(self, tokens: list[str], width: int, height: int, line: int) -> list[Annotation]:
        """The annotations of one line's fields, in pixels of a ``width x height`` image;
        ``ValueError`` says what is wrong."""
        if self.task == "obb":
            return [self._obb(tokens, width, height, line)]
        if self.task == "pose":
            return self._pose(tokens, width, height, line)
        return [self._box_or_polygon(tokens, width, height, line)]

    def _box(self, tokens: list[str], label: str, size: tuple[int, int], line: int) -> Box:
        cx, cy, w, h = (_unit(t, f) for t, f in zip(tokens[1:5], _BOX_FIELDS, strict=True))
        for value, name, text in ((w, "w", tokens[3]), (h, "h", tokens[4])):
            if value.mantissa <= 0:
                raise ValueError(f"box {name} is {text}; it must be > 0")
        x, y, bw, bh = box_from_normalised(cx, cy, w, h, *size, snap=self.snap)
        return Box(label=label, id=str(line), x=x, y=y, width=bw, height=bh)

    def _points(
        self, texts: list[str], size: tuple[int, int], *, banded: bool
    ) -> list[tuple[float, float]]:
        check = _banded if banded else _unit
        values = [check(t, f"{'xy'[i % 2]}{i // 2 + 1}") for i, t in enumerate(texts)]
        return [
            point_from_normalised(values[i], values[i + 1], *size, snap=self.snap)
            for i in range(0, len(values), 2)
        ]

    def _box_or_polygon(self, tokens: list[str], width: int, height: int, line: int) -> Annotation:
        n = len(tokens)
        if n != 5 and (n < 7 or n % 2 == 0):
            raise ValueError(_shape_problem(n))
        label = self.names[_class_index(tokens[0], self.names)]
        if n == 5:
            return self._box(tokens, label, (width, height), line)
        points = self._points(tokens[1:], (width, height), banded=False)
        return Polygon(label=label, id=str(line), points=points)

    def _obb(self, tokens: list[str], width: int, height: int, line: int) -> Polygon:
        if len(tokens) != 9:
            raise ValueError(
                f"{len(tokens)} fields, but an OBB line has 9 (class x1 y1 x2 y2 x3 y3 x4 y4: "
                "the four corners)"
            )
        label = self.names[_class_index(tokens[0], self.names)]
        points = self._points(tokens[1:], (width, height), banded=True)
        return Polygon(label=label, id=str(line), points=points)

    def _pose(self, tokens: list[str], width: int, height: int, line: int) -> list[Annotation]:
        spec = self.pose
        assert spec is not None
        count, dims = spec.keypoints, spec.dims
        expected = 5 + count * dims
        if len(tokens) != expected:
            values = "px py v" if dims == 3 else "px py"
            raise ValueError(
                f"{len(tokens)} fields, but a pose line of kpt_shape [{count}, {dims}] has "
                f"5 + {count} x {dims} = {expected} (class cx cy w h, then {count} x {values})"
            )
        cls = _class_index(tokens[0], self.names)
        label = self.names[cls]
        box = self._box(tokens, label, (width, height), line)
        box.group_id = str(line)
        points = [
            self._keypoint(tokens[5 + i * dims : 5 + (i + 1) * dims], i + 1, (width, height))
            for i in range(count)
        ]
        skeleton = spec.skeleton.get(cls)
        keypoints = Keypoints(
            label=label,
            id=keypoints_id(line),
            group_id=str(line),
            points=points,
            names=list(spec.names[cls]),
            skeleton=None if skeleton is None else list(skeleton),
        )
        return [box, keypoints]

    def _keypoint(self, texts: list[str], n: int, size: tuple[int, int]) -> Keypoint:
        x, y = _banded(texts[0], f"kpt{n} x"), _banded(texts[1], f"kpt{n} y")
        px, py = point_from_normalised(x, y, *size, snap=self.snap)
        if len(texts) == 2:
            negative = x.mantissa < 0 or y.mantissa < 0
            return Keypoint(px, py, Visibility.UNLABELLED if negative else Visibility.VISIBLE)
        visibility = _visibility(texts[2], f"kpt{n} v")
        if visibility == Visibility.UNLABELLED and x.mantissa == 0 and y.mantissa == 0:
            return Keypoint(None, None, visibility)
        return Keypoint(px, py, visibility)
