"""COCO instances -> Nucleus payloads: how fast and how lean are we, next to the alternatives?

What it measures
----------------
For each scale it generates (once, then reuses from ``benchmarks/.data/``) a seeded synthetic
COCO instances file shaped like the real thing:

* ``val``: 5,000 images, ~36,500 annotations, ~18 MB (real val2017: 36,781 annotations, 25 MB
  of which a good part is the ", " and ": " whitespace that orjson does not write);
* ``train``: 118,000 images, ~860,000 annotations, ~440 MB (real train2017: ~450 MB).

80 categories with COCO's sparse ids 1..90 and supercategories; images with COCO's fields and
sizes around 640x480; annotations mostly polygons (1-3 rings of 6-60 vertices, coordinates
rounded to 2 decimals inside the image, ``bbox`` and ``area`` computed from them) and ~1% crowd
annotations carrying an uncompressed column-major RLE whose counts sum to ``h * w``.

Then it times these steps, each in a child process of its own so that the child's peak
resident memory (``ru_maxrss`` from ``os.wait4``) belongs to that step alone:

``orjson``
    ``orjson.loads(path.read_bytes())`` with the cyclic collector off: the floor, since any
    converter has to parse the file at least once.
``direct``
    The floor of any pure-Python converter: parse with orjson, then write the same item, box
    and polygon lines as ``ours`` straight from the parsed dicts, with nothing in between (no
    model, no check of any value, crowd masks skipped as the client step skips them). Its
    vertices take the fastest route we know (the byte rewrite ``ours`` uses: one orjson call
    per ring); lines are serialised one by one, which measured faster than batches. Not a
    product: a measure of what the Python interpreter alone costs for this output.
``ours``
    ``nucleus_convert.convert(path, out / "bundle", from_="coco", to="nucleus")``: parse,
    convert and write the Nucleus bundle, end to end.
``client``
    The official Scale client (``scale-nucleus``) doing the same job by hand: parse with orjson,
    build a ``DatasetItem`` per image, a ``BoxAnnotation`` per annotation and a
    ``PolygonAnnotation`` per polygon ring (crowd RLE gets only its box: the client has no mask
    type that takes RLE), call ``to_payload()`` on each and write them as JSON Lines with orjson.
    The collector is off here too (as in ours), so the ratio compares work, not GC pauses.
``datumaro``
    ``datumaro.Dataset.import_from(dir, "coco_instances")`` then ``.export(out, "coco_instances",
    save_media=False)``: a COCO round trip through Datumaro's model, run as a user runs it.
``globox``
    ``globox.AnnotationSet.from_coco(path)`` then ``.save_coco(out, auto_ids=True)``: a COCO
    round trip through globox's model, which keeps boxes only (no polygons, no masks).

"seconds" is the time the child spent on the step itself (after its imports, which are not part
of the work: ``import nucleus`` alone takes ~0.5 s); "wall" is the whole child process as the
parent saw it. Ratios use "seconds". With ``--repeat N`` each step runs N times and the table
keeps the best time and the highest peak memory. "base" is the child's resident memory after its
imports, before the step.

Run it with the bench environment (see ``benchmarks/README.md``)::

    python benchmarks/coco_to_nucleus.py --scales val
    python benchmarks/coco_to_nucleus.py --check      # validate the generator (pycocotools)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import io
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import numpy as np

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / ".data"
GENERATOR_VERSION = 1

STEPS = ("orjson", "direct", "ours", "ours-w2", "ours-dask2", "client", "datumaro", "globox")

# --------------------------------------------------------------------------------------------
# The synthetic COCO generator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    images: int
    seed: int
    mean_annotations: float = 7.3  # per image: val2017 7.36, train2017 7.27


SCALES: dict[str, Scale] = {
    "val": Scale("val", 5_000, seed=2017_05),
    "train": Scale("train", 118_000, seed=2017_118),
}
CHECK_SCALE = Scale("check", 400, seed=7)

# COCO's 80 categories: supercategory -> "id name" entries, ids sparse within 1..90.
_COCO_CATEGORIES = {
    "person": "1 person",
    "vehicle": "2 bicycle,3 car,4 motorcycle,5 airplane,6 bus,7 train,8 truck,9 boat",
    "outdoor": "10 traffic light,11 fire hydrant,13 stop sign,14 parking meter,15 bench",
    "animal": "16 bird,17 cat,18 dog,19 horse,20 sheep,21 cow,22 elephant,23 bear,24 zebra,"
    "25 giraffe",
    "accessory": "27 backpack,28 umbrella,31 handbag,32 tie,33 suitcase",
    "sports": "34 frisbee,35 skis,36 snowboard,37 sports ball,38 kite,39 baseball bat,"
    "40 baseball glove,41 skateboard,42 surfboard,43 tennis racket",
    "kitchen": "44 bottle,46 wine glass,47 cup,48 fork,49 knife,50 spoon,51 bowl",
    "food": "52 banana,53 apple,54 sandwich,55 orange,56 broccoli,57 carrot,58 hot dog,59 pizza,"
    "60 donut,61 cake",
    "furniture": "62 chair,63 couch,64 potted plant,65 bed,67 dining table,70 toilet",
    "electronic": "72 tv,73 laptop,74 mouse,75 remote,76 keyboard,77 cell phone",
    "appliance": "78 microwave,79 oven,80 toaster,81 sink,82 refrigerator",
    "indoor": "84 book,85 clock,86 vase,87 scissors,88 teddy bear,89 hair drier,90 toothbrush",
}


def coco_categories() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sup, entries in _COCO_CATEGORIES.items():
        for entry in entries.split(","):
            cid, name = entry.split(" ", 1)
            out.append({"supercategory": sup, "id": int(cid), "name": name})
    out.sort(key=lambda c: c["id"])
    return out


_LICENSES = [
    (
        "http://creativecommons.org/licenses/by-nc-sa/2.0/",
        "Attribution-NonCommercial-ShareAlike License",
    ),
    ("http://creativecommons.org/licenses/by-nc/2.0/", "Attribution-NonCommercial License"),
    (
        "http://creativecommons.org/licenses/by-nc-nd/2.0/",
        "Attribution-NonCommercial-NoDerivs License",
    ),
    ("http://creativecommons.org/licenses/by/2.0/", "Attribution License"),
    ("http://creativecommons.org/licenses/by-sa/2.0/", "Attribution-ShareAlike License"),
    ("http://creativecommons.org/licenses/by-nd/2.0/", "Attribution-NoDerivs License"),
    ("http://flickr.com/commons/usage/", "No known copyright restrictions"),
    ("http://www.usa.gov/copyright.shtml", "United States Government Work"),
]

# (width, height, weight): the common COCO sizes; a quarter of the images get a random height.
_SIZES = [
    (640, 480, 30),
    (640, 427, 22),
    (480, 640, 9),
    (640, 426, 6),
    (640, 428, 5),
    (427, 640, 5),
    (500, 375, 4),
    (640, 360, 4),
    (612, 612, 3),
    (640, 512, 2),
    (375, 500, 2),
    (640, 425, 8),
]
CROWD_FRACTION = 0.01
_IMAGES_PER_CHUNK = 2_000
_DATE_BASE = 1_384_041_600  # 2013-11-10 00:00:00 UTC


@dataclass(slots=True)
class GenStats:
    images: int = 0
    annotations: int = 0
    crowd: int = 0
    rings: int = 0
    vertices: int = 0


def _images(rng: np.random.Generator, scale: Scale) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The image records and a (n, 3) int array of (id, width, height)."""
    import numpy as np

    n = scale.images
    ids = rng.choice(600_000, size=n, replace=False) + 1
    weights = np.array([s[2] for s in _SIZES], dtype=np.float64)
    pick = rng.choice(len(_SIZES), size=n, p=weights / weights.sum())
    width = np.array([s[0] for s in _SIZES], dtype=np.int64)[pick]
    height = np.array([s[1] for s in _SIZES], dtype=np.int64)[pick]
    varied = rng.random(n) < 0.25
    landscape = width >= height
    free = rng.integers(240, 641, size=n)
    height = np.where(varied & landscape, free, height)
    width = np.where(varied & ~landscape, free, width)
    licence = rng.integers(1, len(_LICENSES) + 1, size=n)
    captured = _DATE_BASE + rng.integers(0, 86_400 * 20, size=n)
    farm = rng.integers(1, 10, size=n)
    server = rng.integers(1000, 9000, size=n)
    photo = rng.integers(10**9, 10**10, size=n)
    secret = rng.integers(0, 16**10, size=n)
    split = "train2017" if scale.name == "train" else "val2017"
    records: list[dict[str, Any]] = []
    for iid, w, h, lic, t, fa, sv, ph, se in zip(
        ids.tolist(),
        width.tolist(),
        height.tolist(),
        licence.tolist(),
        captured.tolist(),
        farm.tolist(),
        server.tolist(),
        photo.tolist(),
        secret.tolist(),
        strict=True,
    ):
        fname = f"{iid:012d}.jpg"
        records.append(
            {
                "license": lic,
                "file_name": fname,
                "coco_url": f"http://images.cocodataset.org/{split}/{fname}",
                "height": h,
                "width": w,
                "date_captured": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)),
                "flickr_url": f"http://farm{fa}.staticflickr.com/{sv}/{ph}_{se:010x}_z.jpg",
                "id": iid,
            }
        )
    return records, np.stack([ids, width, height], axis=1)


