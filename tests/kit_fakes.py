"""Deliberately flawed formats, one per conformance check, to show that each check can fail.

``KIT_FAKES`` is the source of a plugin module registering them all; every one stores boxes as
JSON (``{"items": [{"ref", "img", "w", "h", "boxes": [[label, x, y, w, h], ...]}]}``) and
differs from the honest ``good`` format in one way only.
"""

from __future__ import annotations

KIT_FAKES = """
import orjson
from nucleus_convert import (
    Box, Dataset, Format, ImageMedia, InputError, Item, Option, WriteSummary, hookimpl,
)


def make(name, *, detect=True, greedy=False, silent=False, round_=False, lose_item=False,
         crash=False, kinds=("box",)):
    suffix = "." + name

    def detect_fn(path):
        return greedy or path.suffix == suffix

    def read(path, options):
        try:
            rows = orjson.loads(path.read_bytes())["items"]
        except (OSError, orjson.JSONDecodeError, KeyError) as exc:
            raise InputError(f"not a {name} file: {exc}", path=path) from None
        return Dataset.of(
            Item(r["ref"], media=ImageMedia(r["img"], r["w"], r["h"]),
                 annotations=[Box(label=b[0], id=str(n), x=b[1], y=b[2], width=b[3], height=b[4])
                              for n, b in enumerate(r["boxes"])])
            for r in rows
        )

    def write(dataset, dst, options, report):
        if crash:
            raise KeyError("a bug in the writer")
        rows = []
        for item in dataset.items:
            if not isinstance(item.media, ImageMedia):
                if not silent:
                    report.dropped("item", reason="images only")
                    for a in item.annotations:
                        report.dropped(a.kind, reason="its item is not an image")
                continue
            boxes = []
            for a in item.annotations:
                if a.prediction and not silent:
                    report.dropped(a.kind, reason=f"{name} carries no predictions")
                elif isinstance(a, Box):
                    v = [a.x, a.y, a.width, a.height]
                    boxes.append([a.label, *([round(x) for x in v] if round_ else v)])
                elif not silent:
                    report.dropped(a.kind, reason=f"{name} carries boxes only")
            rows.append({"ref": item.reference_id, "img": item.media.path,
                         "w": item.media.width, "h": item.media.height, "boxes": boxes})
        if lose_item:
            rows = rows[:-1]
        if not silent:
            report.dropped_scenes(dataset.scenes, reason="no scenes")
        dst.write_bytes(orjson.dumps({"items": rows}))
        return WriteSummary({"items": len(rows)}, [dst.name])

    return Format(name=name, description=f"kit fake {name}", extensions=(suffix,),
                  kinds=frozenset(kinds), detect=detect_fn if detect else None,
                  read=read, write=write)


FAKES = [
    make("good"),
    make("nodetect", detect=False),
    make("greedy", greedy=True),
    make("silent", silent=True),
    make("rounding", round_=True),
    make("loseitem", lose_item=True),
    make("crashing", crash=True),
    make("overclaims", kinds=("box", "polygon")),
]


@hookimpl
def register_formats(register):
    for fmt in FAKES:
        if fmt.name in SELECTED:
            register.add(fmt)
"""


def kit_fakes_source(*names: str) -> str:
    """The plugin module's source, registering only the fakes ``names``."""
    return KIT_FAKES + f"\nSELECTED = {names!r}\n"


def sample_rows(width: int = 64, height: int = 48) -> dict[str, object]:
    """A two-item sample: fractional boxes (so rounding shows) and a negative image."""
    return {
        "items": [
            {
                "ref": "a",
                "img": "s3://bucket/a.jpg",
                "w": width,
                "h": height,
                "boxes": [["car", 1.25, 2.5, 10.0, 7.75], ["person", 30.0, 4.0, 5.5, 20.0]],
            },
            {"ref": "b", "img": "s3://bucket/b.jpg", "w": width, "h": height, "boxes": []},
        ]
    }
