"""Make the README's preview images: one item of each built-in format's fixture, drawn by
``nucleus_convert.drawing``, as ``docs/previews/<format>.png``.

Run from the project root: ``.venv/bin/python docs/previews/make_previews.py`` (or give
another output folder as the only argument). Pictures are at most 640 pixels on their longer
side and stored with a palette of 128 colours, a few tens of KB each.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

from nucleus_convert.drawing import preview

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

SAMPLES: dict[str, tuple[Path, str | None, str]] = {
    "coco": (FIXTURES / "coco" / "instances_demo.json", None, "000000000100.jpg"),
    "voc": (FIXTURES / "voc", None, "2012_000001"),
    "cvat": (FIXTURES / "cvat" / "images_task.xml", "cvat", "street 1.png"),
    "kitti": (FIXTURES / "kitti" / "object", None, "training/000000/image_2"),
    "kitti_raw": (
        FIXTURES / "kitti_raw" / "2011_09_26",
        None,
        "2011_09_26_drive_0001_sync/velodyne_points/0000000003",
    ),
    "labelme": (FIXTURES / "labelme", None, "street"),
    "labelstudio": (FIXTURES / "labelstudio" / "tasks.json", None, "red square.png"),
    "nucleus": (FIXTURES / "nucleus", None, "img_000"),
    "nuscenes": (
        FIXTURES / "nuscenes" / "v1.0-mini-like",
        None,
        "n900-2024-03-11-10-02-13+0800__LIDAR_TOP__1710122533647951",
    ),
    "pointcloud": (FIXTURES / "kitti" / "object" / "training" / "velodyne", "pointcloud", "000000"),
}
"""format: (source, format named or None to detect, the reference id of the item shown)."""

READ_OPTIONS: dict[str, dict[str, str]] = {"nuscenes": {"frame": "ego"}}
"""Reader options of a sample: nuScenes scans in the world frame lie a kilometre from the
origin the bird's-eye view is centred on; in the ego frame they surround the car."""

MAX_SIZE = 640
COLOURS = 128


def make_previews(out: Path) -> dict[str, Path]:
    """Write ``<format>.png`` for every format of :data:`SAMPLES` into ``out``; returns the
    files by format."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (src, fmt, ref) in SAMPLES.items():
            result = preview(
                src,
                Path(tmp) / name,
                from_=fmt,
                items=[ref],
                max_size=MAX_SIZE,
                read_options=READ_OPTIONS.get(name),
            )
            [item] = result.items
            target = out / f"{name}.png"
            with Image.open(item.path) as im:
                small = im.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
            small.save(target, format="PNG", optimize=True)
            written[name] = target
            shutil.rmtree(result.path)
    return written


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for fmt_name, path in make_previews(folder).items():
        print(f"{fmt_name}: {path} ({path.stat().st_size // 1024} KB)")
