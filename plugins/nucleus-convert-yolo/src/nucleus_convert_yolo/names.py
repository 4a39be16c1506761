"""Output names: the subset folders and each item's path under ``images/`` and ``labels/``.

Conventions:

* A subset is a folder name and a ``data.yaml`` key: characters other than letters, digits,
  ``.``, ``_`` and ``-`` become ``_``, leading dots are removed, a name the yaml reserves
  (``path``, ``names``...) gets the prefix ``subset_``.
* An item's path is its reference id with an image extension removed, ``/`` kept as folders:
  characters a path cannot hold safely (control characters, ``\\ : * ? " < > |``) become
  ``_``, empty components (``/abs``, ``a//b``) are left out, a leading dot becomes ``_`` (so
  ``..`` cannot climb out), and the components ``images`` and ``labels`` (which would break the
  images -> labels path rule) get a trailing ``_``. Two ids that map to one path get a short
  hash of the id.
* A component (or subset) longer than :data:`MAX_PART_BYTES` bytes is cut there and given a
  hash of the whole name, so every file name fits any file system with room for suffixes.

Every change is counted as approximated: ``item.reference_id`` for paths,
``item.metadata.yolo_subset`` for subsets.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from nucleus_convert import LossReport
from nucleus_convert.toolkit import metadata_field
from nucleus_convert_yolo.images import is_image
from nucleus_convert_yolo.read import SUBSET_KEY
from nucleus_convert_yolo.ultralytics import RESERVED_YAML_KEYS

__all__ = ["MAX_PART_BYTES", "OutputNames"]

MAX_PART_BYTES = 200
"""The longest path component written: 255 bytes less room for a hash, a counter and a suffix."""

_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\:*?"<>|]')
_SAFE_SUBSET = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_RESERVED_COMPONENTS = frozenset({"images", "labels"})


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _fit(part: str) -> str:
    """``part`` cut to :data:`MAX_PART_BYTES` bytes (whole characters) plus a hash of it."""
    raw = part.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_PART_BYTES:
        return part
    cut = raw[:MAX_PART_BYTES].decode("utf-8", "ignore")
    return f"{cut}-{_digest(part)}"


def _component(part: str) -> str:
    clean = _UNSAFE.sub("_", part).strip()
    if clean.startswith("."):
        clean = "_" + clean[1:]
    if clean.lower() in _RESERVED_COMPONENTS:
        clean += "_"
    return _fit(clean)


class OutputNames:
    """Maps subsets and reference ids to safe, distinct output names, reporting each change."""

    def __init__(self, report: LossReport) -> None:
        self.report = report
        self.paths: set[tuple[str, str]] = set()

    def subset(self, name: str, where: str) -> str:
        """The folder and yaml key for subset ``name``."""
        safe = name if _SAFE_SUBSET.fullmatch(name) else re.sub(r"[^A-Za-z0-9._-]", "_", name)
        safe = _fit(safe.lstrip(".") or "subset")
        if safe in RESERVED_YAML_KEYS:
            safe = f"subset_{safe}"
        if safe != name:
            self.report.approximated(
                "item",
                metadata_field(SUBSET_KEY),
                reason="a subset is a folder name and a data.yaml key: other characters replaced",
                example=f"{where}: {name!r} -> {safe!r}",
            )
        return safe

    def relative(self, ref: str, subset: str, where: str) -> str:
        """The path of item ``ref`` under ``images/<subset>/`` and ``labels/<subset>/``,
        without suffix; never the same for two items of one subset."""
        base, dot, ext = ref.rpartition(".")
        stem = base if dot and base and "/" not in ext and is_image(Path(f"x.{ext}")) else ref
        parts = [_component(p) for p in stem.split("/")]
        rel = "/".join(p for p in parts if p) or "_"
        if (subset, rel) in self.paths:
            base = f"{rel}-{_digest(ref)}"
            rel, n = base, 2
            while (subset, rel) in self.paths:
                rel, n = f"{base}-{n}", n + 1
        self.paths.add((subset, rel))
        if rel != ref:
            self.report.approximated(
                "item",
                "reference_id",
                reason="the reference id is the image path under images/<subset>/ without its "
                "extension: an extension, unsafe characters or a clash changed it",
                example=f"{where}: {ref!r} -> {rel!r}",
            )
        return rel