def _crowd_rle(rng: np.random.Generator, h: int, w: int) -> tuple[dict[str, Any], int, list[int]]:
    """A blob that is one run of rows per column, as uncompressed column-major COCO RLE.

    Every count is >= 1 (top >= 1, bottom <= h - 1) and they sum to ``h * w``.
    """
    import numpy as np

    cw = max(8, int(w * rng.uniform(0.15, 0.8)))
    ch = max(8, int(h * rng.uniform(0.15, 0.7)))
    x0 = int(rng.integers(0, w - cw + 1))
    y0 = int(rng.integers(1, h - ch))
    top = np.clip(y0 + np.cumsum(rng.integers(-2, 3, size=cw)), 1, h - 2)
    bottom = np.clip(y0 + ch + np.cumsum(rng.integers(-2, 3, size=cw)), top + 1, h - 1)
    col = (np.arange(x0, x0 + cw, dtype=np.int64)) * h
    pos = np.empty(2 * cw + 2, dtype=np.int64)
    pos[0] = 0
    pos[1:-1:2] = col + top
    pos[2:-1:2] = col + bottom
    pos[-1] = h * w
    counts = np.diff(pos)
    area = int((bottom - top).sum())
    ymin = int(top.min())
    bbox = [x0, ymin, cw, int(bottom.max()) - ymin]
    return {"counts": counts.tolist(), "size": [h, w]}, area, bbox


