"""Pascal VOC labels: the class list, the colour map, ``labelmap.txt`` and the void index.

Conventions (VOC devkit, ``VOCdevkit/devkit_doc.pdf`` and ``VOClabelcolormap.m``):

* a segmentation PNG stores a class (``SegmentationClass``) or an instance number
  (``SegmentationObject``) per pixel, as a palette index; index 0 is background and index 255 is
  "void" (object boundaries and regions left unlabelled), drawn in colour (224, 224, 192);
* the palette is the devkit's bit-interleaved colour map, so index ``i`` has the colour
  :func:`colormap` gives, whatever the labels are;
* ``labelmap.txt`` (written by CVAT and datumaro for non-VOC label sets) has one line per label,
  ``name:r,g,b:parts:actions`` (parts and actions comma-separated), in index order. A label
  whose colour is the void colour names index 255 instead of taking the next index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import InputError
from nucleus_convert.model import Category

__all__ = [
    "DEFAULT_VOID_LABEL",
    "VOC_ACTIONS",
    "VOC_CLASSES",
    "VOC_PARTS",
    "VOID_COLOR",
    "VOID_INDEX",
    "LabelMap",
    "LabelSpec",
    "colormap",
    "instance_colours",
    "parse_labelmap",
]

VOC_CLASSES = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
"""The 20 VOC classes after ``background``; the position is the palette index."""

VOC_ACTIONS = (
    "jumping",
    "phoning",
    "playinginstrument",
    "reading",
    "ridingbike",
    "ridinghorse",
    "running",
    "takingphoto",
    "usingcomputer",
    "walking",
    "other",
)
"""The action classes of the VOC action task (on ``person`` objects)."""

VOC_PARTS = ("head", "hand", "foot")
"""The body parts of the VOC person layout task."""

VOID_INDEX = 255
VOID_COLOR = (224, 224, 192)
DEFAULT_VOID_LABEL = "void"

COLOR_KEY = "voc_color"
PARTS_KEY = "voc_parts"
ACTIONS_KEY = "voc_actions"
"""Category attributes that carry a VOC label's colour, parts and actions through other formats."""


def colormap() -> npt.NDArray[np.uint8]:
    """The devkit's 256-entry colour map as a ``(256, 3)`` array (index 255 is the void colour)."""
    cmap = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


_CMAP = colormap()


@dataclass(slots=True)
class LabelSpec:
    """One label: its palette index, colour, and the part and action names it declares."""

    name: str
    index: int
    color: tuple[int, int, int]
    parts: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass
