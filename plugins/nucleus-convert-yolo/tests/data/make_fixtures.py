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
* ``obb/``: Ultralytics oriented boxes (``cls x1 y1 ... x4 y4``, corners clockwise on the
  image), with no ``task`` key (the reader finds it from the 9-field lines): an axis-aligned
  box, a 45 degree diamond, a box turned by 30 degrees (irrational corners, 6 decimals), a
  corner 0.5% left of the image (Ultralytics allows 1%), a ``download`` key.
* ``pose/``: Ultralytics pose, ``kpt_shape: [4, 3]``, ``flip_idx``, ``kpt_names`` for one of
  two classes (the other gets generated names), this plugin's ``skeleton`` key; visibilities
  0 (written ``0 0 0``), 1 and 2; an object whose keypoints are all unlabelled; a negative.
* ``pose2d/``: Ultralytics pose with ``kpt_shape: [3, 2]`` (no visibility values).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
Box = tuple[int, float, float, float, float]  # class, x, y, width, height in pixels
Poly = tuple[int, list[tuple[float, float]]]
Size = tuple[int, int]


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


def _corners_line(c: int, corners: Sequence[tuple[float, float]], width: int, height: int) -> str:
    return f"{c} " + " ".join(f"{x / width:.6f} {y / height:.6f}" for x, y in corners)


def _turned(cx: float, cy: float, w: float, h: float, degrees: float) -> list[tuple[float, float]]:
    """The corners of a w x h box centred on (cx, cy) turned clockwise on the image."""
    a = math.radians(degrees)
    ux, uy, vx, vy = math.cos(a), math.sin(a), -math.sin(a), math.cos(a)
    return [
        (cx + sx * w / 2 * ux + sy * h / 2 * vx, cy + sx * w / 2 * uy + sy * h / 2 * vy)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]


def obb() -> None:
    root = HERE / "obb"
    (root / "data.yaml").write_text(
        "# A tiny Ultralytics OBB dataset (tests/data/make_fixtures.py); no task key: the\n"
        "# reader finds it from the 9-field lines\n"
        "path: .\n"
        "train: images/train\n"
        "val: images/val\n"
        "names: [plane, ship, harbor]\n"
        "download: https://example.invalid/obb-fixture.zip\n",
        encoding="utf-8",
    )
    _image(root / "images/train/o1.png", (64, 48), 50)
    lines = [
        _corners_line(0, [(8, 6), (28, 6), (28, 18), (8, 18)], 64, 48),
        _corners_line(1, [(40, 16), (48, 24), (40, 32), (32, 24)], 64, 48),
        _corners_line(2, _turned(20, 32, 16, 6, 30), 64, 48),
    ]
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/o1.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _image(root / "images/train/o2.jpg", (40, 30), 110)
    corners = [(-0.2, 2), (10, 2), (10, 8), (-0.2, 8)]
    (root / "labels/train/o2.txt").write_text(
        _corners_line(1, corners, 40, 30) + "\n", encoding="utf-8"
    )
    _image(root / "images/val/o3.png", (32, 32), 170)
    (root / "labels/val").mkdir(parents=True)
    (root / "labels/val/o3.txt").write_text(
        _corners_line(0, _turned(16, 16, 10, 4, -20), 32, 32) + "\n", encoding="utf-8"
    )


Kpt = tuple[float, float, int]


def _pose_line(
    c: int, box: tuple[float, float, float, float], kpts: Sequence[Kpt], size: Size
) -> str:
    width, height = size
    head = _box_line((c, *box), width, height)
    values = ["0 0 0" if v == 0 else f"{x / width:.6f} {y / height:.6f} {v}" for x, y, v in kpts]
    return f"{head} {' '.join(values)}"


def pose() -> None:
    root = HERE / "pose"
    (root / "data.yaml").write_text(
        "# A tiny Ultralytics pose dataset (tests/data/make_fixtures.py)\n"
        "path: .\n"
        "train: images/train\n"
        "val: images/val\n"
        "kpt_shape: [4, 3]  # 4 keypoints of x y visibility\n"
        "flip_idx: [1, 0, 2, 3]\n"
        "names:\n"
        "  0: person\n"
        "  1: cat\n"
        "kpt_names:\n"
        "  0: [left_eye, right_eye, nose, neck]\n"
        "skeleton:  # this plugin's key: 0-based keypoint edges\n"
        "  0: [[0, 2], [1, 2], [2, 3]]\n"
        "download: https://example.invalid/pose-fixture.zip\n",
        encoding="utf-8",
    )
    _image(root / "images/train/p1.png", (64, 48), 30)
    lines = [
        _pose_line(0, (8, 4, 20, 30), [(12, 8, 2), (20, 8, 2), (16, 12, 1), (0, 0, 0)], (64, 48)),
        _pose_line(
            1, (30, 10, 24, 20), [(34, 14, 2), (40, 14, 2), (37, 18, 2), (44, 25, 1)], (64, 48)
        ),
    ]
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/p1.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _image(root / "images/train/p2.jpg", (40, 30), 130)
    hidden = [(0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]
    (root / "labels/train/p2.txt").write_text(
        _pose_line(0, (5, 5, 10, 20), hidden, (40, 30)) + "\n", encoding="utf-8"
    )
    _image(root / "images/val/p3.png", (32, 32), 200)
    (root / "labels/val").mkdir(parents=True)
    (root / "labels/val/p3.txt").write_text("", encoding="utf-8")  # a negative


def pose2d() -> None:
    root = HERE / "pose2d"
    (root / "data.yaml").write_text(
        "# A tiny Ultralytics pose dataset without visibility (tests/data/make_fixtures.py)\n"
        "train: images/train\n"
        "kpt_shape: [3, 2]\n"
        "names: [hand]\n",
        encoding="utf-8",
    )
    _image(root / "images/train/h1.png", (50, 40), 90)
    line = (
        _box_line((0, 10, 10, 20, 16), 50, 40)
        + " "
        + " ".join(f"{x / 50:.6f} {y / 40:.6f}" for x, y in ((12, 12), (20, 14), (28, 24)))
    )
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/h1.txt").write_text(line + "\n", encoding="utf-8")


def main() -> None:
    names = ("detect", "segment", "darknet", "plain", "exif", "obb", "pose", "pose2d")
    for name in names:
        shutil.rmtree(HERE / name, ignore_errors=True)
        (HERE / name).mkdir()
    detect()
    segment()
    darknet()
    plain()
    exif()
    obb()
    pose()
    pose2d()


if __name__ == "__main__":
    main()
