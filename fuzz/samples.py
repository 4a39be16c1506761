"""Small seed files the repository's fixtures do not have: a COCO keypoints file, a COCO
panoptic file with its PNGs, PCD and PLY clouds (ASCII and binary), a KITTI ``.bin`` scan and a
Nucleus single JSONL file. Each ``write_*`` function creates its files under a folder."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "write_bin",
    "write_keypoints",
    "write_panoptic",
    "write_pcd",
    "write_ply",
    "write_single_jsonl",
]

_IMAGES = [
    {"id": 1, "file_name": "a.png", "width": 8, "height": 6},
    {"id": 2, "file_name": "b.png", "width": 8, "height": 6},
]


def write_keypoints(folder: Path) -> Path:
    """``person_keypoints.json``: two people with a 3-point skeleton."""
    cats = [
        {
            "id": 1,
            "name": "person",
            "supercategory": "person",
            "keypoints": ["nose", "left_eye", "right_eye"],
            "skeleton": [[1, 2], [1, 3]],
        }
    ]
    anns = [
        {
            "id": 10 + i,
            "image_id": 1 + i,
            "category_id": 1,
            "bbox": [1, 1, 4, 3],
            "area": 12,
            "iscrowd": 0,
            "num_keypoints": 3,
            "keypoints": [2, 2, 2, 3, 2, 1, 4, 2, 0],
            "segmentation": [[1, 1, 5, 1, 5, 4, 1, 4]],
        }
        for i in range(2)
    ]
    path = folder / "person_keypoints.json"
    path.write_text(json.dumps({"images": _IMAGES, "annotations": anns, "categories": cats}))
    return path


def write_panoptic(folder: Path) -> Path:
    """``panoptic.json`` with its PNGs in ``panoptic/`` (segment id = R + 256 G + 256² B)."""
    (folder / "panoptic").mkdir(parents=True, exist_ok=True)
    anns = []
    for image in _IMAGES:
        ids = np.zeros((6, 8, 3), dtype=np.uint8)
        ids[1:3, 1:4, 0] = 5
        ids[3:6, 4:8, 1] = 1  # id 256
        name = image["file_name"]
        Image.fromarray(ids, "RGB").save(folder / "panoptic" / str(name))
        anns.append(
            {
                "image_id": image["id"],
                "file_name": name,
                "segments_info": [
                    {"id": 5, "category_id": 1, "iscrowd": 0, "area": 6, "bbox": [1, 1, 3, 2]},
                    {"id": 256, "category_id": 2, "iscrowd": 1, "area": 12, "bbox": [4, 3, 4, 3]},
                ],
            }
        )
    cats = [
        {"id": 1, "name": "car", "supercategory": "vehicle", "isthing": 1},
        {"id": 2, "name": "road", "supercategory": "stuff", "isthing": 0},
    ]
    path = folder / "panoptic.json"
    path.write_text(json.dumps({"images": _IMAGES, "annotations": anns, "categories": cats}))
    return path


_POINTS = [(1.0, 2.0, 3.0, 0.5), (4.0, 5.0, 6.0, 0.25), (-1.0, 0.0, 2.5, 1.0)]


def write_pcd(folder: Path, binary: bool) -> Path:
    """``cloud.pcd`` (or ``cloud_bin.pcd``) with x y z intensity, three points."""
    head = (
        "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\n"
        "COUNT 1 1 1 1\nWIDTH 3\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 3\n"
        f"DATA {'binary' if binary else 'ascii'}\n"
    ).encode()
    if binary:
        body = b"".join(struct.pack("<4f", *p) for p in _POINTS)
    else:
        body = "".join(" ".join(str(v) for v in p) + "\n" for p in _POINTS).encode()
    path = folder / ("cloud_bin.pcd" if binary else "cloud.pcd")
    path.write_bytes(head + body)
    return path


def write_ply(folder: Path, binary: bool) -> Path:
    """``cloud.ply`` (or ``cloud_bin.ply``) with x y z intensity, three vertices."""
    fmt = "binary_little_endian" if binary else "ascii"
    head = (
        f"ply\nformat {fmt} 1.0\ncomment fuzz seed\nelement vertex 3\nproperty float x\n"
        "property float y\nproperty float z\nproperty float intensity\nend_header\n"
    ).encode()
    if binary:
        body = b"".join(struct.pack("<4f", *p) for p in _POINTS)
    else:
        body = "".join(" ".join(str(v) for v in p) + "\n" for p in _POINTS).encode()
    path = folder / ("cloud_bin.ply" if binary else "cloud.ply")
    path.write_bytes(head + body)
    return path


def write_bin(folder: Path) -> Path:
    """``scan.bin``: three KITTI velodyne points (float32 x, y, z, reflectance)."""
    path = folder / "scan.bin"
    path.write_bytes(b"".join(struct.pack("<4f", *p) for p in _POINTS))
    return path


def write_single_jsonl(folder: Path, bundle: Path) -> Path:
    """``payloads.jsonl``: the Nucleus fixture's items, annotations and predictions in one
    file (scenes left out: their point cloud URLs point into the bundle)."""
    parts = [
        (bundle / name).read_bytes().rstrip(b"\n")
        for name in ("items.jsonl", "annotations.jsonl", "predictions.jsonl")
        if (bundle / name).is_file()
    ]
    path = folder / "payloads.jsonl"
    path.write_bytes(b"\n".join(parts) + b"\n")
    return path
