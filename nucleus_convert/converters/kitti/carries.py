"""What the KITTI object layout keeps of each model record, declared once for the writer.

KITTI holds boxes and cuboids as label lines (type, truncation, occlusion, alpha, the 2D box,
the 3D box, a score), one segmentation per frame as PNGs, and per frame one scan, one image and
a calibration. Every other annotation kind is dropped whole; the fields below that a record
holds but KITTI has no column for are counted per ``(kind, field)`` by
:class:`~nucleus_convert.toolkit.losses.FieldLedger`. Fields the writer keeps in part are
*handled* by the writer itself, with finer rows:

* ``attributes``: ``truncated``, ``occluded``, ``alpha`` and ``dontcare`` have columns; any other
  key is ``attributes.<key>``, a value KITTI cannot hold is dropped under the same name;
* ``id``: a label line's id is ``<frame>:<line number>`` when read back; another id is
  approximated;
* item ``metadata``: ``metadata.<key>`` for every key but the calibration and the intensity
  scale, which KITTI gives back; item ``camera``: kept as the calibration, ``camera.distortion``
  dropped (KITTI calibrations are rectified pinholes), dropped on a scan item;
* header ``categories``: only the labels written are declared again, without source ids,
  supercategories or attributes.
"""

from __future__ import annotations

from nucleus_convert.toolkit.losses import Carries

__all__ = ["CARRIES", "HANDLED_ANNOTATION", "HANDLED_ITEM", "HANDLED_SEGMENTATION"]

_NO_TRACKS = "KITTI object labels have no tracks"
_ONE_SCORE = "KITTI has one score per object"
_NO_GROUPS = "KITTI object labels have no groups"
_NO_EXTRA = "KITTI label lines have no place for extra fields"

CARRIES = Carries.of(
    "kitti",
    {
        "box": {"label", "score", "x", "y", "width", "height"},
        "cuboid": {"label", "score", "position", "dimensions", "yaw"},
        "segmentation": {"mask"},
        "item": {"media"},
        "scene": {"reference_id", "frames"},
        "header": set(),
    },
    reasons={
        **{(kind, "track_id"): _NO_TRACKS for kind in ("box", "cuboid", "segmentation")},
        **{(kind, "class_pdf"): _ONE_SCORE for kind in ("box", "cuboid", "segmentation")},
        **{(kind, "group_id"): _NO_GROUPS for kind in ("box", "cuboid", "segmentation")},
        **{(kind, "extra"): _NO_EXTRA for kind in ("box", "cuboid", "segmentation")},
        ("segmentation", "label"): "a KITTI segmentation PNG has no label of its own",
        ("segmentation", "attributes"): "a KITTI segmentation PNG has no attributes",
        ("item", "extra"): "KITTI has no item extras",
        ("scene", "metadata"): "KITTI has no scene metadata",
        ("header", "skeletons"): "KITTI has no keypoint skeletons",
        ("header", "taxonomies"): "KITTI has no taxonomies",
        ("header", "extra"): "KITTI has no dataset-level fields",
    },
    no_kind_reason="KITTI labels are boxes and cuboids (and one segmentation PNG per frame)",
)

HANDLED_ANNOTATION = frozenset({"id", "attributes"})
"""Box and cuboid fields the label writer counts itself (finer rows)."""
HANDLED_SEGMENTATION = frozenset({"id", "segments", "score"})
"""Segmentation fields the PNG writer counts itself."""
HANDLED_ITEM = frozenset({"reference_id", "metadata", "camera", "annotations"})
"""Item fields the frame writer counts itself."""