def _annotation_chunk(
    rng: np.random.Generator,
    img: np.ndarray,
    counts: np.ndarray,
    cat_ids: np.ndarray,
    cat_p: np.ndarray,
    stats: GenStats,
) -> list[dict[str, Any]]:
    """The annotations of the images in ``img`` (rows of id, width, height), ids not yet set."""
    import numpy as np

    rows = np.repeat(np.arange(len(img)), counts)
    n = len(rows)
    image_id = img[rows, 0]
    wf = img[rows, 1].astype(np.float64)
    hf = img[rows, 2].astype(np.float64)
    crowd = rng.random(n) < CROWD_FRACTION
    category = rng.choice(cat_ids, size=n, p=cat_p)

    # Polygons, vectorised over every ring of every non-crowd annotation in the chunk.
    poly = np.flatnonzero(~crowd)
    p = len(poly)
    pw, ph = wf[poly], hf[poly]
    nrings = rng.choice(np.array([1, 2, 3]), size=p, p=[0.88, 0.08, 0.04])
    radius = np.minimum(pw, ph) * np.exp(rng.uniform(np.log(0.012), np.log(0.45), size=p))
    cx = rng.uniform(0.0, 1.0, size=p) * pw
    cy = rng.uniform(0.0, 1.0, size=p) * ph
    ring_ann = np.repeat(np.arange(p), nrings)
    r = len(ring_ann)
    first = np.ones(r, dtype=bool)
    first[1:] = ring_ann[1:] != ring_ann[:-1]
    rw, rh, rrad = pw[ring_ann], ph[ring_ann], radius[ring_ann]
    rcx = np.clip(cx[ring_ann] + np.where(first, 0.0, rng.uniform(-1.3, 1.3, r) * rrad), 0, rw)
    rcy = np.clip(cy[ring_ann] + np.where(first, 0.0, rng.uniform(-1.3, 1.3, r) * rrad), 0, rh)
    rrad = rrad * np.where(first, 1.0, rng.uniform(0.2, 0.6, size=r))
    phase = rng.uniform(0.0, 2 * np.pi, size=r)
    nv = np.clip(np.rint(6 + rng.gamma(1.6, 9.0, size=r)), 6, 60).astype(np.int64)
    rstart = np.cumsum(nv) - nv
    vring = np.repeat(np.arange(r), nv)
    v = len(vring)
    k = np.arange(v) - rstart[vring]
    theta = 2 * np.pi * (k + rng.uniform(0.0, 0.9, size=v)) / nv[vring] + phase[vring]
    rho = rrad[vring] * rng.uniform(0.55, 1.0, size=v)
    x = np.round(np.clip(rcx[vring] + rho * np.cos(theta), 0, rw[vring]), 2)
    y = np.round(np.clip(rcy[vring] + rho * np.sin(theta), 0, rh[vring]), 2)
    nxt = np.arange(1, v + 1)
    nxt[rstart + nv - 1] = rstart
    ring_area = np.abs(np.add.reduceat(x * y[nxt] - x[nxt] * y, rstart)) / 2
    area = np.bincount(ring_ann, weights=ring_area, minlength=p)
    ann_ring0 = np.flatnonzero(first)
    vstart = rstart[ann_ring0]
    xmin, ymin = np.minimum.reduceat(x, vstart), np.minimum.reduceat(y, vstart)
    bw = np.round(np.maximum.reduceat(x, vstart) - xmin, 2)
    bh = np.round(np.maximum.reduceat(y, vstart) - ymin, 2)
    xy = np.empty(2 * v, dtype=np.float64)
    xy[0::2], xy[1::2] = x, y
    flat = xy.tolist()
    lo, hi = (2 * rstart).tolist(), (2 * (rstart + nv)).tolist()
    ring0, ringn = ann_ring0.tolist(), nrings.tolist()
    areas, bx, by, bwl, bhl = area.tolist(), xmin.tolist(), ymin.tolist(), bw.tolist(), bh.tolist()
    stats.rings += r
    stats.vertices += v

    anns: list[dict[str, Any]] = []
    pi = 0
    for iscrowd, iid, cat, w, h in zip(
        crowd.tolist(),
        image_id.tolist(),
        category.tolist(),
        img[rows, 1].tolist(),
        img[rows, 2].tolist(),
        strict=True,
    ):
        if iscrowd:
            seg, crowd_area, bbox = _crowd_rle(rng, h, w)
            anns.append(
                {
                    "segmentation": seg,
                    "area": crowd_area,
                    "iscrowd": 1,
                    "image_id": iid,
                    "bbox": bbox,
                    "category_id": cat,
                    "id": 0,
                }
            )
            stats.crowd += 1
            continue
        r0 = ring0[pi]
        rings = [flat[lo[j] : hi[j]] for j in range(r0, r0 + ringn[pi])]
        anns.append(
            {
                "segmentation": rings,
                "area": areas[pi],
                "iscrowd": 0,
                "image_id": iid,
                "bbox": [bx[pi], by[pi], bwl[pi], bhl[pi]],
                "category_id": cat,
                "id": 0,
            }
        )
        pi += 1
    # Real files do not keep an image's annotations together: shuffle within the chunk.
    order = rng.permutation(n).tolist()
    return [anns[i] for i in order]


def _join(records: Sequence[Any]) -> bytes:
    """``records`` as the inside of a JSON array (no brackets)."""
    return orjson.dumps(records)[1:-1]


def generate(scale: Scale, path: Path) -> dict[str, Any]:
    """Write the synthetic COCO file for ``scale`` to ``path`` (atomically); return its stats."""
    import numpy as np

    t0 = time.perf_counter()
    rng = np.random.default_rng(scale.seed)
    stats = GenStats(images=scale.images)
    categories = coco_categories()
    cat_ids = np.array([c["id"] for c in categories], dtype=np.int64)
    # person dominates (~25% in COCO); the rest fall off with rank, in a seeded order.
    tail = 1.0 / np.arange(2, len(cat_ids) + 1) ** 0.7
    cat_w = np.concatenate([[tail.sum() / 2.5], rng.permutation(tail)])
    cat_p = cat_w / cat_w.sum()

    images, img = _images(rng, scale)
    # 1 + negative binomial (a long tail, like COCO), then ~1% of images left unannotated.
    mean = scale.mean_annotations / 0.99
    extra = rng.negative_binomial(1.5, 1.5 / (1.5 + mean - 1), size=scale.images)
    counts = np.minimum(1 + extra, 100)
    counts[rng.random(scale.images) < 0.01] = 0
    next_id = 1 + int(rng.integers(0, 1000))

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent == DATA_DIR:
        _ignore_cache()
    tmp = path.with_name(path.name + ".partial")
    info = {
        "description": f"Synthetic COCO-shaped benchmark data ({scale.name}, seed {scale.seed})",
        "url": "http://cocodataset.org",
        "version": "1.0",
        "year": 2017,
        "contributor": "nucleus-convert benchmarks",
        "date_created": "2017/09/01",
    }
    licenses = [{"url": u, "id": i, "name": n} for i, (u, n) in enumerate(_LICENSES, start=1)]
    with tmp.open("wb") as fh:
        fh.write(b'{"info":' + orjson.dumps(info) + b',"licenses":' + orjson.dumps(licenses))
        fh.write(b',"images":[' + _join(images) + b'],"annotations":[')
        del images
        sep = b""
        for i0 in range(0, scale.images, _IMAGES_PER_CHUNK):
            i1 = min(i0 + _IMAGES_PER_CHUNK, scale.images)
            anns = _annotation_chunk(rng, img[i0:i1], counts[i0:i1], cat_ids, cat_p, stats)
            steps = rng.integers(1, 3, size=len(anns)).tolist()
            for ann, step in zip(anns, steps, strict=True):
                next_id += step
                ann["id"] = next_id if not ann["iscrowd"] else 900_000_000_000 + next_id
            stats.annotations += len(anns)
            if anns:
                fh.write(sep + _join(anns))
                sep = b","
        fh.write(b'],"categories":' + orjson.dumps(categories) + b"}")
        fh.flush()
        os.fsync(fh.fileno())  # no write-back of it competing with the first measured step
    tmp.replace(path)
    meta = {
        "generator": GENERATOR_VERSION,
        "scale": scale.name,
        "seed": scale.seed,
        "images": stats.images,
        "annotations": stats.annotations,
        "crowd": stats.crowd,
        "rings": stats.rings,
        "vertices": stats.vertices,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    _meta_path(path).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return meta


def _ignore_cache() -> None:
    """Keep git from offering the (hundreds of MB of) cached data, like ``.pytest_cache``."""
    marker = DATA_DIR / ".gitignore"
    if DATA_DIR.is_dir() and not marker.exists():
        marker.write_text("# generated by benchmarks/coco_to_nucleus.py\n*\n")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.stem + ".meta.json")


