"""Where LabelMe files are: one file, or a folder of them (nested at any depth), and how to tell
one cheaply.

A dataset is a folder: every ``*.json`` file under it (any case, hidden files and folders left
out, symlinked folders not followed), in sorted path order, is one image's labels. An item's
reference id is the file's path relative to the folder, with ``/`` separators and without
``.json`` (``train/2011_000003``); a single file's is its stem.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from nucleus_convert.converters.labelme.schema import SUFFIX
from nucleus_convert.errors import InputError

__all__ = ["find_label_files", "first_label_file", "looks_like_labelme", "reference_id"]

_PEEK = 8192
_DETECT_BUDGET = 4096
"""Folder entries :func:`first_label_file` looks at before it gives up (detection stays cheap)."""
_SHAPES = b'"shapes"'
_IMAGE_KEYS = (b'"imagePath"', b'"imageData"', b'"imageHeight"', b'"imageWidth"')


def _is_label_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(SUFFIX) and len(name) > len(SUFFIX)


def _walk(folder: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    return os.walk(folder, followlinks=False)


def find_label_files(src: Path) -> tuple[Path, list[Path]]:
    """The dataset's root folder and its LabelMe files, in sorted order.

    ``src`` is one ``.json`` file (its folder is the root) or a folder of them.
    """
    if src.is_file():
        if not src.name.lower().endswith(SUFFIX):
            raise InputError("not a LabelMe file or a folder of them (no .json suffix)", path=src)
        return src.parent, [src]
    if not src.is_dir():
        raise InputError("no such file or directory", path=src)
    found: list[Path] = []
    for folder, dirs, names in _walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(folder)
        found.extend(base / n for n in names if _is_label_name(n) and (base / n).is_file())
    if not found:
        raise InputError("holds no LabelMe .json file (looked in every subfolder)", path=src)
    return src, sorted(found, key=lambda p: p.relative_to(src).as_posix())


def reference_id(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, ``/``-separated, without its ``.json`` suffix."""
    rel = path.relative_to(root).as_posix()
    return rel[: -len(SUFFIX)]


def first_label_file(folder: Path) -> Path | None:
    """The first ``.json`` file in sorted walk order under ``folder`` (subfolders after the
    folder's own files), looking at no more than a few thousand entries; ``None`` when there
    is none (or an error)."""
    seen = 0
    try:
        for current, dirs, names in _walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            seen += len(names) + len(dirs)
            base = Path(current)
            for name in sorted(names):
                if _is_label_name(name) and (base / name).is_file():
                    return base / name
            if seen > _DETECT_BUDGET:
                return None
    except OSError:
        return None
    return None


def looks_like_labelme(path: Path) -> bool:
    """A JSON object whose first or last 8 KiB hold ``"shapes"`` and one of the image keys
    (``"imagePath"``, ``"imageData"``, ``"imageHeight"``, ``"imageWidth"``). Never raises."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_PEEK)
            size = fh.seek(0, os.SEEK_END)
            tail = b""
            if size > _PEEK:
                fh.seek(max(size - _PEEK, _PEEK))
                tail = fh.read(_PEEK)
    except (OSError, ValueError):
        return False
    if head.lstrip()[:1] != b"{":
        return False
    ends = (head, tail)
    return any(_SHAPES in part for part in ends) and any(
        key in part for key in _IMAGE_KEYS for part in ends
    )
