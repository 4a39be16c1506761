"""The ``ImageSets`` lists of a VOC tree being written: which image ids go in which list.

Conventions (the devkit's): ``ImageSets/<family>/<subset>.txt`` lists image ids one a line (an
entry ``subset:rest`` read from VOC keeps the rest of its line); classification lists
``ImageSets/Main/<class>_<subset>.txt`` hold ``<id> <value>`` lines with value ``1``
(present), ``0`` (difficult) or ``-1`` (absent), right-aligned to two characters. Every list
path is confined under the destination; a subset or class name that would leave it is an
:class:`~nucleus_convert.errors.OutputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.voc.schema import ALL_NEGATIVE_KEY, LIST_FAMILIES, family_key
from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.paths import confined

__all__ = ["LIST_KEYS", "ImageSets"]

LIST_KEYS = tuple(family_key(f) for f in LIST_FAMILIES)
"""The item metadata keys holding the lists an item was in when read from VOC."""

ClassRows = dict[str, list[tuple[str, dict[str, int]]]]
"""Subset -> the ``(image id, {class: value})`` rows of its items with classification lines."""


class ImageSets:
    """Collects list lines item by item and writes every list file in :meth:`write`."""

    def __init__(self, subset: str) -> None:
        self.subset = subset
        self.lists: dict[str, list[str]] = {}
        self.class_rows: ClassRows = {}

    def add_item(
        self,
        metadata: Mapping[str, Any],
        stem: str,
        wanted: Mapping[str, bool],
        classes: dict[str, int],
    ) -> None:
        """List one image: in the lists its VOC metadata names, or else in the writer's subset
        of each family ``wanted`` says it belongs to; its classification values go to the rows
        of its ``Main`` subsets."""
        from_voc = any(key in metadata for key in LIST_KEYS)
        for family in LIST_FAMILIES:
            entries = metadata.get(family_key(family))
            if not from_voc:
                entries = [self.subset] if wanted[family] else []
            if not isinstance(entries, list):
                continue
            for entry in entries:
                name, _, rest = str(entry).partition(":")
                self._line(family, name, f"{stem} {rest}" if rest else stem)
        if classes or metadata.get(ALL_NEGATIVE_KEY):
            subsets = metadata.get(family_key("Main")) if from_voc else [self.subset]
            for subset in subsets if isinstance(subsets, list) else []:
                if ":" not in str(subset):
                    self.class_rows.setdefault(str(subset), []).append((stem, classes))

    def _line(self, family: str, name: str, line: str) -> None:
        self.lists.setdefault(f"ImageSets/{family}/{name}.txt", []).append(line)

    def finish(
        self, voc_extra: Mapping[str, Any], default_classes: list[str], report: LossReport
    ) -> None:
        """Add the lists the source had (even empty ones) and the classification lists: the
        source's class files for the subsets it had them for, else ``default_classes`` and
        every class an item names. Rows of subsets with no class files are counted as
        dropped image categories."""
        lists = voc_extra.get("list_files")
        for family, names in lists.items() if isinstance(lists, dict) else ():
            if family in LIST_FAMILIES and isinstance(names, list):
                for name in names:
                    self.lists.setdefault(f"ImageSets/{family}/{name}.txt", [])
        class_files = self._class_files(voc_extra.get("main_class_files"), default_classes)
        self._count_unlisted(class_files, report)
        self.class_rows = {k: v for k, v in self.class_rows.items() if k in class_files}
        for subset, rows in self.class_rows.items():
            listed = class_files[subset]
            for _, values in rows:
                listed.extend(label for label in values if label not in listed)
        for subset, labels in class_files.items():
            rows = self.class_rows.get(subset, [])
            for label in labels:
                self.lists[f"ImageSets/Main/{label}_{subset}.txt"] = [
                    f"{stem} {values.get(label, -1):>2}" for stem, values in rows
                ]

    def _class_files(self, recorded: Any, default: list[str]) -> dict[str, list[str]]:
        if isinstance(recorded, dict) and recorded:
            return {str(k): [str(x) for x in v] for k, v in recorded.items()}
        return {subset: list(default) for subset in self.class_rows}

    def _count_unlisted(self, class_files: dict[str, list[str]], report: LossReport) -> None:
        written = {
            stem for k, rows in self.class_rows.items() if k in class_files for stem, _ in rows
        }
        unlisted = {
            stem: values
            for k, rows in self.class_rows.items()
            if k not in class_files
            for stem, values in rows
            if stem not in written and values
        }
        if unlisted:
            report.dropped(
                "category",
                n=sum(len(v) for v in unlisted.values()),
                reason="the item's subsets had no <class>_<subset>.txt files in the source",
                example=next(iter(unlisted)),
            )

    def write(self, dst: Path) -> set[str]:
        """Write every list under ``dst``; return the folders they are in."""
        folders: set[str] = set()
        for rel, lines in self.lists.items():
            path = confined(dst, rel, record=f"list {rel!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            folders.add(str(Path(rel).parent))
        return folders
