"""Generate the tiny YOLO fixtures in this folder (run once; the output is committed).

    python tests/data/make_fixtures.py

Label values are written as other tools write them (``f"{v:.6f}"`` of the exact normalised
value, as Ultralytics' converters and Roboflow do), from integer or simple pixel geometry, so
the tests can check that reading gives those pixels back exactly.

* ``detect/``: Ultralytics detection, ``train`` and ``val``, images of different sizes (one not
  square), an image without a label file and one with an empty label file (negatives).
* ``segment/``: Ultralytics segmentation (polygons, plus a box line), names as a list.
* ``darknet/``: CVAT "YOLO 1.1" (``obj.data`` with CVAT's ``data/`` prefixes, ``obj.names``,
  ``train.txt``, labels beside the images in ``obj_train_data/``).
* ``plain/``: a ``classes.txt`` folder with an image and its labels side by side.
* ``exif/``: a ``classes.txt`` folder with ``images/`` and ``labels/`` and one JPEG stored
  40 x 20 with EXIF orientation 6 (displayed 20 x 40).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
Box = tuple[int, float, float, float, float]  # class, x, y, width, height in pixels
Poly = tuple[int, list[tuple[float, float]]]


def _image(path: Path, size: tuple[int, int], shade: int, *, exif_orientation: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", size, (shade, 255 - shade, 128))
    if path.suffix == ".jpg":
        exif = Image.Exif()
        if exif_orientation:
            exif[0x0112] = exif_orientation
        im.save(path, quality=40, exif=exif.tobytes())
    else:
        im.save(path, optimize=True)


def _box_line(box: Box, width: int, height: int) -> str:
    c, x, y, w, h = box
    values = ((x + w / 2) / width, (y + h / 2) / height, w / width, h / height)
    return f"{c} " + " ".join(f"{v:.6f}" for v in values)


def _poly_line(poly: Poly, width: int, height: int) -> str:
    c, points = poly
    return f"{c} " + " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in points)


def _labels(
    path: Path, size: tuple[int, int], boxes: list[Box], polys: list[Poly] | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [_box_line(b, *size) for b in boxes]
    lines += [_poly_line(p, *size) for p in polys or []]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def detect() -> None:
    root = HERE / "detect"
    (root / "data.yaml").write_text(
        "# A tiny Ultralytics detection dataset (tests/data/make_fixtures.py)\n"
        "path: .\n"
        "train: images/train\n"
        "val: images/val\n"
        "nc: 3\n"
        "names:\n"
        "  0: person\n"
        "  1: car\n"
        "  2: dog\n",
        encoding="utf-8",
    )
    _image(root / "images/train/street.jpg", (64, 48), 40)
    _labels(
        root / "labels/train/street.txt",
        (64, 48),
        [(0, 8, 6, 20, 12), (1, 30, 10, 33, 37), (0, 0, 0, 64, 48)],
    )
    _image(root / "images/train/square.png", (32, 32), 90)
    _labels(root / "labels/train/square.txt", (32, 32), [(2, 2.5, 3.25, 10, 7.5)])
    _image(root / "images/train/quiet.png", (20, 20), 150)
    _labels(root / "labels/train/quiet.txt", (20, 20), [])  # empty label file: a negative
    _image(root / "images/val/wide.jpg", (40, 30), 200)
    _labels(root / "labels/val/wide.txt", (40, 30), [(1, 3, 7, 11, 13), (2, 17, 1, 23, 29)])
    _image(root / "images/val/empty.png", (24, 24), 230)  # no label file: a negative


def segment() -> None:
    root = HERE / "segment"
    (root / "data.yaml").write_text(
        "# A tiny Ultralytics segmentation dataset (tests/data/make_fixtures.py)\n"
        "train: images/train\n"
        "names: [road, tree]\n"
        "nc: 2\n",
        encoding="utf-8",
    )
    _image(root / "images/train/s1.png", (50, 40), 60)
    _labels(
        root / "labels/train/s1.txt",
        (50, 40),
        [],
        [(0, [(0, 40), (50, 40), (50, 25), (20, 22)]), (1, [(5, 5), (15, 2), (12, 18)])],
    )
    _image(root / "images/train/s2.png", (30, 60), 120)
    _labels(
        root / "labels/train/s2.txt",
        (30, 60),
        [(1, 4, 10, 9, 21)],
        [(1, [(20, 30), (29, 31), (25, 59), (18, 50), (17, 40)])],
    )


def darknet() -> None:
    root = HERE / "darknet"
    (root / "obj.data").write_text(
        "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
        encoding="utf-8",
    )
    (root / "obj.names").write_text("cat\ndog\n", encoding="utf-8")
    (root / "train.txt").write_text(
        "data/obj_train_data/f1.jpg\ndata/obj_train_data/f2.jpg\n", encoding="utf-8"
    )
    _image(root / "obj_train_data/f1.jpg", (48, 36), 80)
    _labels(root / "obj_train_data/f1.txt", (48, 36), [(1, 6, 3, 12, 30), (0, 20, 20, 28, 16)])
    _image(root / "obj_train_data/f2.jpg", (36, 48), 160)  # no label file: a negative


def plain() -> None:
    root = HERE / "plain"
    (root / "classes.txt").write_text("apple\npear\n", encoding="utf-8")
    _image(root / "img1.png", (16, 12), 100)
    _labels(root / "img1.txt", (16, 12), [(1, 1, 2, 8, 6)], [(0, [(0, 0), (16, 0), (8, 12)])])


def exif() -> None:
    root = HERE / "exif"
    (root / "classes.txt").write_text("thing\n", encoding="utf-8")
    # Stored 40 x 20; orientation 6 (rotate 90 degrees clockwise to display): 20 x 40.
    _image(root / "images/rotated.jpg", (40, 20), 70, exif_orientation=6)
    _labels(root / "labels/rotated.txt", (20, 40), [(0, 2, 5, 10, 30)])


def main() -> None:
    for name in ("detect", "segment", "darknet", "plain", "exif"):
        shutil.rmtree(HERE / name, ignore_errors=True)
        (HERE / name).mkdir()
    detect()
    segment()
    darknet()
    plain()
    exif()


if __name__ == "__main__":
    main()
