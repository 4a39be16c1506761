"""Tracks of a CVAT for video file, gathered while the items stream by.

* Frames: each item is a frame; its number is metadata ``frame`` when every item has one,
  in increasing order and evenly spaced (``step=N``, what CVAT's ``frame_filter`` can say);
  otherwise the items are numbered ``0, 1, 2...`` and the changed numbers counted. A frame's
  reference id other than ``frame_NNNNNN`` and its other metadata have no place (counted).
  Every frame must have the same size (``original_size``).
* Tracks: annotations sharing a ``track_id`` (and a kind and a label) form one ``<track>``;
  its id is the track id when that is a free whole number, else the next free one (counted).
  An annotation outside any track, or a second one of a track on the same frame, becomes a
  track of its own (counted). The track's ``source`` and ``group_id`` are its first shape's.
* After each run of frames a track is on, a copy of its last shape with ``outside="1"`` is
  written on the next frame (none after the last frame), so CVAT knows the object left.

Memory: every track shape of the video is held until the end (tracks are written whole).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from lxml import etree

from nucleus_convert.converters.cvat.schema import FRAME_KEY, frame_name, track_shape_id
from nucleus_convert.converters.cvat.shapes_write import Built, Numbering
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Item

__all__ = ["VideoTracks"]

_FRAMES = "CVAT video frames are numbered evenly (frame_filter step=N): renumbered 0, 1, 2..."
TrackKey = tuple[str, str, str, int]
"""Track id (``""`` when none), shape tag, label, and a split number."""


@dataclass(slots=True)
class _Track:
    key: TrackKey
    shapes: dict[int, Built] = field(default_factory=dict)
    """Frame index (position of the item) -> shape."""


class VideoTracks:
    """Collects frames and track shapes; :meth:`tracks` writes the ``<track>`` elements."""

    def __init__(self, report: LossReport) -> None:
        self.report = report
        self.refs: list[str] = []
        self.numbers: list[int | None] = []
        self.size: tuple[int, int] | None = None
        self.by_key: dict[TrackKey, _Track] = {}
        self.singles = 0

    def add(
        self, item: Item, size: tuple[int, int] | None, shapes: list[Built], where: str
    ) -> None:
        """One frame: its item and its shapes."""
        if size is not None:
            if self.size is not None and size != self.size:
                raise OutputError(
                    f"{where}: frame size {size[0]}x{size[1]} differs from {self.size[0]}x"
                    f"{self.size[1]}; CVAT for video has one frame size (write -w flavour=images)"
                )
            self.size = size
        index = len(self.refs)
        self.refs.append(item.reference_id)
        number = item.metadata.get(FRAME_KEY)
        valid = type(number) is int and number >= 0
        self.numbers.append(number if valid else None)
        for built in shapes:
            self._place(built, index, where)

    def _place(self, built: Built, index: int, where: str) -> None:
        ann = built.ann
        key: TrackKey = (ann.track_id or "", built.tag, ann.label, 0)
        if ann.track_id is None:
            self.singles += 1
            key = ("", built.tag, ann.label, self.singles)
            self.report.approximated(
                ann.kind,
                "track_id",
                reason="CVAT for video holds tracks: a shape outside any is a track of its own",
                example=where,
            )
        while key in self.by_key and index in self.by_key[key].shapes:
            self.singles += 1
            key = (key[0], key[1], key[2], self.singles)
            self.report.approximated(
                ann.kind,
                "track_id",
                reason="a CVAT track has one shape a frame (and one kind and label): split",
                example=where,
            )
        self.by_key.setdefault(key, _Track(key)).shapes[index] = built

    def frames(self) -> list[int]:
        """The frame numbers (see the module docstring), counting the renumbered ones."""
        numbers = self.numbers
        known = [n for n in numbers if n is not None]
        steps = {b - a for a, b in pairwise(known)}
        if len(known) == len(numbers) and (not steps or (len(steps) == 1 and min(steps) > 0)):
            out = list(known)
        else:
            out = list(range(len(numbers)))
            changed = sum(1 for n, m in zip(numbers, out, strict=True) if n != m)
            if changed:
                self.report.approximated(
                    "item",
                    f"metadata.{FRAME_KEY}",
                    n=changed,
                    reason=_FRAMES,
                    example=self.refs[0] if self.refs else None,
                )
        renamed = [r for r, n in zip(self.refs, out, strict=True) if r != frame_name(n)]
        if renamed:
            self.report.approximated(
                "item",
                "reference_id",
                n=len(renamed),
                reason="a CVAT video frame is named by its number (frame_NNNNNN)",
                example=renamed[0],
            )
        return out

    def tracks(self, frames: list[int]) -> list[etree._Element]:
        """The ``<track>`` elements, in order of first appearance."""
        numbering = Numbering(first=0)
        keys = {t.key: t.key[0] if t.key[3] == 0 else f"{t.key[0]}\x00{t.key[3]}" for t in self}
        for key in keys.values():  # whole numbers first: they keep their number
            if key.isascii() and key.isdigit():
                numbering.number(key)
        out = []
        for track in self:
            n, kept = numbering.number(keys[track.key])
            out.append(self._track(track, n, frames, kept or not track.key[0]))
        return out

    def __iter__(self) -> Iterator[_Track]:
        return iter(self.by_key.values())

    def _track(self, track: _Track, n: int, frames: list[int], kept: bool) -> etree._Element:
        first = track.shapes[min(track.shapes)]
        el = etree.Element("track", id=str(n), label=first.ann.label)
        if first.source is not None:
            el.set("source", first.source)
        if first.group is not None:
            el.set("group_id", str(first.group))
        for index in sorted(track.shapes):
            built = track.shapes[index]
            self._check(built, first, n, kept, index)
            shape = built.element
            shape.set("frame", str(frames[index]))
            el.append(shape)
            following = index + 1
            if following < len(frames) and following not in track.shapes:
                el.append(_outside(shape, frames[following]))
        return el

    def _check(self, built: Built, first: Built, n: int, kept: bool, index: int) -> None:
        ann, where = built.ann, self.refs[index]
        if not kept:
            self.report.approximated(
                ann.kind,
                "track_id",
                reason="CVAT track ids are numbers: renumbered",
                example=f"{where}: {ann.track_id!r} -> {n}",
            )
        expected = track_shape_id(n)
        if ann.id is not None and ann.id != expected:
            self.report.approximated(
                ann.kind,
                "id",
                reason="a track's shape is read back as track<id>",
                example=f"{where}: {ann.id!r} -> {expected!r}",
            )
        if built.source != first.source:
            self.report.dropped(
                ann.kind,
                "attributes.source",
                reason="a CVAT track has one source: its first shape's",
                example=where,
            )
        if built.group != first.group:
            self.report.approximated(
                ann.kind,
                "group_id",
                reason="a CVAT track has one group: its first shape's",
                example=where,
            )


def _outside(shape: etree._Element, frame: int) -> etree._Element:
    """A copy of ``shape`` on ``frame`` saying the object is no longer there."""
    out = copy.deepcopy(shape)
    out.set("frame", str(frame))
    out.set("keyframe", "1")
    if out.tag == "skeleton":
        for element in out.iterfind("points"):
            element.set("outside", "1")
            element.set("keyframe", "1")
    else:
        out.set("outside", "1")
    return out