def data_path(scale: Scale) -> Path:
    return DATA_DIR / f"instances_{scale.name}.json"


def cached_meta(scale: Scale) -> dict[str, Any] | None:
    """The stats of the cached file for ``scale``, or None when it is missing or stale."""
    path = data_path(scale)
    meta_path = _meta_path(path)
    if not (path.exists() and meta_path.exists()):
        return None
    meta: dict[str, Any] = orjson.loads(meta_path.read_bytes())
    same = meta.get("generator") == GENERATOR_VERSION and meta.get("seed") == scale.seed
    return meta if same and meta.get("bytes") == path.stat().st_size else None


def prepare_data(scale: Scale, regenerate: bool, log: Path) -> tuple[Path, dict[str, Any], bool]:
    """The file for ``scale``, its stats, and whether it was generated now.

    Generation runs in a child process too: the parent stays small, because a spawned child's
    ``ru_maxrss`` starts from its parent's peak (Linux carries it across ``exec``).
    """
    _ignore_cache()
    meta = None if regenerate else cached_meta(scale)
    if meta is not None:
        return data_path(scale), meta, False
    log.parent.mkdir(parents=True, exist_ok=True)
    _, rss, code = spawn(["--generate", scale.name], log)
    meta = cached_meta(scale)
    if code != 0 or meta is None:
        raise SystemExit(f"generating {scale.name} failed (exit code {code}); see {log}")
    meta["peak_kib"] = rss
    return data_path(scale), meta, True


# --------------------------------------------------------------------------------------------
# The measured steps (run in the child process)
# --------------------------------------------------------------------------------------------

Work = Callable[[Path, Path], dict[str, Any]]
"""``work(src, out_dir) -> info``: the timed part of a step; ``info["output"]`` names what it
wrote (its size is reported)."""


def _setup_orjson() -> Work:
    def work(src: Path, out: Path) -> dict[str, Any]:
        gc.disable()
        data = orjson.loads(src.read_bytes())
        return {"annotations": len(data["annotations"])}

    return work


def _setup_direct() -> Work:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    fragment = orjson.Fragment

    def vertices(ring: list[float]) -> orjson.Fragment:
        pairs = dumps(list(zip(ring[::2], ring[1::2], strict=True)))
        body = pairs[2:-2].replace(b",", b',"y":').replace(b'],"y":[', b'},{"x":')
        return fragment(b'[{"x":' + body + b"}]")

    def work(src: Path, out: Path) -> dict[str, Any]:
        gc.disable()
        data = orjson.loads(src.read_bytes())
        bundle = out / "direct"
        bundle.mkdir()
        label = {c["id"]: c["name"] for c in data["categories"]}
        ref_of: dict[int, str] = {}
        with _JsonlSink(bundle / "items.jsonl") as sink:
            for im in data["images"]:
                ref = ref_of[im["id"]] = im["file_name"]
                sink.add(
                    dumps(
                        {
                            "metadata": {"coco_image_id": im["id"], "license": im.get("license")},
                            "reference_id": ref,
                            "width": im["width"],
                            "height": im["height"],
                            "image_url": ref,
                        },
                        option=newline,
                    )
                )
        n = 0
        with _JsonlSink(bundle / "annotations.jsonl") as sink:
            for ann in data["annotations"]:
                ref = ref_of[ann["image_id"]]
                name = label[ann["category_id"]]
                aid = str(ann["id"])
                md = {"coco_id": ann["id"], "area": ann["area"], "iscrowd": ann["iscrowd"]}
                md["group_id"] = aid
                x, y, w, h = ann["bbox"]
                box = {
                    "label": name,
                    "type": "box",
                    "geometry": {"x": x, "y": y, "width": w, "height": h},
                    "reference_id": ref,
                    "annotation_id": aid,
                    "metadata": md,
                    "embedding_vector": None,
                    "track_reference_id": None,
                    "task_id": None,
                }
                sink.add(dumps(box, option=newline))
                n += 1
                seg = ann["segmentation"]
                if not isinstance(seg, list):
                    continue
                for k, ring in enumerate(seg):
                    polygon = {
                        "label": name,
                        "type": "polygon",
                        "geometry": {"vertices": vertices(ring)},
                        "reference_id": ref,
                        "annotation_id": f"{aid}.{k}",
                        "metadata": md,
                        "embedding_vector": None,
                        "track_reference_id": None,
                        "task_id": None,
                    }
                    sink.add(dumps(polygon, option=newline))
                    n += 1
        return {"output": str(bundle), "summary": f"{len(ref_of)} items, {n} annotations"}

    return work


def _setup_ours() -> Work:
    import nucleus_convert

    nucleus_convert.get_format("nucleus")  # load the plugin registry outside the timed part

    def work(src: Path, out: Path) -> dict[str, Any]:
        result = nucleus_convert.convert(src, out / "bundle", from_="coco", to="nucleus")
        return {"output": str(result.path), "summary": result.summary.describe()}

    return work


