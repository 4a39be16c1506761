"""The intermediate model every reader produces and every writer consumes.

Conventions (see DESIGN.md; converters translate into these, never around them):

* 2D geometry is in continuous pixel coordinates: the origin is the top-left corner of the
  top-left pixel, x grows to the right and y grows down. A box is ``(x, y, width, height)``.
* 3D geometry is right-handed, z up, in metres, in the point cloud's own frame. A cuboid is a
  centre ``(x, y, z)``, dimensions ``(length along heading, width, height)`` and a yaw about +z
  in radians.
* Keypoint visibility is three-valued, as in COCO: unlabelled, labelled but hidden, visible.
* Keypoint skeleton edges are 0-based indices into the keypoint list.
* Instance masks keep their COCO RLE (``{"size": [h, w], "counts": ...}``, column-major) as it
  came; pixels are decoded only by whoever needs them.
* An annotation with a score (or explicitly marked ``prediction``) is a prediction.

A :class:`Dataset` is a header, a one-shot iterator of :class:`Item` and a list of
:class:`Scene`; writers consume the items as they stream, so output memory does not grow with
the dataset.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from nucleus_convert.errors import DatasetConsumedError
from nucleus_convert.loss import LossReport

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "ANNOTATION_KINDS",
    "Annotation",
    "Box",
    "CameraParams",
    "Category",
    "Cuboid",
    "Dataset",
    "Frame",
    "Header",
    "ImageCategory",
    "ImageMedia",
    "InstanceMask",
    "Item",
    "ItemStream",
    "Keypoint",
    "Keypoints",
    "MaskRef",
    "MultiCategory",
    "PointCloudMedia",
    "Polygon",
    "Polyline",
    "Scene",
    "SceneCategory",
    "Segment",
    "Segmentation",
    "Skeleton",
    "Taxonomy",
    "Visibility",
    "count_records",
]


class Visibility(IntEnum):
    """Keypoint visibility, numbered as COCO's ``v`` flag."""

    UNLABELLED = 0
    HIDDEN = 1
    VISIBLE = 2


@dataclass(slots=True, kw_only=True)
class Annotation:
    """Fields every annotation kind carries.

    ``attributes`` are free key/value pairs (Nucleus ``metadata``, COCO extra keys, VOC
    ``difficult``...). ``extra`` holds format-specific fields that have no place in the model
    (for example a Nucleus ``embedding_vector``) so that the same format can write them back.
    """

    kind: ClassVar[str] = "annotation"

    label: str = ""
    id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    track_id: str | None = None
    group_id: str | None = None
    score: float | None = None
    class_pdf: dict[str, float] | None = None
    prediction: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.score is not None:
            self.prediction = True


@dataclass(slots=True, kw_only=True)
class Box(Annotation):
    """Axis-aligned box: top-left corner ``(x, y)`` and size, in continuous pixels."""

    kind: ClassVar[str] = "box"
    x: float
    y: float
    width: float
    height: float


@dataclass(slots=True, kw_only=True)
class Polygon(Annotation):
    """One closed ring of ``(x, y)`` vertices (not repeated at the end).

    A source object made of several rings becomes several polygons sharing ``group_id``.
    """

    kind: ClassVar[str] = "polygon"
    points: list[tuple[float, float]]


@dataclass(slots=True, kw_only=True)
class Polyline(Annotation):
    """An open chain of ``(x, y)`` vertices."""

    kind: ClassVar[str] = "polyline"
    points: list[tuple[float, float]]


@dataclass(slots=True)
class Keypoint:
    """One keypoint; ``x``/``y`` are ``None`` only when nobody placed it."""

    x: float | None
    y: float | None
    visibility: Visibility


@dataclass(slots=True, kw_only=True)
class Keypoints(Annotation):
    """A set of named keypoints, with an optional 0-based skeleton."""

    kind: ClassVar[str] = "keypoints"
    points: list[Keypoint]
    names: list[str]
    skeleton: list[tuple[int, int]] | None = None


@dataclass(slots=True, kw_only=True)
class InstanceMask(Annotation):
    """One instance's mask as COCO RLE, kept exactly as read (compressed or not)."""

    kind: ClassVar[str] = "instance_mask"
    rle: dict[str, Any]


@dataclass(slots=True)
class MaskRef:
    """Where an index mask's pixels are: a local PNG, a remote URL, or an array in memory.

    Pixels are loaded on demand (:meth:`load`), one item at a time.
    """

    path: str | None = None
    array: npt.NDArray[np.integer[Any]] | None = None

    def is_local(self) -> bool:
        """True when the pixels can be read here (an array or an existing local file)."""
        if self.array is not None:
            return True
        return self.path is not None and "://" not in self.path and Path(self.path).is_file()

    def load(self) -> npt.NDArray[np.integer[Any]]:
        """Return the ``(height, width)`` index array."""
        if self.array is not None:
            return self.array
        if self.path is None:
            raise ValueError("mask has neither pixels nor a path")
        from nucleus_convert.geometry.masks import read_index_png

        return read_index_png(Path(self.path))


