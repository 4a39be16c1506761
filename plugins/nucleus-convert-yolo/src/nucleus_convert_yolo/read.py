"""Reading YOLO label files into the model.

Conventions (Ultralytics and Darknet define them; :mod:`.coords` does the arithmetic):

* A label line ``cls cx cy w h`` is a :class:`~nucleus_convert.Box`; ``cls x1 y1 ... xn yn``
  with ``n >= 3`` is a :class:`~nucleus_convert.Polygon` (vertices in pixels). Any other number
  of fields is an error (6 fields is usually a predictions file with a confidence column).
* ``cls`` is an integer index into the class names; every other value is a finite decimal in
  ``[0, 1]`` (nothing outside, no slack: Ultralytics refuses values above 1), and a box's ``w``
  and ``h`` are positive. Blank lines are ignored; duplicate lines are kept (Ultralytics
  removes them when training).
* An annotation's id is its 1-based line number in the label file and its group is none, so
  that a round trip through the writer (which writes one line per annotation, in order)
  matches annotations one to one.
* An image without a label file, or with an empty one, is an item without annotations (a
  negative). A label file without an image is an error: there is no size to de-normalise with.
* Item metadata ``yolo_subset`` holds the subset (``train``, ``val``, the obj.data key...); a
  plain folder has none. The header lists the classes in index order, ``source_id`` = index.
* Image sizes come from the image headers (see :mod:`.images`).

Memory bound: the image list (one entry and one label path per image) and the item being
streamed; a label file is read when the stream reaches its image (held by
``tests/test_yolo_memory.py``).

Reader options: ``on_error`` (``raise`` or ``skip``: skip an image whose labels are malformed,
recording it in ``dataset.losses``) and ``snap`` (default true; false gives the plain float
formula instead of the shortest decimal within the file's precision).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert import (
    Annotation,
    Box,
    Category,
    Dataset,
    Header,
    ImageMedia,
    InputError,
    Item,
    LossReport,
    Polygon,
    partition_bounds,
)
from nucleus_convert.toolkit import OnError
from nucleus_convert_yolo.coords import (
    Exact,
    box_from_normalised,
    parse_number,
    point_from_normalised,
)
from nucleus_convert_yolo.find import find_layout
from nucleus_convert_yolo.images import image_size
from nucleus_convert_yolo.layout import Entry, Layout, label_candidates, orphan_labels

__all__ = ["SUBSET_KEY", "parse_label_line", "read_yolo"]

SUBSET_KEY = "yolo_subset"
_BOX_FIELDS = ("cx", "cy", "w", "h")


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


def _unit(text: str, name: str) -> Exact:
    try:
        value = parse_number(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    m, e = value.mantissa, value.exponent
    if m < 0 or (m * 10**e > 1 if e >= 0 else m > 10**-e):
        raise ValueError(f"{name} is {text}, outside [0, 1] (YOLO coordinates are normalised)")
    return value


def _class_index(text: str, names: list[str]) -> int:
    try:
        value = parse_number(text)
    except ValueError as exc:
        raise ValueError(f"class: {exc}") from None
    m, e = value.mantissa, value.exponent
    scale: int = 10 ** abs(e)
    if e < 0 and m % scale:
        raise ValueError(f"class {text!r} is not an integer")
    index = m * scale if e >= 0 else m // scale
    if not 0 <= index < len(names):
        raise ValueError(f"class {index} is not in names (0..{len(names) - 1})")
    return index


def parse_label_line(
    tokens: list[str],
    names: list[str],
    width: int,
    height: int,
    *,
    annotation_id: str | None = None,
    snap: bool = True,
) -> Box | Polygon:
    """The annotation one label line's fields describe, in pixels of a ``width x height``
    image; raises ``ValueError`` saying what is wrong."""
    n = len(tokens)
    if n != 5 and (n < 7 or n % 2 == 0):
        raise ValueError(_shape_problem(n))
    label = names[_class_index(tokens[0], names)]
    if n == 5:
        cx, cy, w, h = (_unit(t, f) for t, f in zip(tokens[1:], _BOX_FIELDS, strict=True))
        for value, name, text in ((w, "w", tokens[3]), (h, "h", tokens[4])):
            if value.mantissa <= 0:
                raise ValueError(f"box {name} is {text}; it must be > 0")
        x, y, bw, bh = box_from_normalised(cx, cy, w, h, width, height, snap=snap)
        return Box(label=label, id=annotation_id, x=x, y=y, width=bw, height=bh)
    values = [_unit(t, f"{'xy'[i % 2]}{i // 2 + 1}") for i, t in enumerate(tokens[1:])]
    points = [
        point_from_normalised(values[i], values[i + 1], width, height, snap=snap)
        for i in range(0, len(values), 2)
    ]
    return Polygon(label=label, id=annotation_id, points=points)


class _Reader:
    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        snap = options.get("snap")
        self.snap = True if snap is None else bool(snap)
        self.layout: Layout = find_layout(src)
        self.names = self.layout.names
        self.labels: dict[int, Path | None] = {}
        used: set[Path] = set()
        for n, entry in enumerate(self.layout.entries):
            label = next(
                (p for p in label_candidates(entry.image, self.layout.kind) if p.is_file()), None
            )
            self.labels[n] = label
            if label is not None:
                used.add(label)
        for orphan in orphan_labels(self.layout, used):
            err = InputError(
                "label file with no image, so no size to de-normalise with", path=orphan
            )
            self.on_error.handle(err, "item")
        renamed = [e for e in self.layout.entries if e.renamed_from is not None]
        if renamed:
            self.losses.approximated(
                "item",
                "reference_id",
                n=len(renamed),
                reason="the same reference id in two subsets: the later one gets its subset "
                "as a prefix",
                example=f"{renamed[0].renamed_from!r} -> {renamed[0].ref!r}",
            )

    def dataset(self) -> Dataset:
        layout = self.layout
        header = Header(
            categories=[Category(name, source_id=i) for i, name in enumerate(self.names)],
            source={"format": "yolo", "layout": layout.kind, "path": str(layout.config)},
        )
        dataset = Dataset(header=header, items=self._items(0, len(layout.entries)))
        dataset.losses = self.losses
        dataset.partition = self._partition
        dataset.length = len(layout.entries)
        return dataset

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        """The images of the ``k``-th of ``n`` slices of the image list (``convert --workers``:
        each slice read in a worker forked after the layout was found)."""
        return self._items(*partition_bounds(len(self.layout.entries), k, n))

    def _items(self, start: int, stop: int) -> Iterator[Item]:
        entries = self.layout.entries
        return self.on_error.each(
            range(start, stop), lambda n: self._item(entries[n], self.labels[n]), "item"
        )

    def _item(self, entry: Entry, label: Path | None) -> Item:
        if not entry.image.is_file():
            raise InputError(
                f"image {str(entry.image)!r} not found",
                path=entry.listed_in or entry.image,
                line=entry.line,
            )
        width, height = image_size(entry.image)
        annotations = self._annotations(label, width, height) if label is not None else []
        metadata: dict[str, Any] = {} if entry.subset is None else {SUBSET_KEY: entry.subset}
        return Item(
            reference_id=entry.ref,
            media=ImageMedia(path=str(entry.image), width=width, height=height),
            metadata=metadata,
            annotations=annotations,
        )

    def _annotations(self, path: Path, width: int, height: int) -> list[Annotation]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
        out: list[Annotation] = []
        for lineno, raw in enumerate(text.splitlines(), 1):
            tokens = raw.split()
            if not tokens:
                continue
            try:
                ann = parse_label_line(
                    tokens, self.names, width, height, annotation_id=str(lineno), snap=self.snap
                )
            except ValueError as exc:
                raise InputError(str(exc), path=path, line=lineno) from None
            out.append(ann)
        return out


def read_yolo(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a YOLO dataset: a folder, a ``data.yaml``, an ``obj.data`` or a ``classes.txt``."""
    return _Reader(src, options).dataset()
