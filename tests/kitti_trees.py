"""KITTI object trees shared by the ``kitti`` format tests (tests/converters/kitti/): the
bundled fixture and the shared corpus's trees, ``make_tree`` (label, calib, scan and image files
of a tree, with a calibration that is the bare axis permutation by default), ``items_by_ref``
and ``clipped_box`` (projected corners to a box clipped to the image)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from paths import CORPUS, ROOT
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.model import MaterializedDataset

FIXTURE = ROOT / "fixtures" / "kitti" / "object"
KITTI_OBJECT = CORPUS / "kitti" / "object"
DATUMARO_KITTI = CORPUS / "datumaro" / "kitti_dataset"
NO_CORPUS = not KITTI_OBJECT.is_dir()
NO_CORPUS_REASON = f"shared corpus not found at {KITTI_OBJECT}"

# x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo; P2 = K (no baseline)
HAND_CALIB = (
    "P2: 700 0 600 0 0 700 180 0 0 0 1 0\n"
    "R0_rect: 1 0 0 0 1 0 0 0 1\n"
    "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n"
)


def make_tree(
    root: Path,
    labels: dict[str, str],
    *,
    calib: str | None = HAND_CALIB,
    scans: dict[str, npt.NDArray[np.float32]] | None = None,
    image_size: tuple[int, int] | None = (1200, 360),
) -> Path:
    for frame, text in labels.items():
        (root / "label_2").mkdir(parents=True, exist_ok=True)
        (root / "label_2" / f"{frame}.txt").write_text(text)
        if calib is not None:
            (root / "calib").mkdir(exist_ok=True)
            (root / "calib" / f"{frame}.txt").write_text(calib)
        if image_size is not None:
            (root / "image_2").mkdir(exist_ok=True)
            Image.new("L", image_size).save(root / "image_2" / f"{frame}.png")
    for frame, points in (scans or {}).items():
        (root / "velodyne").mkdir(parents=True, exist_ok=True)
        points.astype("<f4").tofile(root / "velodyne" / f"{frame}.bin")
    return root


def items_by_ref(path: Path, fmt: str | None = None, **options: Any) -> MaterializedDataset:
    return nc.read(path, fmt, **options).materialize()


def clipped_box(uv: npt.NDArray[np.float64], width: int, height: int) -> tuple[float, ...]:
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    return (
        min(max(lo[0], 0.0), width - 1.0),
        min(max(lo[1], 0.0), height - 1.0),
        min(max(hi[0], 0.0), width - 1.0),
        min(max(hi[1], 0.0), height - 1.0),
    )