@dataclass(slots=True)
class Segment:
    """Maps one value of an index mask to a label (a class or one instance)."""

    index: int
    label: str
    attributes: dict[str, Any] | None = None
    group_id: str | None = None
    """Ties the segment to other annotations of the same source object (for example the box
    of a COCO crowd annotation whose mask became this segment)."""


@dataclass(slots=True, kw_only=True)
class Segmentation(Annotation):
    """Semantic or instance segmentation of a whole image: an index mask plus its segments."""

    kind: ClassVar[str] = "segmentation"
    mask: MaskRef
    segments: list[Segment]


@dataclass(slots=True, kw_only=True)
class Cuboid(Annotation):
    """3D box: centre, dimensions (length, width, height) and yaw about +z (radians)."""

    kind: ClassVar[str] = "cuboid"
    position: tuple[float, float, float]
    dimensions: tuple[float, float, float]
    yaw: float


@dataclass(slots=True, kw_only=True)
class ImageCategory(Annotation):
    """A whole-item class label, optionally under a named taxonomy."""

    kind: ClassVar[str] = "category"
    taxonomy: str | None = None


@dataclass(slots=True, kw_only=True)
class MultiCategory(Annotation):
    """Several whole-item labels under one taxonomy (``label`` stays empty)."""

    kind: ClassVar[str] = "multicategory"
    labels: list[str]
    taxonomy: str | None = None


@dataclass(slots=True, kw_only=True)
class SceneCategory(Annotation):
    """A class label for a whole scene; lives on :class:`Scene`, not on items."""

    kind: ClassVar[str] = "scene_category"
    taxonomy: str | None = None


ANNOTATION_KINDS: dict[str, type[Annotation]] = {
    cls.kind: cls
    for cls in (
        Box,
        Polygon,
        Polyline,
        Keypoints,
        InstanceMask,
        Segmentation,
        Cuboid,
        ImageCategory,
        MultiCategory,
        SceneCategory,
    )
}


@dataclass(slots=True)
class ImageMedia:
    """An image by path or URL, with its size in pixels when known."""

    path: str
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class PointCloudMedia:
    """A point cloud by path or URL, or its points in memory.

    ``points`` is an ``(N, 4)`` float32 array of x, y, z, intensity (intensity in 0..1) in the
    cloud's own frame (right-handed, z up, metres).

    ``path`` may be a Nucleus point cloud JSON file or a ``.bin`` (KITTI velodyne), ``.pcd`` or
    ``.ply`` file (by suffix, any case), so any reader can hand a writer a path and leave the
    reading to :meth:`load`.
    """

    path: str | None = None
    points: npt.NDArray[np.float32] | None = None

    def load(self) -> npt.NDArray[np.float32]:
        """Return the ``(N, 4)`` points, reading the file when they are not in memory.

        A ``.bin``/``.pcd``/``.ply`` file is read with
        :func:`~nucleus_convert.geometry.pointcloud_files.read_points` (intensity scaled to
        0..1), anything else as Nucleus JSON. The points are not kept: each call reads again.
        """
        if self.points is not None:
            return self.points
        if self.path is None:
            raise ValueError("point cloud has neither points nor a path")
        from nucleus_convert.geometry.pointcloud_files import SUFFIXES, read_points

        if Path(self.path).suffix.lower() in SUFFIXES:
            return read_points(self.path).points
        from nucleus_convert.geometry.pointcloud import read_pointcloud_json

        return read_pointcloud_json(Path(self.path))


@dataclass(slots=True)
class CameraParams:
    """A pinhole camera's pose in the point cloud frame and its intrinsics (pixels).

    ``heading`` is a Hamilton quaternion ``(x, y, z, w)`` rotating camera axes into the point
    cloud frame; the camera looks along its own +z (Nucleus's documented convention).
    ``distortion`` holds any of k1, k2, k3, k4, p1, p2.
    """

    position: tuple[float, float, float]
    heading: tuple[float, float, float, float]
    fx: float
    fy: float
    cx: float
    cy: float
    camera_model: str | None = None
    distortion: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Item:
    """One image or point cloud and the annotations on it."""

    reference_id: str
    media: ImageMedia | PointCloudMedia | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    camera: CameraParams | None = None
    annotations: list[Annotation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Frame:
    """One time step of a scene: sensor name to item reference id."""

    sensors: dict[str, str]


@dataclass(slots=True)
class Scene:
    """Items grouped into frames (for example a LiDAR sequence with cameras)."""

    reference_id: str
    frames: list[Frame] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)


@dataclass(slots=True)
class Category:
    """A label the dataset declares, with the id and supercategory its source gave it."""

    name: str
    source_id: int | str | None = None
    supercategory: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Skeleton:
    """Keypoint names and 0-based skeleton edges declared for one label."""

    names: list[str]
    edges: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Taxonomy:
    """A Nucleus taxonomy: a named set of labels for category annotations."""

    name: str
    labels: list[str] = field(default_factory=list)
    type: str = "category"


