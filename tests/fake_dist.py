"""A minimal third-party format, installable as a fake distribution in a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

FAKE_FORMAT = """
from pathlib import Path

import orjson

from nucleus_convert import Box, Dataset, Format, ImageMedia, Item, WriteSummary, hookimpl


def detect(path: Path) -> bool:
    return path.suffix == ".fake"


def read(path, options):
    rows = orjson.loads(path.read_bytes())
    return Dataset.of(
        Item(
            r["ref"],
            media=ImageMedia(r["img"], r["w"], r["h"]),
            annotations=[
                Box(label=b[0], x=b[1], y=b[2], width=b[3], height=b[4]) for b in r["boxes"]
            ],
        )
        for r in rows
    )


def write(dataset, dst, options, report):
    rows = []
    for item in dataset.items:
        if not isinstance(item.media, ImageMedia):
            report.dropped("item", reason="fake carries images only")
            continue
        boxes = []
        for a in item.annotations:
            if isinstance(a, Box):
                boxes.append([a.label, a.x, a.y, a.width, a.height])
            else:
                report.dropped(a.kind, reason="fake carries boxes only")
        rows.append({"ref": item.reference_id, "img": item.media.path, "w": item.media.width,
                     "h": item.media.height, "boxes": boxes})
    dst.write_bytes(orjson.dumps(rows))
    return WriteSummary({"items": len(rows)}, [dst.name])


@hookimpl
def register_formats(register):
    register.add(Format(name="fake", description="a format from a test distribution",
                        extensions=(".fake",), kinds=frozenset({"box"}), detect=detect,
                        read=read, write=write))
"""


def make_dist(root: Path, dist: str, entry_point: str, module: str, source: str) -> None:
    """Install a minimal distribution (a module and its dist-info) into folder ``root``."""
    root.mkdir(exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[nucleus_convert]\n{entry_point} = {module}\n")