def _setup_ours_w2() -> Work:
    import nucleus_convert

    nucleus_convert.get_format("nucleus")

    def work(src: Path, out: Path) -> dict[str, Any]:
        result = nucleus_convert.convert(src, out / "bundle", from_="coco", to="nucleus", workers=2)
        if result.partitions != 2:
            raise RuntimeError(f"ran in one process: {result.note}")
        return {"output": str(result.path), "summary": result.summary.describe()}

    return work


def _setup_ours_dask2() -> Work:
    import distributed

    import nucleus_convert

    nucleus_convert.get_format("nucleus")
    # The cluster is started outside the timed part, as a user's cluster is already running.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    client.run(nucleus_convert.get_format, "nucleus")  # workers import and load plugins

    def work(src: Path, out: Path) -> dict[str, Any]:
        result = nucleus_convert.convert(
            src, out / "bundle", from_="coco", to="nucleus", dask=client
        )
        if result.partitions != 2:
            raise RuntimeError(f"ran in one process: {result.note}")
        return {"output": str(result.path), "summary": result.summary.describe()}

    return work


def _setup_client() -> Work:
    import nucleus  # type: ignore[import-untyped]

    box_cls, poly_cls, point_cls, item_cls = (
        nucleus.BoxAnnotation,
        nucleus.PolygonAnnotation,
        nucleus.Point,
        nucleus.DatasetItem,
    )
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE

    def work(src: Path, out: Path) -> dict[str, Any]:
        gc.disable()
        data = orjson.loads(src.read_bytes())
        bundle = out / "client"
        bundle.mkdir()
        label = {c["id"]: c["name"] for c in data["categories"]}
        ref_of: dict[int, str] = {}
        n_items = n_boxes = n_polys = n_crowd = 0
        with _JsonlSink(bundle / "items.jsonl") as sink:
            for im in data["images"]:
                ref = im["file_name"]
                ref_of[im["id"]] = ref
                item = item_cls(
                    image_location=im.get("coco_url") or ref,
                    reference_id=ref,
                    metadata={
                        "coco_id": im["id"],
                        "license": im.get("license"),
                        "date_captured": im.get("date_captured"),
                        "flickr_url": im.get("flickr_url"),
                    },
                    width=im["width"],
                    height=im["height"],
                )
                sink.add(dumps(item.to_payload(), option=newline))
                n_items += 1
        with _JsonlSink(bundle / "annotations.jsonl") as sink:
            for ann in data["annotations"]:
                ref = ref_of[ann["image_id"]]
                name = label[ann["category_id"]]
                aid = str(ann["id"])
                x, y, w, h = ann["bbox"]
                meta = {"coco_id": ann["id"], "area": ann["area"], "iscrowd": ann["iscrowd"]}
                box = box_cls(
                    label=name,
                    x=x,
                    y=y,
                    width=w,
                    height=h,
                    reference_id=ref,
                    annotation_id=aid,
                    metadata=meta,
                )
                sink.add(dumps(box.to_payload(), option=newline))
                n_boxes += 1
                seg = ann["segmentation"]
                if not isinstance(seg, list):  # crowd RLE: no client type takes it
                    n_crowd += 1
                    continue
                for k, ring in enumerate(seg):
                    polygon = poly_cls(
                        label=name,
                        vertices=[
                            point_cls(px, py) for px, py in zip(ring[::2], ring[1::2], strict=True)
                        ],
                        reference_id=ref,
                        annotation_id=aid if len(seg) == 1 else f"{aid}-{k}",
                        metadata={**meta, "group_id": aid},
                    )
                    sink.add(dumps(polygon.to_payload(), option=newline))
                    n_polys += 1
        return {
            "output": str(bundle),
            "summary": f"{n_items} items, {n_boxes} boxes, {n_polys} polygons, "
            f"{n_crowd} crowd masks dropped",
        }

    return work


def _setup_datumaro() -> Work:
    import datumaro  # type: ignore[import-untyped]

    def work(src: Path, out: Path) -> dict[str, Any]:
        subset = src.stem.removeprefix("instances_")
        root = out / "datumaro_src"
        (root / "annotations").mkdir(parents=True)
        (root / "images" / subset).mkdir(parents=True)  # the importer insists on it
        (root / "annotations" / f"instances_{subset}.json").symlink_to(src.resolve())
        dst = out / "datumaro_export"
        dataset = datumaro.Dataset.import_from(str(root), "coco_instances")
        dataset.export(str(dst), "coco_instances", save_media=False)
        return {"output": str(dst), "summary": f"{len(dataset)} items"}

    return work


def _setup_globox() -> Work:
    from globox import AnnotationSet  # type: ignore[import-untyped]

    def work(src: Path, out: Path) -> dict[str, Any]:
        dst = out / "globox.json"
        annotations = AnnotationSet.from_coco(src)
        annotations.save_coco(dst, auto_ids=True)
        boxes = sum(len(a.boxes) for a in annotations)
        return {"output": str(dst), "summary": f"{len(annotations)} images, {boxes} boxes"}

    return work


SETUPS: dict[str, Callable[[], Work]] = {
    "orjson": _setup_orjson,
    "direct": _setup_direct,
    "ours": _setup_ours,
    "ours-w2": _setup_ours_w2,
    "ours-dask2": _setup_ours_dask2,
    "client": _setup_client,
    "datumaro": _setup_datumaro,
    "globox": _setup_globox,
}


class _JsonlSink:
    """Buffered JSON Lines output (payloads are written as they are made, not held)."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("wb")
        self._buf: list[bytes] = []

    def add(self, line: bytes) -> None:
        self._buf.append(line)
        if len(self._buf) >= 4096:
            self._fh.write(b"".join(self._buf))
            self._buf.clear()

    def __enter__(self) -> _JsonlSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.write(b"".join(self._buf))
        self._fh.close()


def _maxrss_kib() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _pss_kib(pid: int) -> int:
    """Proportional set size of ``pid`` (shared pages split among their sharers), 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int] | None:
    """The children of ``pid`` from ``/proc/<pid>/task/*/children`` (a few small reads), or
    None where the kernel does not provide those files."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:
            if not (task / "stat").exists():
                continue  # the thread ended
            return None
        except OSError:
            continue
    return found


def _descendants(pid: int) -> list[int]:
    children: Callable[[int], list[int] | None] = _children
    if _children(pid) is None:  # no task/*/children files: one scan of every process
        by_parent = _children_by_scan()
        children = lambda p: by_parent.get(p, [])  # noqa: E731
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop()) or []
        found.extend(kids)
        todo.extend(kids)
    return found


def _children_by_scan() -> dict[int, list[int]]:
    """The children of every process, from every process's ``stat`` (slow)."""
    by_parent: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        by_parent.setdefault(ppid, []).append(int(entry.name))
    return by_parent


