"""Reading COCO's ``categories``: labels, their ids and keypoint skeletons.

Conventions: category ids are integers (or non-empty strings) and names non-empty and unique;
keypoint names are unique strings; COCO's skeleton is 1-based, but some tools (datumaro) write
0-based ones. A 0 can only mean 0-based: those are kept as they are and their categories listed
so the writer restores them. A bad category is an :class:`~nucleus_convert.errors.InputError`
whatever ``on_error`` says (every annotation depends on the header).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from nucleus_convert.converters.coco.schema import is_coco_id
from nucleus_convert.errors import InputError, brief
from nucleus_convert.model import Category, Header, Skeleton
from nucleus_convert.toolkit.limits import json_value_problem

__all__ = ["read_categories"]

_CATEGORY_KEYS = frozenset({"id", "name", "supercategory", "keypoints", "skeleton"})


class _Categories:
    def __init__(
        self, path: Path, labels: dict[Any, str], skeletons: dict[Any, Skeleton], header: Header
    ) -> None:
        self.path = path
        self.labels = labels
        self.skeletons = skeletons
        self.header = header
        self.names: dict[str, Any] = {}
        self.zero_based: list[str] = []

    def error(self, message: str, record: str | None = None, field: str | None = None) -> NoReturn:
        raise InputError(message, path=self.path, record=record, field=field)

    def add(self, c: Any, i: int) -> None:
        record = f"categories[{i}]"
        if not isinstance(c, dict):
            self.error("a category must be an object", record)
        cid, name = c.get("id"), c.get("name")
        if not is_coco_id(cid):
            self.error(f"category id must be an integer, got {brief(cid)}", record, "id")
        record = f"category id {cid}"
        if not isinstance(name, str) or not name:
            self.error(
                f"category name must be a non-empty string, got {brief(name)}", record, "name"
            )
        if cid in self.labels:
            self.error("category id appears twice", record)
        if name in self.names:
            self.error(
                f"category name {name!r} is also category id {self.names[name]}; labels must be "
                "unique",
                record,
            )
        self.names[name] = cid
        self.labels[cid] = name
        sup = c.get("supercategory")
        attributes = {k: v for k, v in c.items() if k not in _CATEGORY_KEYS}
        problem = json_value_problem(attributes)
        if problem is not None:
            self.error(problem, record, "attributes")
        self.header.categories.append(
            Category(
                name=name,
                source_id=cid,
                supercategory=sup if isinstance(sup, str) else None,
                attributes=attributes,
            )
        )
        if "keypoints" in c or "skeleton" in c:
            skeleton, zero_based = self.skeleton(c, record)
            self.skeletons[cid] = skeleton
            self.header.skeletons[name] = skeleton
            if zero_based:
                self.zero_based.append(name)

    def skeleton(self, c: dict[str, Any], record: str) -> tuple[Skeleton, bool]:
        """A category's keypoint names and 0-based edges, and whether its source was 0-based."""
        names = self.keypoint_names(c.get("keypoints", []), record)
        raw = c.get("skeleton") or []
        if not isinstance(raw, list) or not all(
            isinstance(e, list) and len(e) == 2 and all(isinstance(v, int) for v in e) for e in raw
        ):
            self.error("skeleton must be a list of [a, b] integer pairs", record, "skeleton")
        zero_based = any(v == 0 for e in raw for v in e)
        shift = 0 if zero_based else 1
        edges = [(a - shift, b - shift) for a, b in raw]
        for a, b in edges:
            if a < 0 or b < 0 or (names and (a >= len(names) or b >= len(names))):
                self.error(
                    f"skeleton edge [{a + shift}, {b + shift}] is outside the {len(names)} "
                    "keypoints",
                    record,
                    "skeleton",
                )
        return Skeleton(names=list(names), edges=edges), zero_based

    def keypoint_names(self, names: Any, record: str) -> list[str]:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self.error("category keypoints must be a list of names", record, "keypoints")
        if len(set(names)) != len(names):
            self.error("category keypoint names repeat", record, "keypoints")
        return names


def read_categories(
    categories: Any,
    path: Path,
    labels: dict[Any, str],
    skeletons: dict[Any, Skeleton],
    header: Header,
) -> list[str]:
    """Add every category to ``labels`` (id -> name), ``skeletons`` (id -> skeleton) and the
    header's categories and skeletons; return the names of the categories whose skeleton was
    0-based."""
    if not isinstance(categories, list):
        raise InputError("'categories' must be a list", path=path, field="categories")
    reader = _Categories(path, labels, skeletons, header)
    for i, c in enumerate(categories):
        reader.add(c, i)
    return reader.zero_based
