"""Readers hold their index and one item, not the dataset (issue 16, part 5).

Each reader streams a generated dataset of ``N`` and ``4N`` items under tracemalloc. What the
peak gains from the extra items is compared with what keeping those items costs (the same
read, with every item held in a list): a reader that holds the index (a file list) and the
current item gains a small fraction of it; one that built every item up front would gain all
of it (the Nucleus bundle's index, past its budget of decoded annotations, is where each
annotation line is). A reader of one index
file (COCO) holds no more than the parse of that file. The YOLO plugin has its own test.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.kitti_raw.schema import LIDAR_SENSOR, lidar_ref
from nucleus_convert.converters.nucleus import annotation_index
from nucleus_convert.model import (
    Cuboid,
    Frame,
    Header,
    Item,
    MaterializedDataset,
    PointCloudMedia,
    Scene,
)

Tree = Callable[[Path, int], Path]


def _coco(root: Path, n: int) -> Path:
    """A COCO file of ``n`` images, each with a box and a 12-vertex polygon."""
    images, annotations = [], []
    for i in range(1, n + 1):
        images.append({"id": i, "file_name": f"im{i:06d}.jpg", "width": 640, "height": 480})
        ring = [float(v % 400) + 0.25 for v in range(i, i + 24)]
        annotations.append(
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [1.5, 2.5, 30.0, 40.0],
                "segmentation": [ring],
                "area": 1200.0,
                "iscrowd": 0,
            }
        )
    data = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "a"}]}
    path = root / "instances.json"
    path.write_bytes(orjson.dumps(data))
    return path


def _voc(root: Path, n: int) -> Path:
    """A VOC tree of ``n`` annotation files, copies of the fixture's."""
    xmls = sorted((FIXTURES / "voc" / "VOC2012" / "Annotations").glob("*.xml"))
    folder = root / "VOC2012" / "Annotations"
    folder.mkdir(parents=True)
    for i in range(n):
        source = xmls[i % len(xmls)]
        text = source.read_text().replace(source.stem, f"im{i:06d}")
        (folder / f"im{i:06d}.xml").write_text(text)
    return root / "VOC2012"


def _kitti(root: Path, n: int) -> Path:
    """A KITTI split of ``n`` frames (labels and calibrations copied from the fixture)."""
    source = FIXTURES / "kitti" / "object" / "training"
    for sub in ("label_2", "calib"):
        (root / "training" / sub).mkdir(parents=True)
        files = sorted((source / sub).glob("*.txt"))
        for i in range(n):
            text = files[i % len(files)].read_text()
            (root / "training" / sub / f"{i:06d}.txt").write_text(text)
    return root


def _pointcloud(root: Path, n: int) -> Path:
    """A folder of ``n`` scans of 500 points each."""
    rng = np.random.default_rng(0)
    for i in range(n):
        rng.random((500, 4), dtype=np.float32).tofile(root / f"{i:06d}.bin")
    return root


def _nucleus(root: Path, n: int) -> Path:
    """A Nucleus bundle of ``n`` items (the COCO file of :func:`_coco`, converted)."""
    return nc.convert(_coco(root, n), root / "bundle", from_="coco", to="nucleus").path


def _kitti_raw(root: Path, n: int) -> Path:
    """A date folder with one drive of ``n`` frames (8-point scans) and one car tracked
    through all of them, written by the ``kitti_raw`` writer."""
    scene = "2011_09_26_drive_0001_sync"
    items, frames = [], []
    for f in range(n):
        ref = lidar_ref(scene, f)
        cuboid = Cuboid(
            label="Car",
            id=f"car-{f}",
            track_id="car",
            position=(0.1 * f, 0.0, 0.8),
            dimensions=(4.0, 1.8, 1.5),
            yaw=0.1,
        )
        points = np.zeros((8, 4), dtype=np.float32)
        items.append(
            Item(reference_id=ref, media=PointCloudMedia(points=points), annotations=[cuboid])
        )
        frames.append(Frame({LIDAR_SENSOR: ref}))
    dataset = MaterializedDataset(Header(), items, [Scene(reference_id=scene, frames=frames)])
    return nc.write(dataset.stream(), root / "2011_09_26", "kitti_raw").path


def _measure_from_here() -> None:
    """Collect what earlier tests left before a measurement starts: finalizers of their
    garbage (temporary folders removed, files closed) would otherwise run, and allocate,
    inside the window whenever the collector happens to run there."""
    gc.collect()
    tracemalloc.start()