class LabelMap:
    """Labels by palette index; one of them may be the void label (index 255)."""

    labels: list[LabelSpec]

    def __post_init__(self) -> None:
        self._by_name = {s.name: s for s in self.labels}
        self._by_index = {s.index: s for s in self.labels}

    @classmethod
    def default(cls, void_label: str = DEFAULT_VOID_LABEL) -> LabelMap:
        """The 21 VOC labels (background first) plus the void label at 255."""
        specs = [LabelSpec(n, i, _color(i)) for i, n in enumerate(VOC_CLASSES)]
        specs[VOC_CLASSES.index("person")].parts = list(VOC_PARTS)
        specs[VOC_CLASSES.index("person")].actions = list(VOC_ACTIONS)
        specs.append(LabelSpec(void_label, VOID_INDEX, VOID_COLOR))
        return cls(specs)

    @property
    def void(self) -> LabelSpec | None:
        return self._by_index.get(VOID_INDEX)

    def get(self, name: str) -> LabelSpec | None:
        return self._by_name.get(name)

    def at(self, index: int) -> LabelSpec | None:
        return self._by_index.get(index)

    def names(self) -> list[str]:
        return [s.name for s in self.labels]

    def add(self, name: str) -> LabelSpec:
        """Give ``name`` the next free index below 255 and its devkit colour."""
        used = set(self._by_index)
        index = next((i for i in range(VOID_INDEX) if i not in used), None)
        if index is None:
            raise ValueError(f"no palette index left for label {name!r} (VOC PNGs hold 255)")
        spec = LabelSpec(name, index, _color(index))
        self.labels.append(spec)
        self.labels.sort(key=lambda s: s.index)
        self._by_name[name] = spec
        self._by_index[index] = spec
        return spec

    def is_default(self) -> bool:
        """True when the devkit needs no ``labelmap.txt`` to read these labels."""
        default = LabelMap.default()
        ours = [(s.name, s.index, s.color) for s in self.labels if s.index != VOID_INDEX]
        theirs = [(s.name, s.index, s.color) for s in default.labels if s.index != VOID_INDEX]
        void = self.void
        return ours == theirs and (void is None or void.name == DEFAULT_VOID_LABEL)

    def colour_table(self) -> npt.NDArray[np.uint8]:
        """``(256, 3)`` palette: the devkit colours, overridden by the labels' own colours."""
        table = _CMAP.copy()
        for s in self.labels:
            table[s.index] = s.color
        return table

    def colour_lookup(self) -> dict[tuple[int, int, int], int]:
        """Colour to index, for reading RGB class masks."""
        return {s.color: s.index for s in self.labels}

    def categories(self) -> list[Category]:
        """The labels as model categories (index as ``source_id``; colour, parts, actions)."""
        out = []
        for s in self.labels:
            attrs: dict[str, Any] = {COLOR_KEY: list(s.color)}
            if s.parts:
                attrs[PARTS_KEY] = list(s.parts)
            if s.actions:
                attrs[ACTIONS_KEY] = list(s.actions)
            out.append(Category(name=s.name, source_id=s.index, attributes=attrs))
        return out

    @classmethod
    def from_categories(cls, categories: list[Category]) -> LabelMap | None:
        """Rebuild a label map from categories that a VOC read produced, else None."""
        specs = []
        for c in categories:
            color = c.attributes.get(COLOR_KEY)
            if (
                not isinstance(c.source_id, int)
                or not 0 <= c.source_id <= VOID_INDEX
                or not _is_color(color)
            ):
                return None
            specs.append(
                LabelSpec(
                    c.name,
                    c.source_id,
                    (int(color[0]), int(color[1]), int(color[2])),
                    [str(p) for p in c.attributes.get(PARTS_KEY) or []],
                    [str(a) for a in c.attributes.get(ACTIONS_KEY) or []],
                )
            )
        if not specs or len({s.index for s in specs}) != len(specs):
            return None
        return cls(sorted(specs, key=lambda s: s.index))

    def to_text(self) -> str:
        """The ``labelmap.txt`` text (CVAT/datumaro layout)."""
        lines = ["# label:color_rgb:parts:actions"]
        for s in sorted(self.labels, key=lambda s: (s.index == VOID_INDEX, s.index)):
            color = ",".join(str(v) for v in s.color)
            lines.append(f"{s.name}:{color}:{','.join(s.parts)}:{','.join(s.actions)}")
        return "\n".join(lines) + "\n"


def _color(index: int) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in _CMAP[index])
    return (r, g, b)


def instance_colours() -> dict[tuple[int, int, int], int]:
    """Colour to instance number, for reading RGB object masks (the devkit colour map)."""
    return {_color(i): i for i in range(256)}


def _is_color(value: Any) -> TypeGuard[list[int] | tuple[int, ...]]:
    return (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    )


def parse_labelmap(path: Path, void_label: str = DEFAULT_VOID_LABEL) -> LabelMap:
    """Read ``labelmap.txt``; a label with the void colour takes index 255.

    A line with an empty colour gets the devkit colour of its index. Without a void line, the
    void label ``void_label`` is added at 255 so that void pixels always have a name.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read label map: {exc}", path=path) from None
    specs: list[LabelSpec] = []
    seen: set[str] = set()
    index = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        name = fields[0].strip()
        if not name:
            raise InputError("label has no name", path=path, line=lineno)
        if name in seen:
            raise InputError(f"label {name!r} is listed twice", path=path, line=lineno)
        seen.add(name)
        color_text = fields[1].strip() if len(fields) > 1 else ""
        parts = _names(fields[2]) if len(fields) > 2 else []
        actions = _names(fields[3]) if len(fields) > 3 else []
        color = _parse_color(color_text, name, path, lineno) if color_text else _color(index)
        if color == VOID_COLOR:
            specs.append(LabelSpec(name, VOID_INDEX, color, parts, actions))
            continue
        if index >= VOID_INDEX:
            raise InputError("more than 255 labels: VOC PNGs cannot hold them", path=path)
        specs.append(LabelSpec(name, index, color, parts, actions))
        index += 1
    if not specs:
        raise InputError("label map lists no label", path=path)
    colors = [s.color for s in specs]
    if len(set(colors)) != len(colors):
        raise InputError("two labels share a colour; RGB masks could not be read", path=path)
    if all(s.index != VOID_INDEX for s in specs) and void_label not in seen:
        specs.append(LabelSpec(void_label, VOID_INDEX, VOID_COLOR))
    return LabelMap(specs)


def _parse_color(text: str, name: str, path: Path, lineno: int) -> tuple[int, int, int]:
    """A label map colour ``r,g,b`` (each 0..255)."""
    try:
        rgb = tuple(int(v) for v in text.split(","))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise InputError(
            f"label {name!r}: colour {text!r} is not 'r,g,b' in 0..255", path=path, line=lineno
        )
    return (rgb[0], rgb[1], rgb[2])


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]
