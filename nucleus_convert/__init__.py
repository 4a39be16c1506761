"""nucleus-convert: labelled datasets to and from Scale Nucleus payloads.

>>> import nucleus_convert as nc
>>> result = nc.convert("instances_val2017.json", "out/", to="nucleus")  # doctest: +SKIP
>>> dataset = nc.read("out/")                                             # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nucleus_convert._version import __version__
from nucleus_convert.api import WriteResult, convert, get_format, read, write
from nucleus_convert.errors import (
    DestinationError,
    FormatError,
    InputError,
    NucleusConvertError,
    OutputError,
    PluginError,
)
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    ANNOTATION_KINDS,
    Annotation,
    Box,
    CameraParams,
    Category,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoint,
    Keypoints,
    MaskRef,
    MultiCategory,
    PointCloudMedia,
    Polygon,
    Polyline,
    Scene,
    SceneCategory,
    Segment,
    Segmentation,
    Skeleton,
    Taxonomy,
    Visibility,
    partition_bounds,
)
from nucleus_convert.options import choice, flag
from nucleus_convert.registry import Format, Option, PartitionedWrite, Registrar, WriteSummary
from nucleus_convert.transforms import LabelMap, load_label_map, relabel
from nucleus_convert.transforms.merge import merge
from nucleus_convert.transforms.split import SplitResult, split

if TYPE_CHECKING:
    from nucleus_convert.drawing import PreviewResult, preview

_LAZY = {"preview", "PreviewResult"}
"""Loaded on first use: drawing needs numpy and Pillow, which ``import nucleus_convert``
(and a plugin importing the toolkit) should not pay for."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from nucleus_convert import drawing

        return getattr(drawing, name)
    raise AttributeError(f"module 'nucleus_convert' has no attribute {name!r}")


__all__ = [
    "ANNOTATION_KINDS",
    "Annotation",
    "Box",
    "CameraParams",
    "Category",
    "Cuboid",
    "Dataset",
    "DestinationError",
    "Format",
    "FormatError",
    "Frame",
    "Header",
    "ImageCategory",
    "ImageMedia",
    "InputError",
    "InstanceMask",
    "Item",
    "Keypoint",
    "Keypoints",
    "LabelMap",
    "LossReport",
    "MaskRef",
    "MultiCategory",
    "NucleusConvertError",
    "Option",
    "OutputError",
    "PartitionedWrite",
    "PluginError",
    "PointCloudMedia",
    "Polygon",
    "Polyline",
    "PreviewResult",
    "Registrar",
    "Scene",
    "SceneCategory",
    "Segment",
    "Segmentation",
    "Skeleton",
    "SplitResult",
    "Taxonomy",
    "Visibility",
    "WriteResult",
    "WriteSummary",
    "__version__",
    "choice",
    "convert",
    "flag",
    "get_format",
    "hookimpl",
    "load_label_map",
    "merge",
    "partition_bounds",
    "preview",
    "read",
    "relabel",
    "split",
    "write",
]
