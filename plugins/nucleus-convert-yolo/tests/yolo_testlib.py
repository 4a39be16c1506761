"""Helpers shared by the yolo tests: fixture paths, tiny images and datasets built on disk."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

import nucleus_convert as nc

DATA = Path(__file__).resolve().parent / "data"
DETECT = DATA / "detect"
SEGMENT = DATA / "segment"
DARKNET = DATA / "darknet"
PLAIN = DATA / "plain"
EXIF = DATA / "exif"


def png(path: Path, width: int, height: int) -> Path:
    """A bilevel PNG of the given size (fast to write at any size, a few hundred bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (width, height)).save(path, compress_level=1)
    return path


def ultralytics(
    root: Path,
    labels: dict[str, str],
    *,
    size: tuple[int, int] = (10, 10),
    yaml_text: str = "train: images/train\nnames: [a, b]\n",
) -> Path:
    """An Ultralytics dataset with one image per label file (``{stem: label text}``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml_text, encoding="utf-8")
    for stem, text in labels.items():
        png(root / "images" / "train" / f"{stem}.png", *size)
        label = root / "labels" / "train" / f"{stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(text, encoding="utf-8")
    return root


def items(src: Path, **options: object) -> dict[str, nc.Item]:
    """Every item of a yolo dataset by reference id."""
    return {i.reference_id: i for i in nc.read(src, "yolo", **options).items}
