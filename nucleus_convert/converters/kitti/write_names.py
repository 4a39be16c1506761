"""Where a KITTI frame's files go: a frame id made into a confined ``(subset folder, stem)``.

A frame id is ``subset/stem`` (``training/000000``) or ``stem``; the KITTI reader gives the
id back from the split folder's path and the file stem. A subset that is not a plain relative
folder path (see :func:`safe_subset`) is mapped, whole, to one safe folder name; a stem that
is not a safe file name is mapped by :class:`~nucleus_convert.toolkit.files.SafeNames` (one
namespace per subset, so two frames never share a file). Every mapping is counted as
``reference_id`` changed, naming the id that reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.files import SafeNames
from nucleus_convert.toolkit.paths import confined, unsafe_name_reason

__all__ = ["FrameNames", "FramePlace", "safe_subset"]


def safe_subset(subset: str) -> bool:
    """True when ``subset`` can be written as a folder path under the destination and read
    back as it is: relative, no ``..``, no empty, ``.``-hidden or over-long parts, no NUL or
    backslash."""
    if unsafe_name_reason(subset) is not None:
        return False
    return all(part and not part.startswith(".") for part in subset.split("/"))


@dataclass(frozen=True, slots=True)
class FramePlace:
    """A frame's confined place: ``base`` (the subset folder, or the destination), ``stem``
    (a safe file stem) and ``frame_id`` (the id the KITTI reader gives it back)."""

    root: Path
    subset: str
    stem: str
    frame_id: str

    @property
    def base(self) -> Path:
        return confined(self.root, self.subset, record=self.frame_id) if self.subset else self.root

    def file(self, folder: str, suffix: str) -> Path:
        """``<subset>/<folder>/<stem><suffix>``, confined under the destination."""
        rel = "/".join(p for p in (self.subset, folder, self.stem + suffix) if p)
        return confined(self.root, rel, record=f"frame {self.frame_id!r}")


class FrameNames:
    """Hands out frame places under one destination, mapping unsafe ids (module docstring)."""

    def __init__(self, root: Path, report: LossReport) -> None:
        self.root = root
        self.report = report
        self._subsets: dict[str, str] = {}
        self._subset_names = SafeNames()
        self._stems: dict[str, SafeNames] = {}

    def place(self, frame_id: str, kind: str) -> FramePlace:
        """The place of ``frame_id`` (the reference id of a ``kind``: ``item`` or ``scene``)."""
        subset, _, stem = frame_id.rpartition("/")
        folder = self._subset(subset)
        name = self._stems.setdefault(folder, SafeNames()).name(stem, "")
        back = f"{folder}/{name}" if folder else name
        if back != frame_id:
            self.report.changed(
                kind,
                "reference_id",
                reason="not a file name: made safe",
                example=f"{frame_id!r} -> {back!r}",
            )
        return FramePlace(self.root, folder, name, back)

    def _subset(self, subset: str) -> str:
        if not subset or safe_subset(subset):
            return subset
        folder = self._subsets.get(subset)
        if folder is None:
            folder = self._subsets[subset] = self._subset_names.name(subset, "")
        return folder
