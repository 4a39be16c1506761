"""The readers under test and their seed trees.

A :class:`ReaderSpec` names a reader (format and options), builds its seed tree in a folder
(copies of the repository's fixtures, or samples from :mod:`fuzz.samples`) and says which files
of the tree are mutated (glob patterns, each pattern equally likely).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fuzz import samples

__all__ = ["CORPUS", "READERS", "REPO", "ReaderSpec", "corpus_readers", "reader_named"]

REPO = Path(__file__).resolve().parent.parent
_FIX = REPO / "fixtures"
_YOLO = REPO / "plugins" / "nucleus-convert-yolo" / "tests" / "data"


@dataclass(frozen=True)
class ReaderSpec:
    """One reader under test: ``build(folder)`` writes the seed tree into ``folder``; the
    reader reads ``folder / entry``. ``{root}`` in an option value is the tree's folder.
    ``preload``: native modules its fork server imports up front (open3d for .pcd/.ply)."""

    name: str
    fmt: str
    entry: str
    build: Callable[[Path], None]
    targets: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    preload: tuple[str, ...] = ()

    def options_for(self, root: Path) -> dict[str, str]:
        """The reader options with ``{root}`` filled in."""
        return {k: v.replace("{root}", str(root)) for k, v in self.options.items()}


def _copy(src: Path, name: str | None = None) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        target = folder / (name or src.name)
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)

    return build


def _both(*builders: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        for b in builders:
            b(folder)

    return build


def _sample(write: Callable[..., Path], **kwargs: bool) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        write(folder, **kwargs)

    return build


def _single(folder: Path) -> None:
    samples.write_single_jsonl(folder, _FIX / "nucleus")


_OPEN3D = ("open3d",)

READERS: tuple[ReaderSpec, ...] = (
    ReaderSpec(
        "coco_instances",
        "coco",
        "instances_demo.json",
        _copy(_FIX / "coco" / "instances_demo.json"),
        ("instances_demo.json",),
    ),
    ReaderSpec(
        "coco_keypoints",
        "coco",
        "person_keypoints.json",
        _sample(samples.write_keypoints),
        ("person_keypoints.json",),
    ),
    ReaderSpec(
        "coco_results",
        "coco",
        "results_demo.json",
        _both(
            _copy(_FIX / "coco" / "results_demo.json"), _copy(_FIX / "coco" / "instances_demo.json")
        ),
        ("results_demo.json", "results_demo.json", "instances_demo.json"),
        {"images": "{root}/instances_demo.json"},
    ),
    ReaderSpec(
        "coco_panoptic",
        "coco",
        "panoptic.json",
        _sample(samples.write_panoptic),
        ("panoptic.json", "panoptic.json", "panoptic/*.png"),
    ),
    ReaderSpec(
        "voc",
        "voc",
        "VOC2012",
        _copy(_FIX / "voc" / "VOC2012"),
        (
            "VOC2012/Annotations/*.xml",
            "VOC2012/Annotations/*.xml",
            "VOC2012/Segmentation*/*.png",
            "VOC2012/ImageSets/*/*.txt",
            "VOC2012/JPEGImages/*.jpg",
        ),
    ),
    ReaderSpec(
        "kitti",
        "kitti",
        "object",
        _copy(_FIX / "kitti" / "object"),
        (
            "object/training/label_2/*.txt",
            "object/training/label_2/*.txt",
            "object/training/calib/*.txt",
            "object/*/velodyne/*.bin",
            "object/training/image_2/*.png",
            "object/training/instance/*.png",
        ),
    ),
    ReaderSpec(
        "kitti_raw",
        "kitti_raw",
        "2011_09_26",
        _copy(_FIX / "kitti_raw" / "2011_09_26"),
        (
            "2011_09_26/*/tracklet_labels.xml",
            "2011_09_26/*/tracklet_labels.xml",
            "2011_09_26/calib_*.txt",
            "2011_09_26/*/velodyne_points/data/*.bin",
            "2011_09_26/*/image_02/data/*.png",
        ),
    ),
    ReaderSpec(
        "nucleus_bundle",
        "nucleus",
        "nucleus",
        _copy(_FIX / "nucleus"),
        (
            "nucleus/manifest.json",
            "nucleus/*.jsonl",
            "nucleus/*.jsonl",
            "nucleus/masks/*.png",
            "nucleus/pointclouds/*.json",
        ),
    ),
    ReaderSpec("nucleus_jsonl", "nucleus", "payloads.jsonl", _single, ("payloads.jsonl",)),
    ReaderSpec(
        "pointcloud_bin", "pointcloud", "scan.bin", _sample(samples.write_bin), ("scan.bin",)
    ),
    ReaderSpec(
        "pointcloud_pcd",
        "pointcloud",
        "cloud.pcd",
        _sample(samples.write_pcd, binary=False),
        ("cloud.pcd",),
    ),
    ReaderSpec(
        "pointcloud_pcd_binary",
        "pointcloud",
        "cloud_bin.pcd",
        _sample(samples.write_pcd, binary=True),
        ("cloud_bin.pcd",),
    ),
    ReaderSpec(
        "pointcloud_ply",
        "pointcloud",
        "cloud.ply",
        _sample(samples.write_ply, binary=False),
        ("cloud.ply",),
    ),
    ReaderSpec(
        "pointcloud_ply_binary",
        "pointcloud",
        "cloud_bin.ply",
        _sample(samples.write_ply, binary=True),
        ("cloud_bin.ply",),
    ),
    ReaderSpec(
        "yolo_detect",
        "yolo",
        "detect",
        _copy(_YOLO / "detect"),
        ("detect/data.yaml", "detect/labels/*/*.txt", "detect/labels/*/*.txt", "detect/images/*/*"),
    ),
    ReaderSpec(
        "yolo_segment",
        "yolo",
        "segment",
        _copy(_YOLO / "segment"),
        ("segment/data.yaml", "segment/labels/*/*.txt", "segment/labels/*/*.txt"),
    ),
    ReaderSpec(
        "yolo_obb",
        "yolo",
        "obb",
        _copy(_YOLO / "obb"),
        ("obb/data.yaml", "obb/labels/*/*.txt", "obb/labels/*/*.txt"),
    ),
    ReaderSpec(
        "yolo_pose",
        "yolo",
        "pose",
        _copy(_YOLO / "pose"),
        ("pose/data.yaml", "pose/labels/*/*.txt", "pose/labels/*/*.txt"),
    ),
    ReaderSpec(
        "labelme",
        "labelme",
        "labelme",
        _copy(_FIX / "labelme"),
        ("labelme/*.json", "labelme/*.json", "labelme/*/*.json", "labelme/*.png"),
    ),
    ReaderSpec(
        "cvat_images",
        "cvat",
        "images_task.xml",
        _both(_copy(_FIX / "cvat" / "images_task.xml"), _copy(_FIX / "cvat" / "images")),
        ("images_task.xml",),
    ),
    ReaderSpec(
        "cvat_video",
        "cvat",
        "video_task.xml",
        _copy(_FIX / "cvat" / "video_task.xml"),
        ("video_task.xml",),
    ),
    ReaderSpec(
        "labelstudio",
        "labelstudio",
        "tasks.json",
        _copy(_FIX / "labelstudio" / "tasks.json"),
        ("tasks.json",),
    ),
    ReaderSpec(
        "labelstudio_min",
        "labelstudio",
        "tasks_min.json",
        _copy(_FIX / "labelstudio" / "tasks_min.json"),
        ("tasks_min.json",),
    ),
    ReaderSpec(
        "nuscenes",
        "nuscenes",
        "v1.0-mini-like",
        _copy(_FIX / "nuscenes" / "v1.0-mini-like"),
        (
            "v1.0-mini-like/v1.0-mini/*.json",
            "v1.0-mini-like/v1.0-mini/sample*.json",
            "v1.0-mini-like/v1.0-mini/*.json",
            "v1.0-mini-like/samples/LIDAR_TOP/*.bin",
        ),
    ),
    ReaderSpec(
        "yolo_darknet",
        "yolo",
        "darknet",
        _copy(_YOLO / "darknet"),
        (
            "darknet/obj.data",
            "darknet/obj.names",
            "darknet/train.txt",
            "darknet/obj_train_data/*.txt",
        ),
    ),
)


def reader_named(name: str) -> ReaderSpec:
    """The spec called ``name`` (built-in seeds or corpus seeds)."""
    for spec in (*READERS, *corpus_readers()):
        if spec.name == name:
            return spec
    raise KeyError(name)


CORPUS = REPO.parent / "shared" / "corpus"
"""Real files kept outside the project; read (never copied into it) when present."""

_DATUMARO = CORPUS / "datumaro"


def corpus_readers() -> tuple[ReaderSpec, ...]:
    """Extra seeds from the shared corpus for the long run: COCO captions and stuff, a VOC
    tree with parts and actions, KITTI raw with .pcd clouds, real KITTI frames. Empty when the
    corpus is absent; the short run of CI never uses them (it stays self-contained)."""
    specs = (
        ReaderSpec(
            "corpus_coco_captions",
            "coco",
            "captions_val.json",
            _copy(_DATUMARO / "coco_dataset/coco_captions/annotations/captions_val.json"),
            ("captions_val.json",),
        ),
        ReaderSpec(
            "corpus_coco_stuff",
            "coco",
            "stuff_val.json",
            _copy(_DATUMARO / "coco_dataset/coco/annotations/stuff_val.json"),
            ("stuff_val.json",),
        ),
        ReaderSpec(
            "corpus_voc",
            "voc",
            "voc_dataset1",
            _copy(_DATUMARO / "voc_dataset/voc_dataset1"),
            (
                "voc_dataset1/Annotations/*.xml",
                "voc_dataset1/Segmentation*/*.png",
                "voc_dataset1/ImageSets/*/*.txt",
            ),
        ),
        ReaderSpec(
            "corpus_kitti_raw_pcd",
            "kitti_raw",
            "kitti_raw",
            _copy(_DATUMARO / "kitti_dataset/kitti_raw"),
            ("kitti_raw/tracklet_labels.xml", "kitti_raw/velodyne_points/data/*.pcd"),
            preload=_OPEN3D,
        ),
        ReaderSpec(
            "corpus_kitti",
            "kitti",
            "object",
            _copy(CORPUS / "kitti/object"),
            ("object/training/label_2/*.txt", "object/training/calib/*.txt"),
        ),
    )
    return specs if CORPUS.is_dir() else ()