@dataclass(slots=True)
class Header:
    """Everything about a dataset that is not per item."""

    categories: list[Category] = field(default_factory=list)
    skeletons: dict[str, Skeleton] = field(default_factory=dict)
    taxonomies: dict[str, Taxonomy] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class ItemStream(Iterator[Item]):
    """A one-shot stream of items that refuses to be read again once it has run out.

    Iterating it continues where the last reader stopped (a writer may take the first item and
    go on); starting a new pass (``iter()``) after the end raises
    :class:`~nucleus_convert.errors.DatasetConsumedError` instead of giving nothing.
    """

    __slots__ = ("_done", "_items", "started")

    def __init__(self, items: Iterable[Item]) -> None:
        self._items = iter(items)
        self._done = False
        self.started = False
        """True once a pass began (``iter()``, or a ``next()``)."""

    def __iter__(self) -> ItemStream:
        self.check_unread()
        self.started = True
        return self

    def check_unread(self) -> None:
        """Raise :class:`~nucleus_convert.errors.DatasetConsumedError` when a pass has already
        reached the end."""
        if self._done:
            raise DatasetConsumedError(
                "this dataset's items were already read to the end (a Dataset streams once): "
                "read the source again, or call .materialize() before the first pass to go "
                "over the items several times"
            )

    def __next__(self) -> Item:
        self.started = True
        try:
            return next(self._items)
        except StopIteration:
            self._done = True
            raise

    @property
    def consumed(self) -> bool:
        """True once a pass has reached the end."""
        return self._done


@dataclass(slots=True)
class Dataset:
    """A header, a stream of items (iterate once) and the scenes that group them.

    ``items`` is wrapped in an :class:`ItemStream`: a second pass over a stream that has run
    out raises :class:`~nucleus_convert.errors.DatasetConsumedError`.
    """

    header: Header
    items: Iterator[Item]
    scenes: list[Scene] = field(default_factory=list)
    losses: LossReport = field(default_factory=LossReport)
    """What the reader could not take (records skipped under ``on_error=skip``); writers'
    reports start from it."""
    partition: Callable[[int, int], Iterator[Item]] | None = None
    """``partition(k, n)``: the items of the ``k``-th of ``n`` contiguous slices of
    :attr:`items`, in order, so that the ``n`` slices one after another are exactly the
    stream; ``None`` when the reader cannot cut its stream. Meant to be called in a forked
    worker after the parse (see :mod:`nucleus_convert.execution.partitions`), never together
    with a pass over :attr:`items` in the same process."""
    length: int | None = None
    """How many items :attr:`items` gives, when the reader knows before streaming them (a
    progress bar's total); ``None`` when it does not."""

    def __post_init__(self) -> None:
        if not isinstance(self.items, ItemStream):
            self.items = ItemStream(self.items)

    @classmethod
    def of(
        cls,
        items: Iterable[Item],
        *,
        header: Header | None = None,
        scenes: Iterable[Scene] = (),
    ) -> Dataset:
        """Build a dataset from any iterable of items."""
        return cls(header=header or Header(), items=iter(items), scenes=list(scenes))

    def materialize(self) -> MaterializedDataset:
        """Consume the item stream into a list, for code that must look twice."""
        return MaterializedDataset(self.header, list(self.items), self.scenes, self.losses)


@dataclass(slots=True)
class MaterializedDataset:
    """A dataset whose items are in memory; :meth:`stream` gives a fresh :class:`Dataset`."""

    header: Header
    items: list[Item]
    scenes: list[Scene]
    losses: LossReport = field(default_factory=LossReport)

    @property
    def length(self) -> int:
        """How many items there are (as :attr:`Dataset.length`)."""
        return len(self.items)

    def stream(self) -> Dataset:
        """A streaming view over the same items and scenes (cut into partitions by list
        slices)."""
        return Dataset(
            self.header,
            iter(self.items),
            self.scenes,
            self.losses,
            partition=self._partition,
            length=len(self.items),
        )

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        return iter(self.items[slice(*partition_bounds(len(self.items), k, n))])


def partition_bounds(count: int, k: int, n: int) -> tuple[int, int]:
    """``(start, stop)`` of the ``k``-th of ``n`` contiguous slices of ``count`` things: sizes
    differ by at most one, the larger first."""
    if not 0 <= k < n:
        raise ValueError(f"partition {k} of {n}")
    size, extra = divmod(count, n)
    start = k * size + min(k, extra)
    return start, start + size + (k < extra)


def count_records(dataset: Dataset | MaterializedDataset) -> Counter[str]:
    """Count ``"items"``, ``"scenes"`` (always present) and annotations by kind, predictions
    apart as ``"<kind> predictions"``. A streaming dataset's items are consumed."""
    counts: Counter[str] = Counter()
    for item in dataset.items:
        counts["items"] += 1
        for ann in item.annotations:
            counts[ann.kind + (" predictions" if ann.prediction else "")] += 1
    counts["scenes"] = len(dataset.scenes)
    for scene in dataset.scenes:
        for ann in scene.annotations:
            counts[ann.kind + (" predictions" if ann.prediction else "")] += 1
    return counts