class _TreeMemory:
    """Samples in a thread the PSS of this process and all its descendants (a forked worker's
    pages shared with its parent counted once, not twice); ``peak`` in KiB.

    The sampler runs beside the step's workers and must cost them little. Descendants are
    found through ``/proc/<pid>/task/*/children``, not a scan of every process. A sample reads
    ``smaps_rollup``, which walks the page tables (a few ms for a process of gigabytes), so it
    waits ten times as long as the last sample took, and at least 20 ms: at most a tenth of a
    core. ``NC_BENCH_NO_PSS=1`` turns it off, to see what it costs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        if os.environ.get("NC_BENCH_NO_PSS"):
            return
        me = os.getpid()
        pause = 0.02
        while not self._stop.wait(pause):
            t0 = time.perf_counter()
            total = sum(_pss_kib(p) for p in (me, *_descendants(me)))
            self.peak = max(self.peak, total)
            # Reading smaps_rollup walks the page tables: a few ms for a process of gigabytes.
            # Waiting ten times that keeps the sampler under a tenth of a core.
            pause = max(0.02, 10 * (time.perf_counter() - t0))

    def __enter__(self) -> _TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child_main(step: str, src: Path, out: Path) -> int:
    """The hidden ``--step`` mode: run one step and leave ``result.json`` in ``out``."""
    result: dict[str, Any]
    try:
        work = SETUPS[step]()
        if os.environ.get("NC_BENCH_SETUP_ONLY"):  # benchmarks/instructions.py: imports only
            return 0
        base = _maxrss_kib()
        with _TreeMemory() as tree:
            t0 = time.perf_counter()
            info = work(src, out)
            seconds = time.perf_counter() - t0
        output = info.pop("output", None)
        size = _tree_size(Path(output)) if output else None
        result = {
            "ok": True,
            "seconds": seconds,
            "base_kib": base,
            "tree_pss_kib": tree.peak,
            "bytes": size,
            **info,
        }
        code = 0
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        result = {"ok": False, "error": f"{type(exc).__name__}: {message}".rstrip(": ")}
        code = 1
        traceback.print_exc()
    (out / "result.json").write_bytes(orjson.dumps(result))
    return code


# --------------------------------------------------------------------------------------------
# The parent: spawn, measure, tabulate
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Measured:
    step: str
    seconds: float | None = None  # best work time over the repeats
    wall: float | None = None  # wall time of the process that had the best work time
    rss_kib: int = 0  # highest peak RSS over the repeats
    tree_kib: int = 0  # highest sampled PSS of the step's process and its workers
    base_kib: int = 0
    bytes: int | None = None
    summary: str = ""
    skipped: str | None = None  # "n/a (...)" or "skipped (...)"
    runs: list[float] = field(default_factory=list)


def spawn(args: list[str], log: Path) -> tuple[float, int, int]:
    """Run this script with ``args`` in a fresh interpreter, its stdout and stderr to ``log``;
    (wall seconds, the child's peak RSS in KiB, exit code)."""
    argv = [sys.executable, str(Path(__file__).resolve()), *args]
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    t0 = time.perf_counter()
    pid = os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return wall, rss, os.waitstatus_to_exitcode(status)


def spawn_step(step: str, src: Path, out: Path) -> tuple[dict[str, Any], float, int, int]:
    """Run ``step`` in a fresh interpreter; (its result, wall seconds, peak RSS KiB, exit code)."""
    out.mkdir(parents=True)
    log = out / "step.log"
    wall, rss, code = spawn(["--step", step, "--file", str(src), "--out", str(out)], log)
    result_path = out / "result.json"
    if result_path.exists():
        result: dict[str, Any] = orjson.loads(result_path.read_bytes())
    else:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        result = {"ok": False, "error": f"exit code {code}: {' '.join(tail)}".strip()}
    return result, wall, rss, code


def measure(step: str, src: Path, work: Path, repeat: int, keep: bool) -> Measured:
    m = Measured(step)
    for i in range(repeat):
        out = work / f"{step}-{i + 1}"
        result, wall, rss, _ = spawn_step(step, src, out)
        if not result.get("ok"):
            m.skipped = f"n/a ({result.get('error', 'failed')})"
            log = (out / "step.log").read_text(errors="replace").rstrip().splitlines()
            _log(f"  {step} failed; the end of its log:")
            _log("\n".join(f"    {line}" for line in log[-12:]))
            return m
        seconds = float(result["seconds"])
        m.runs.append(seconds)
        m.rss_kib = max(m.rss_kib, rss)
        m.tree_kib = max(m.tree_kib, int(result.get("tree_pss_kib", 0)))
        if m.seconds is None or seconds < m.seconds:
            m.seconds, m.wall = seconds, wall
            m.base_kib = int(result["base_kib"])
            m.bytes = result.get("bytes")
            m.summary = str(result.get("summary", ""))
        _log(f"  {step} run {i + 1}/{repeat}: {seconds:.2f} s, peak {rss / 1024:.0f} MiB")
        if not keep or i + 1 < repeat:
            shutil.rmtree(out, ignore_errors=True)
    return m


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


def _mib(kib: int | float) -> str:
    return f"{kib / 1024:.0f}"


def _size(n: int | None) -> str:
    if n is None:
        return ""
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


def table(results: dict[str, Measured]) -> str:
    floor = results.get("orjson")
    floor_s = floor.seconds if floor else None
    floor_rss = floor.rss_kib if floor and floor.seconds is not None else None
    lines = [
        "| step | seconds | x orjson | wall s | peak RSS MiB | peak PSS with workers MiB | "
        "x orjson RSS | base MiB | output |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in results.values():
        if m.seconds is None:
            lines.append(f"| {m.step} | {m.skipped} | | | | | | | |")
            continue
        out = ", ".join(s for s in (_size(m.bytes), m.summary) if s)
        lines.append(
            f"| {m.step} | {m.seconds:.2f} | {_fmt_ratio(_ratio(m.seconds, floor_s))} | "
            f"{m.wall or 0:.2f} | {_mib(m.rss_kib)} | {_mib(m.tree_kib)} | "
            f"{_fmt_ratio(_ratio(m.rss_kib, floor_rss))} | {_mib(m.base_kib)} | {out} |"
        )
    return "\n".join(lines)


def headline(results: dict[str, Measured]) -> str:
    def sec(step: str) -> float | None:
        m = results.get(step)
        return m.seconds if m else None

    def rss(step: str) -> float | None:
        m = results.get(step)
        return m.rss_kib if m and m.seconds is not None else None

    def verdict(r: float | None, target: float, below: bool) -> str:
        if r is None:
            return ""
        ok = r <= target if below else r >= target
        return " ok" if ok else " MISSED"

    def tree(step: str) -> float | None:
        m = results.get(step)
        return m.tree_kib if m and m.seconds is not None and m.tree_kib else None

    rows = [
        ("direct / orjson time (Python floor)", _ratio(sec("direct"), sec("orjson")), "", 0, False),
        ("ours / orjson time", _ratio(sec("ours"), sec("orjson")), "<= 4x", 4.0, True),
        ("client / ours time", _ratio(sec("client"), sec("ours")), ">= 1x", 1.0, False),
        ("ours-w2 / orjson time", _ratio(sec("ours-w2"), sec("orjson")), "<= 2.5x", 2.5, True),
        ("ours / ours-w2 time (speed-up)", _ratio(sec("ours"), sec("ours-w2")), "", 0.0, False),
        (
            "ours-dask2 / ours-w2 time",
            _ratio(sec("ours-dask2"), sec("ours-w2")),
            "<= 1.3x",
            1.3,
            True,
        ),
        ("ours / orjson peak RSS", _ratio(rss("ours"), rss("orjson")), "<= 1.5x", 1.5, True),
        (
            # orjson.loads holds the GIL, so the sampler cannot see its peak: its peak RSS is
            # the floor here
            "ours-w2 peak PSS with workers / orjson peak RSS",
            _ratio(tree("ours-w2"), rss("orjson")),
            "<= 1.5x",
            1.5,
            True,
        ),
        ("datumaro / ours time", _ratio(sec("datumaro"), sec("ours")), "", 0.0, False),
        ("globox / ours time", _ratio(sec("globox"), sec("ours")), "", 0.0, False),
    ]
    out = []
    for name, r, target, limit, below in rows:
        aim = f" (target {target}){verdict(r, limit, below)}" if target else ""
        out.append(f"- {name}: {_fmt_ratio(r)}{aim}")
    return "\n".join(out)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> str:
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        mem_s = f", {mem:.0f} GiB RAM"
    except (ValueError, OSError):
        mem_s = ""
    commit = ""
    try:
        proc = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            commit = f" (git {proc.stdout.strip()})"
    except OSError:
        pass
    pkgs = ", ".join(
        f"{d} {_version(d)}" + (commit if d == "nucleus-convert" else "")
        for d in ("nucleus-convert", "orjson", "scale-nucleus", "datumaro", "globox", "numpy")
    )
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{mem_s}; {pkgs}"
    )


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_benchmark(args: argparse.Namespace) -> int:
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        raise SystemExit(f"unknown scale(s) {', '.join(unknown)} (known: {', '.join(SCALES)})")
    print(machine_info())
    print()
    with _WorkDir(args.out) as work:
        for name in scales:
            scale = SCALES[name]
            _log(f"{name}: preparing data in {DATA_DIR}")
            src, meta, fresh = prepare_data(scale, args.regenerate, work / f"generate-{name}.log")
            made = "cached"
            if fresh:
                made = f"generated in {meta['seconds']:.1f} s, peak {_mib(meta['peak_kib'])} MiB"
            print(
                f"## {name}: {meta['images']:,} images, {meta['annotations']:,} annotations "
                f"({meta['crowd']:,} crowd RLE, {meta['rings']:,} polygon rings, "
                f"{meta['vertices']:,} vertices), {_size(meta['bytes'])} ({made}: {src})"
            )
            print()
            results: dict[str, Measured] = {}
            for step in STEPS:
                if step == "datumaro" and args.skip_datumaro:
                    results[step] = Measured(step, skipped="skipped (--skip-datumaro)")
                    continue
                if step == "datumaro" and meta["annotations"] > args.datumaro_max_annotations:
                    results[step] = Measured(
                        step,
                        skipped=(
                            f"skipped (too slow: {meta['annotations']:,} annotations > "
                            f"--datumaro-max-annotations {args.datumaro_max_annotations:,})"
                        ),
                    )
                    continue
                _log(f"{name}: {step}")
                results[step] = measure(
                    step, src, work / name, args.repeat, keep=args.out is not None
                )
            print(table(results))
            print()
            print(headline(results))
            print()
    return 0


class _WorkDir:
    """``--out`` as given (kept), or a temporary directory removed afterwards."""

    def __init__(self, out: Path | None) -> None:
        self._given = out
        self._tmp: str | None = None

    def __enter__(self) -> Path:
        if self._given is not None:
            self._given.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            return Path(tempfile.mkdtemp(prefix=f"run-{stamp}-", dir=self._given))
        self._tmp = tempfile.mkdtemp(prefix="coco-bench-")
        return Path(self._tmp)

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# --check: validate the generator
# --------------------------------------------------------------------------------------------


def _iter_checks(path: Path, max_poly: int, max_crowd: int, index: bool) -> Iterator[str]:
    """Problems found in a generated file (nothing when it is sound)."""
    import numpy as np
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO

    data = orjson.loads(path.read_bytes())
    cats = data["categories"]
    ids = [c["id"] for c in cats]
    if len(cats) != 80 or ids != sorted(set(ids)) or ids[0] != 1 or ids[-1] != 90:
        yield f"categories: expected 80 sparse ids 1..90, got {len(cats)}: {ids[:3]}..{ids[-3:]}"
    if any(not c.get("supercategory") for c in cats):
        yield "categories: a supercategory is missing"
    images = {im["id"]: im for im in data["images"]}
    if len(images) != len(data["images"]):
        yield "images: duplicate ids"
    for im in data["images"][:50]:
        want = f"{im['id']:012d}.jpg"
        if im["file_name"] != want or not im["coco_url"].endswith(want):
            yield f"image {im['id']}: file_name {im['file_name']!r}"
        for key in ("license", "date_captured", "flickr_url", "width", "height"):
            if key not in im:
                yield f"image {im['id']}: no {key!r}"
    anns = data["annotations"]
    if len({a["id"] for a in anns}) != len(anns):
        yield "annotations: duplicate ids"
    missing = sum(1 for a in anns if a["image_id"] not in images)
    if missing:
        yield f"annotations: {missing} refer to unknown images"
    crowd = [a for a in anns if a["iscrowd"]]
    poly = [a for a in anns if not a["iscrowd"]]
    share = len(crowd) / max(1, len(anns))
    if not 0.003 <= share <= 0.03:
        yield f"crowd share {share:.3%} is not ~1%"

    for a in crowd[:max_crowd]:
        im = images[a["image_id"]]
        h, w = im["height"], im["width"]
        seg = a["segmentation"]
        if seg["size"] != [h, w]:
            yield f"ann {a['id']}: RLE size {seg['size']} != image {[h, w]}"
            continue
        if sum(seg["counts"]) != h * w or min(seg["counts"]) < 0:
            yield f"ann {a['id']}: RLE counts sum {sum(seg['counts'])} != {h * w}"
            continue
        rle = mask_utils.frPyObjects(seg, h, w)
        m = mask_utils.decode(rle)
        if m.shape != (h, w) or int(m.sum()) != a["area"]:
            yield f"ann {a['id']}: decoded {m.shape} area {int(m.sum())} != {a['area']}"
        box = [float(v) for v in mask_utils.toBbox(rle)]
        if box != [float(v) for v in a["bbox"]]:
            yield f"ann {a['id']}: RLE bbox {box} != {a['bbox']}"
        # Column-major, as COCO: the first run of ones starts in column bbox x.
        col = int(np.flatnonzero(m.any(axis=0))[0])
        if col != a["bbox"][0]:
            yield f"ann {a['id']}: first set column {col} != bbox x {a['bbox'][0]}"

    worst = 0.0
    for a in poly[:max_poly]:
        im = images[a["image_id"]]
        h, w = im["height"], im["width"]
        rings = a["segmentation"]
        if not 1 <= len(rings) <= 3:
            yield f"ann {a['id']}: {len(rings)} rings"
        xs: list[float] = []
        ys: list[float] = []
        for ring in rings:
            if len(ring) % 2 or not 6 <= len(ring) // 2 <= 60:
                yield f"ann {a['id']}: ring of {len(ring)} numbers"
            if any(round(v, 2) != v for v in ring):
                yield f"ann {a['id']}: coordinates not rounded to 2 decimals"
            xs += ring[0::2]
            ys += ring[1::2]
        if min(xs) < 0 or max(xs) > w or min(ys) < 0 or max(ys) > h:
            yield f"ann {a['id']}: vertex outside the {w}x{h} image"
        box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if any(abs(p - q) > 0.011 for p, q in zip(box, a["bbox"], strict=True)):
            yield f"ann {a['id']}: bbox {a['bbox']} != polygon extent {box}"
        raster = float(mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(rings, h, w))))
        if a["area"] > 400:  # rasterised vs exact area differ by about the perimeter
            worst = max(worst, abs(raster - a["area"]) / a["area"])
    if worst > 0.35:
        yield f"polygon area differs from pycocotools' raster area by up to {worst:.0%}"

    if not index:
        return
    coco = COCO()  # pycocotools builds its index without complaint
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    some = poly[0]
    if coco.annToMask(some).sum() == 0:
        yield f"ann {some['id']}: pycocotools rasterises it empty"