def _peak(path: Path, fmt: str, hold: bool, repeat: int = 2) -> int:
    """The smallest peak of ``repeat`` reads: the reader's own peak is the same every time,
    while the interpreter now and then allocates a few MB of its own inside one window (seen
    as one read of three peaking 3.8 MB above the other two, after other test modules ran)."""
    return min(_one_peak(path, fmt, hold) for _ in range(repeat))


def _one_peak(path: Path, fmt: str, hold: bool) -> int:
    _measure_from_here()
    try:
        held = []
        for item in nc.read(path, fmt).items:
            if hold:
                held.append(item)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("fmt", "tree", "n"),
    [
        ("voc", _voc, 200),
        ("kitti", _kitti, 100),
        ("pointcloud", _pointcloud, 100),
        ("nucleus", _nucleus, 300),
        ("kitti_raw", _kitti_raw, 100),
    ],
)
def test_a_folder_reader_holds_its_file_list_and_one_item_not_the_dataset(
    fmt: str, tree: Tree, n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundle reader keeps up to DECODED_BUDGET annotations decoded (200,000 by default);
    # at 0 the test sees its bound past the budget.
    monkeypatch.setattr(annotation_index, "DECODED_BUDGET", 0)
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small, large = tree(tmp_path / "small", n), tree(tmp_path / "large", 4 * n)
    nc.get_format(fmt)  # plugin loading outside the measure
    _peak(small, fmt, hold=False)  # and the reader's first-use imports and caches
    streamed = _peak(large, fmt, hold=False) - _peak(small, fmt, hold=False)
    held = _peak(large, fmt, hold=True) - _peak(small, fmt, hold=True)
    assert held > 0
    assert streamed < 0.5 * held, (streamed, held)


def test_the_coco_reader_holds_no_more_than_the_parse_of_its_file(tmp_path: Path) -> None:
    """The bound of an index-file reader: its peak while streaming stays within what
    ``orjson.loads`` of the same file takes (the typed records are smaller than the dicts,
    and each image's annotations become model objects only as it streams out)."""
    path = _coco(tmp_path, 2000)
    nc.get_format("coco")
    _measure_from_here()
    try:
        orjson.loads(path.read_bytes())
        parse = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    streamed, held = _peak(path, "coco", hold=False), _peak(path, "coco", hold=True)
    assert streamed <= parse, (streamed, parse)
    assert held > streamed  # the measure sees the model objects when they are kept


@pytest.mark.parametrize(
    ("fmt", "source"),
    [
        ("coco", "coco/instances_demo.json"),
        ("voc", "voc/VOC2012"),
        ("kitti", "kitti/object"),
        ("nucleus", "nucleus"),
        ("kitti_raw", "kitti_raw/2011_09_26"),
        ("labelme", "labelme"),
        ("cvat", "cvat/images_task.xml"),
        ("cvat", "cvat/video_task.xml"),
    ],
)
def test_what_a_reader_built_goes_when_the_conversion_returns(
    fmt: str, source: str, tmp_path: Path
) -> None:
    """No reference cycle keeps a reader's parse alive after ``convert``: it is freed by
    reference counting, not left for the cyclic collector (a pass over millions of objects at
    train2017 scale, paid by the caller at some later allocation)."""
    # A first run fills one-time caches (inspect.signature builds a few cyclic helpers).
    nc.convert(FIXTURES / source, tmp_path / "warm.json", from_=fmt, to="coco")
    gc.collect()
    gc.disable()
    try:
        nc.convert(FIXTURES / source, tmp_path / "out.json", from_=fmt, to="coco")
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_single_payload_file_holds_its_parse_not_its_model_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON Lines file of items and annotations, past the budget of decoded annotations
    (set to 0): the reader's peak stays near the parse of the file's records (every record is
    decoded once to check it, and kept as parsed)."""
    monkeypatch.setattr(annotation_index, "DECODED_BUDGET", 0)
    bundle = _nucleus(tmp_path, 2000)
    single = tmp_path / "payloads.jsonl"
    single.write_bytes(
        (bundle / "items.jsonl").read_bytes() + (bundle / "annotations.jsonl").read_bytes()
    )
    _measure_from_here()
    try:
        records = [orjson.loads(line) for line in single.read_bytes().splitlines()]
        parse = tracemalloc.get_traced_memory()[1]
        del records
    finally:
        tracemalloc.stop()
    _peak(single, "nucleus", hold=False, repeat=1)  # first-use imports and caches
    assert _peak(single, "nucleus", hold=False, repeat=3) <= 1.15 * parse
