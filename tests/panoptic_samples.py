"""COCO panoptic inputs made here (JSON and RGB PNGs written with Pillow) and the reference
decoding of panoptic PNGs (panopticapi's ``rgb2id``), for the panoptic reader and writer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
from PIL import Image

__all__ = ["CATEGORIES", "png_ids", "rgb2id", "segment_stats", "write_panoptic_source"]

CATEGORIES = [
    {"id": 1, "name": "person", "supercategory": "person", "isthing": 1},
    {"id": 2, "name": "grass", "supercategory": "plant", "isthing": 0},
    {"id": 7, "name": "car", "supercategory": "vehicle", "isthing": 1},
]


def rgb2id(rgb: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """panopticapi.utils.rgb2id, the reference convention."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def png_ids(path: Path) -> np.ndarray[Any, Any]:
    """The segment ids of a panoptic PNG, read with Pillow (which must see an RGB image)."""
    with Image.open(path) as im:
        assert im.mode == "RGB", f"{path} is {im.mode}, not RGB"
        return rgb2id(np.asarray(im))


def segment_stats(ids: np.ndarray[Any, Any], sid: int) -> tuple[int, list[int]]:
    """Area and COCO box of segment ``sid``, computed with numpy."""
    rows, cols = np.nonzero(ids == sid)
    if not rows.size:
        return 0, [0, 0, 0, 0]
    x0, y0 = int(cols.min()), int(rows.min())
    return int(rows.size), [x0, y0, int(cols.max()) - x0 + 1, int(rows.max()) - y0 + 1]


def _ids(h: int, w: int, k: int) -> tuple[np.ndarray[Any, Any], list[tuple[int, int, int]]]:
    """A panoptic id image and its (id, category, iscrowd) segments; ids use all three
    channels (the largest id is 2**24 - 1)."""
    ids = np.zeros((h, w), np.uint32)
    ids[: h // 2, :] = 3226956
    ids[h // 2 :, : w // 2] = 5 + k
    ids[2:6, 20 + k : 30] = (1 << 24) - 1 - k
    return ids, [(3226956, 2, 0), (5 + k, 1, 0), ((1 << 24) - 1 - k, 7, 1)]


def write_panoptic_source(root: Path, images: int = 4, stem: str = "panoptic_demo") -> Path:
    """``root/<stem>.json`` and ``root/<stem>/*.png``: ``images`` images of sizes that differ,
    three segments each (stuff, thing, crowd) but the last, which has none, as COCO panoptic
    lists every image; segments carry a key COCO does not define (``attributes``)."""
    folder = root / stem
    folder.mkdir(parents=True)
    records, image_records = [], []
    for k in range(images):
        h, w = 24 + k, 32 + 2 * k
        ids = np.zeros((h, w), np.uint32)
        segments: list[dict[str, Any]] = []
        if k != images - 1:
            ids, listed = _ids(h, w, k)
            for sid, cid, crowd in listed:
                area, bbox = segment_stats(ids, sid)
                entry = {"id": sid, "category_id": cid, "iscrowd": crowd, "bbox": bbox}
                entry |= {"area": area, "attributes": {"occluded": bool(k % 2)}}
                segments.append(entry)
        rgb = np.stack([ids & 255, (ids >> 8) & 255, ids >> 16], axis=-1).astype(np.uint8)
        Image.fromarray(rgb, "RGB").save(folder / f"{k:012d}.png")
        image_records.append(
            {"id": 100 + k, "file_name": f"{k:012d}.jpg", "width": w, "height": h, "license": 1}
        )
        records.append(
            {"segments_info": segments, "file_name": f"{k:012d}.png", "image_id": 100 + k}
        )
    doc = {
        "info": {"description": "panoptic sample"},
        "licenses": [{"id": 1, "name": "CC BY 4.0", "url": ""}],
        "images": image_records,
        "annotations": records,
        "categories": CATEGORIES,
    }
    path = root / f"{stem}.json"
    path.write_bytes(orjson.dumps(doc))
    return path