def run_check(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="coco-bench-check-") as tmp:
        a, b = Path(tmp) / "a.json", Path(tmp) / "b.json"
        meta = generate(CHECK_SCALE, a)
        generate(CHECK_SCALE, b)
        same = hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
        if not same:
            problems.append("generator is not deterministic: two runs differ")
        print(
            f"check data: {meta['images']} images, {meta['annotations']} annotations, "
            f"{meta['crowd']} crowd; deterministic: {'yes' if same else 'NO'}"
        )
        found = list(_iter_checks(a, max_poly=10**9, max_crowd=10**9, index=True))
        print(f"  {'ok' if not found else f'{len(found)} problem(s)'}")
        problems += found
    for name in SCALES:
        path = DATA_DIR / f"instances_{name}.json"
        if path.exists():
            found = list(_iter_checks(path, max_poly=500, max_crowd=20, index=False))
            print(f"cached {path.name}: {'ok' if not found else f'{len(found)} problem(s)'}")
            problems += found
    for p in problems[:50]:
        print(f"  - {p}")
    print(f"check {'passed' if not problems else 'FAILED'} in {time.perf_counter() - t0:.1f} s")
    return 0 if not problems else 1


# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark COCO -> Nucleus conversion: ours vs orjson floor, the official "
        "scale-nucleus client, and datumaro. Each step runs in its own process.",
    )
    ap.add_argument("--scales", default="val,train", help="comma-separated: val, train")
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; the best time is kept")
    ap.add_argument("--out", type=Path, help="work directory, kept (default: a temporary one)")
    ap.add_argument("--skip-datumaro", action="store_true", help="do not run the datumaro step")
    ap.add_argument(
        "--datumaro-max-annotations",
        type=int,
        default=100_000,
        metavar="N",
        help="skip datumaro on files with more annotations than this (default 100000)",
    )
    ap.add_argument("--regenerate", action="store_true", help="regenerate the cached data")
    ap.add_argument(
        "--check", action="store_true", help="validate the generator (needs pycocotools) and exit"
    )
    ap.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    ap.add_argument("--generate", choices=SCALES, help=argparse.SUPPRESS)
    ap.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.step and (args.file is None or args.out is None):
        ap.error("--step needs --file and --out")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        return child_main(args.step, args.file, args.out)
    if args.generate:
        scale = SCALES[args.generate]
        meta = generate(scale, data_path(scale))
        print(orjson.dumps(meta).decode())
        return 0
    if args.check:
        return run_check(args)
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
