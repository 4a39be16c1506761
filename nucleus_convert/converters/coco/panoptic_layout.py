"""Where COCO panoptic output goes, and which of the two COCO writers runs.

Layout (COCO's own, ``annotations/panoptic_val2017.json`` beside ``annotations/panoptic_val2017/``,
inside one folder so that the output can be published whole): the destination ``DST`` is a
folder holding ``DST/<name>.json`` and ``DST/<name>/`` with one PNG per image, ``<name>`` being
the destination's own name. The reader finds the PNGs of ``X.json`` in ``X/`` by default, so
reading ``DST`` (or ``DST/<name>.json``) needs no option.

PNG names (relative to the PNG folder, ``/`` separators): the name the source's panoptic record
gave, else the image's ``file_name`` with the suffix ``.png`` (``000000000139.jpg`` becomes
``000000000139.png``, as in COCO), else (unsafe or taken) a flat name made from the reference id
with a hash (:class:`~nucleus_convert.toolkit.files.SafeNames`). A name is taken when a file or
a folder of that name was given out already, in either role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.model import Header
from nucleus_convert.toolkit.files import SafeNames
from nucleus_convert.toolkit.paths import unsafe_name_reason

__all__ = [
    "TASKS",
    "PngNames",
    "chosen_task",
    "derived_png_name",
    "panoptic_json_in",
    "panoptic_paths",
    "read_task",
]

TASKS = ("auto", "instances", "panoptic")
"""The writer option ``task``: ``auto`` is ``panoptic`` for a dataset read from a COCO
panoptic file (``header.extra["coco"]["task"]``), else ``instances``."""


def read_task(header: Header) -> str | None:
    """The COCO task the reader recorded in ``header`` (``panoptic``, ``results``) or None."""
    coco = header.extra.get("coco")
    task = coco.get("task") if isinstance(coco, dict) else None
    return task if isinstance(task, str) else None


def chosen_task(options: Mapping[str, Any], header: Header) -> str:
    """``instances`` or ``panoptic``: the writer option ``task``, ``auto`` resolved by the
    header (see :data:`TASKS`)."""
    task = options.get("task") or "auto"
    if task == "auto":
        return "panoptic" if read_task(header) == "panoptic" else "instances"
    return str(task)


def panoptic_paths(dst: Path) -> tuple[Path, Path]:
    """The JSON file and the PNG folder of a panoptic destination folder ``dst`` (see the
    module docstring); an ``OutputError`` when ``dst`` is named like a JSON file."""
    if dst.suffix.lower() == ".json":
        raise OutputError(
            f"{dst.name}: COCO panoptic output is a folder holding the JSON and its PNG folder; "
            "name a folder (no .json), or write instances with -w task=instances"
        )
    return dst / f"{dst.name}.json", dst / dst.name


def panoptic_json_in(folder: Path) -> Path:
    """The panoptic JSON of a folder the panoptic writer made (``folder/<name>.json``); an
    ``InputError`` naming the folder when it holds none."""
    path = folder / f"{folder.name}.json"
    if not path.is_file():
        raise InputError(
            f"a COCO source folder must hold {path.name} (the panoptic layout); it does not",
            path=folder,
        )
    return path


class PngNames:
    """PNG names, relative to the PNG folder, unique as files and as folders."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        """Every PNG name given."""
        self.folders: set[str] = set()
        """Every folder those names pass through."""
        self._safe = SafeNames()

    def name(self, wanted: Iterable[str | None], reference_id: str) -> str:
        """The first of ``wanted`` that is free and safe, else a safe flat name made from
        ``reference_id``; the name is taken from then on."""
        for candidate in wanted:
            if candidate is not None and self._free(candidate):
                return self._take(candidate)
        while True:
            candidate = self._safe.name(reference_id, ".png")
            if self._free(candidate):
                return self._take(candidate)

    def _free(self, name: str) -> bool:
        if unsafe_name_reason(name) is not None or PurePosixPath(name).as_posix() != name:
            return False
        if not name.lower().endswith(".png") or name in self.taken or name in self.folders:
            return False
        return not any(str(parent) in self.taken for parent in PurePosixPath(name).parents)

    def _take(self, name: str) -> str:
        self.taken.add(name)
        for parent in PurePosixPath(name).parents:
            if str(parent) != ".":
                self.folders.add(str(parent))
        return name

    def clash(self, other: PngNames) -> bool:
        """True when ``other`` gave a name this one gave too, as a file or as a folder."""
        return bool(
            self.taken & other.taken or self.taken & other.folders or self.folders & other.taken
        )

    def absorb(self, other: PngNames) -> None:
        """Take every name ``other`` gave (the merge of partitions)."""
        self.taken |= other.taken
        self.folders |= other.folders


def derived_png_name(file_name: Any) -> str | None:
    """An image's ``file_name`` with the suffix ``.png`` (None when it is not a string)."""
    if not isinstance(file_name, str) or not file_name:
        return None
    path = PurePosixPath(file_name)
    if path.name in ("", ".", ".."):
        return None
    return str(path.with_suffix(".png")) if path.suffix else f"{file_name}.png"
