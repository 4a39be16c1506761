"""Finding a YOLO dataset's files: the config, the class names, the images and their labels.

This module holds the conventions and what every layout shares (:class:`Entry`,
:class:`Layout`, the reference-id :class:`Collector`, label paths, orphan labels); the layouts
are read by :mod:`.ultralytics` and :mod:`.darknet`, and found by :mod:`.find`.

Three layouts are understood (conventions as their tools define them):

* **Ultralytics** (``kind="ultralytics"``): a ``data.yaml`` with an optional ``path`` (the
  root: absolute, or relative to the yaml's folder; absent = the yaml's folder; a relative
  ``path`` that is no folder there, such as Ultralytics' own ``../datasets/coco8-pose`` which
  it resolves under its settings' datasets folder, falls back to the yaml's folder when every
  subset is found there), ``train``/``val``/``test`` (each an image folder relative to the
  root, a ``.txt`` list of image paths, or a list of those; a relative entry starting with
  ``../`` that does not exist is retried without it, as Ultralytics does for Roboflow
  exports), ``names``, ``nc`` and the other keys of :mod:`.dataset_yaml`. Other keys whose
  value is an existing folder or ``.txt`` list are further subsets (what the writer emits for
  a subset not named ``train``/``val``/``test``). The labels of ``.../images/X/a.jpg`` are at
  ``.../labels/X/a.txt``: the *last* ``images`` component of the path becomes ``labels``
  (beside the image when the path has none).
* **Darknet / CVAT "YOLO 1.1"** (``kind="darknet"``): an ``obj.data`` of ``key = value`` lines
  (``classes``, ``names``, and one key per subset naming a list file: ``train``, ``valid``...);
  paths are relative to the obj.data's folder, and a path that does not exist there is retried
  without its first component (CVAT writes ``data/train.txt`` for darknet's own ``data/``
  folder). The names file holds one class per line; list files one image path per line. Labels
  are beside the images (same stem, ``.txt``), else found as in the Ultralytics layout.
* **A plain folder** (``kind="folder"``): ``classes.txt`` (or ``obj.names``) with the images
  and their label files side by side, or under ``images/`` and ``labels/``. It has no subsets.

An image's reference id is its path relative to its subset's image folder (for a list file:
the deepest folder holding every listed image), without suffix, with ``/`` separators. The
same id from a second image (another subset, another folder) becomes ``<subset>/<id>``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nucleus_convert import InputError
from nucleus_convert.toolkit import file_name_problem
from nucleus_convert_yolo.images import is_image

if TYPE_CHECKING:
    from nucleus_convert_yolo.dataset_yaml import DatasetYaml

__all__ = [
    "NOT_LABELS",
    "Collector",
    "Entry",
    "Layout",
    "checked_name",
    "images_under",
    "label_candidates",
    "orphan_labels",
    "read_text",
    "replace_last",
    "resolve",
    "unique_names",
]

NOT_LABELS = frozenset(
    {"classes.txt", "train.txt", "val.txt", "valid.txt", "test.txt", "readme.txt", "license.txt"}
)
"""``.txt`` files that are never label files, even without an image of the same stem."""


@dataclass(slots=True)
class Entry:
    """One image of the dataset, in reading order."""

    image: Path
    ref: str
    subset: str | None
    listed_in: Path | None = None
    line: int | None = None
    renamed_from: str | None = None


@dataclass(slots=True)
class Layout:
    """What :func:`find_layout` found: ``names`` maps class indexes to class names (in index
    order; a dataset YAML's indexes may leave gaps), ``dataset_yaml`` is the checked YAML of an
    Ultralytics layout (its task and keypoints), ``extra`` the YAML keys kept for
    ``header.extra`` and ``dropped_extra`` the ``(key, reason)`` of those that cannot be."""

    kind: str
    config: Path
    root: Path
    names: dict[int, str]
    dataset_yaml: DatasetYaml | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    dropped_extra: list[tuple[str, str]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    label_roots: list[Path] = field(default_factory=list)
    """Folders holding label files (searched recursively for labels without an image)."""
    own_files: set[Path] = field(default_factory=set)
    """The config, names and list files: ``.txt`` files that are not labels."""


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


def checked_name(text: str, path: Path, line: int | None, what: str) -> str:
    """``text`` when it can name a file (no NUL byte, no part over 255 bytes), else the
    :class:`InputError` naming ``path`` (the file that gave it) and ``line``."""
    problem = file_name_problem(text)
    if problem is not None:
        raise InputError(
            f"{what} {text[:40]!r}... cannot name a file: {problem}", path=path, line=line
        )
    return text


def resolve(text: str, bases: Iterable[Path]) -> Path | None:
    """``text`` as an existing path: absolute, or relative to one of ``bases``, or relative
    to one of them without its first component (CVAT's ``data/`` prefix); else None."""
    p = Path(text)
    if p.is_absolute():
        return p if p.exists() else None
    bases = list(bases)
    for base in bases:
        if (base / p).exists():
            return base / p
    if len(p.parts) > 1:
        rest = Path(*p.parts[1:])
        for base in bases:
            if (base / rest).exists():
                return base / rest
    return None


def replace_last(path: Path, old: str, new: str) -> Path | None:
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):  # never the file name itself
        if parts[i] == old:
            return Path(*parts[:i], new, *parts[i + 1 :])
    return None


def label_candidates(image: Path, kind: str) -> list[Path]:
    """Where the label file of ``image`` may be, first choice first."""
    beside = image.with_suffix(".txt")
    mapped = replace_last(image, "images", "labels")
    mapped = mapped.with_suffix(".txt") if mapped is not None else None
    if kind == "darknet":
        return [beside] if mapped is None else [beside, mapped]
    return [beside] if mapped is None else [mapped]


MAX_WALK_ENTRIES = 2_000_000
"""Folders and files a subset folder may hold: a config naming ``/`` (or a home folder) as a
subset is refused after this many instead of walking the whole file system."""


def images_under(folder: Path) -> list[Path]:
    """The image files under ``folder`` (symlinked folders not followed), sorted by their
    path relative to it; an :class:`InputError` past :data:`MAX_WALK_ENTRIES` entries."""
    found: list[Path] = []
    seen = 0
    for dirpath, dirs, files in os.walk(folder):
        seen += len(dirs) + len(files)
        if seen > MAX_WALK_ENTRIES:
            raise InputError(
                f"more than {MAX_WALK_ENTRIES} files and folders under it: not a dataset "
                "folder (a subset names a folder of images)",
                path=folder,
            )
        found.extend(Path(dirpath) / name for name in files if is_image(Path(name)))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _ref(image: Path, base: Path) -> str:
    return image.relative_to(base).with_suffix("").as_posix()


def _read_list(list_file: Path, bases: list[Path]) -> list[tuple[Path, int, bool]]:
    """``(image, line, exists)`` for each line of an image list file."""
    out: list[tuple[Path, int, bool]] = []
    for lineno, raw in enumerate(read_text(list_file).splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("./"):
            text = text[2:]
        checked_name(text, list_file, lineno, "image")
        found = resolve(text, bases)
        if found is None:
            p = Path(text)
            out.append((p if p.is_absolute() else bases[0] / p, lineno, False))
        else:
            out.append((found, lineno, True))
    return out


class Collector:
    """Builds the entries, giving a clashing reference id its subset as a prefix."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.refs: set[str] = set()
        self.seen: set[tuple[str | None, Path]] = set()

    def add(self, entry: Entry) -> None:
        key = (entry.subset, entry.image)
        if key in self.seen:  # listed twice in one subset: one item
            return
        self.seen.add(key)
        if entry.ref in self.refs:
            original = entry.ref
            prefix = entry.subset or "dup"
            ref = f"{prefix}/{original}"
            n = 2
            while ref in self.refs:
                ref = f"{prefix}{n}/{original}"
                n += 1
            entry.ref, entry.renamed_from = ref, original
        self.refs.add(entry.ref)
        self.entries.append(entry)

    def add_list(self, subset: str | None, list_file: Path, bases: list[Path]) -> None:
        rows = _read_list(list_file, bases)
        if not rows:
            return
        folders = [str(p.parent) for p, _, _ in rows]
        common = Path(os.path.commonpath(folders))
        for image, line, _ in rows:
            self.add(Entry(image, _ref(image, common), subset, list_file, line))

    def add_folder(self, subset: str | None, folder: Path) -> None:
        for image in images_under(folder):
            self.add(Entry(image, _ref(image, folder), subset))


def unique_names(names: list[str], path: Path, line: int | None) -> list[str]:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"class {i} has the same name as class {seen[name]} ({name!r}); labels are "
                "matched by name, so class names must differ",
                path=path,
                line=line,
            )
        seen[name] = i
    return names


def orphan_labels(layout: Layout, used: set[Path]) -> list[Path]:
    """Label files under the layout's label folders (and beside its images) that belong to no
    image: no image file of the same stem beside them or at the ``images`` path."""
    folders = set(layout.label_roots)
    for entry in layout.entries:
        for candidate in label_candidates(entry.image, layout.kind):
            folders.add(candidate.parent)
    labels: set[Path] = set()
    for folder in folders:
        if folder in layout.label_roots and folder.is_dir():
            labels.update(p for p in folder.rglob("*.txt") if p.is_file())
        elif folder.is_dir():
            labels.update(p for p in folder.glob("*.txt") if p.is_file())
    stems: dict[Path, set[str]] = {}

    def image_stems(folder: Path) -> set[str]:
        if folder not in stems:
            try:
                stems[folder] = {p.stem for p in folder.iterdir() if is_image(p)}
            except OSError:
                stems[folder] = set()
        return stems[folder]

    orphans = []
    for label in sorted(labels):
        if label in used or label in layout.own_files or label.name.lower() in NOT_LABELS:
            continue
        if label.stem in image_stems(label.parent):
            continue
        mapped = replace_last(label, "labels", "images")
        if mapped is not None and label.stem in image_stems(mapped.parent):
            continue
        orphans.append(label)
    return orphans
