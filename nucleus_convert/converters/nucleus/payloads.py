"""Nucleus payloads to model objects and back, one record at a time.

The payload shapes are exactly what the official ``scale-nucleus`` client's ``to_payload()``
produces, so that each line we write comes back unchanged through its ``from_json``. Notes on
where the client shapes things:

* ``box`` and ``keypoints`` get an ``annotation_id`` invented by the client when none is given;
  we write the same id the client would invent (``label-x-y-width-height-reference_id`` and
  ``label-reference_id-keypoints``) instead of leaving it to chance.
* ``cuboid`` omits empty optional keys; ``category`` has no ``annotation_id``; ``line`` has no
  ``embedding_vector``; ``mask`` (segmentation) has no metadata, track or confidence.
* Scene categories share the ``category`` type with item categories: the bundle keeps them in
  their own files so that ``SceneCategoryAnnotation.from_json`` reads them.
* Predictions never carry ``task_id`` (the client drops it when reading).
* ``DatasetItem.from_json`` ignores ``width``/``height`` although the DatasetItem docs list them
  (they are required in privacy mode); we follow the docs and write them.
* For scene items, the client reads camera parameters from ``metadata.camera_params`` and writes
  them at the top level too, so both are written, with the same (normalised) content.

Conventions: the box is (x, y) top-left, width, height in pixels; cuboid ``dimensions`` are x =
length, y = width, z = height; ``yaw`` is about +z in radians; keypoint ``visible: false`` with
coordinates is "labelled, hidden", without coordinates "unlabelled".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import orjson

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    CameraParams,
    Cuboid,
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
    SceneCategory,
    Segment,
    Segmentation,
    Visibility,
)

__all__ = [
    "ANNOTATION_TYPES",
    "Decoder",
    "Encoder",
    "Where",
    "camera_from_payload",
    "camera_to_payload",
]

ANNOTATION_TYPES = (
    "box",
    "polygon",
    "line",
    "keypoints",
    "cuboid",
    "category",
    "multicategory",
    "mask",
    "segmentation",
)
DISTORTION_KEYS = ("k1", "k2", "k3", "k4", "p1", "p2")
CAMERA_MODELS = ("brown_conrady", "fisheye")

_ANNOTATION_KEYS = frozenset(
    {
        "label",
        "labels",
        "type",
        "geometry",
        "reference_id",
        "annotation_id",
        "metadata",
        "embedding_vector",
        "track_reference_id",
        "task_id",
        "taxonomy_name",
        "confidence",
        "class_pdf",
        "mask_url",
        "annotations",
    }
)
# Output-only keys the API adds on export; they identify server objects, not annotation content.
_SERVER_KEYS = frozenset({"dataset_item_id", "item_id", "dataset_id", "id", "ref_id"})


# --------------------------------------------------------------------------- decoding helpers


def _require(d: dict[str, Any], key: str, path: str) -> Any:
    if key not in d or d[key] is None:
        raise InputError("missing required key", field=path)
    return d[key]


def _num(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"expected a number, got {value!r}", field=path)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"expected a finite number, got {value!r}", field=path)
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {value!r}", field=path)
    return value


def _opt_str(value: Any, path: str) -> str | None:
    return None if value is None else _str(value, path)


def _dict(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"expected an object, got {value!r}", field=path)
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {value!r}", field=path)
    return value


def _points(geometry: dict[str, Any], minimum: int, what: str) -> list[tuple[float, float]]:
    vertices = _list(_require(geometry, "vertices", "geometry.vertices"), "geometry.vertices")
    pts = []
    for i, v in enumerate(vertices):
        p = f"geometry.vertices[{i}]"
        v = _dict(v, p)
        pts.append(
            (_num(_require(v, "x", f"{p}.x"), f"{p}.x"), _num(_require(v, "y", f"{p}.y"), f"{p}.y"))
        )
    if len(pts) < minimum:
        raise InputError(
            f"a {what} needs at least {minimum} vertices, got {len(pts)}", field="geometry.vertices"
        )
    return pts


def _point3(d: Any, path: str) -> tuple[float, float, float]:
    d = _dict(d, path)
    return (
        _num(_require(d, "x", f"{path}.x"), f"{path}.x"),
        _num(_require(d, "y", f"{path}.y"), f"{path}.y"),
        _num(_require(d, "z", f"{path}.z"), f"{path}.z"),
    )


def camera_from_payload(payload: Any, path: str = "camera_params") -> CameraParams:
    """Decode Nucleus ``camera_params``; every required key must be there."""
    cp = _dict(payload, path)
    heading = _dict(_require(cp, "heading", f"{path}.heading"), f"{path}.heading")
    model = _opt_str(cp.get("camera_model"), f"{path}.camera_model")
    if model is not None and model not in CAMERA_MODELS:
        raise InputError(
            f"unknown camera model {model!r} (Nucleus knows {', '.join(CAMERA_MODELS)})",
            field=f"{path}.camera_model",
        )
    distortion = {k: _num(cp[k], f"{path}.{k}") for k in DISTORTION_KEYS if cp.get(k) is not None}
    return CameraParams(
        position=_point3(_require(cp, "position", f"{path}.position"), f"{path}.position"),
        heading=(
            _num(_require(heading, "x", f"{path}.heading.x"), f"{path}.heading.x"),
            _num(_require(heading, "y", f"{path}.heading.y"), f"{path}.heading.y"),
            _num(_require(heading, "z", f"{path}.heading.z"), f"{path}.heading.z"),
            _num(_require(heading, "w", f"{path}.heading.w"), f"{path}.heading.w"),
        ),
        fx=_num(_require(cp, "fx", f"{path}.fx"), f"{path}.fx"),
        fy=_num(_require(cp, "fy", f"{path}.fy"), f"{path}.fy"),
        cx=_num(_require(cp, "cx", f"{path}.cx"), f"{path}.cx"),
        cy=_num(_require(cp, "cy", f"{path}.cy"), f"{path}.cy"),
        camera_model=model,
        distortion=distortion,
    )


# --------------------------------------------------------------------------- encoding helpers


def _out(value: Any, where: str) -> int | float:
    """A finite plain-Python number (numpy scalars converted), or :class:`OutputError`."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OutputError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise OutputError(f"{where}: {value} cannot be written (Nucleus payloads are JSON)")
    return value


_PLAIN_NUMBERS = frozenset({int, float})

_ARRAY_OF_NUMBERS = b"0123456789.eE+-,[]"
"""Every byte ``orjson.dumps`` may write for a list of finite int/float pairs. Anything else
(``null`` for NaN or infinity, ``true``/``false``, quotes, braces) means a vertex is not a
plain finite number."""


def _vertices(points: Sequence[Sequence[float]], where: object) -> Any:
    """The JSON of ``[{"x", "y"}, ...]`` for a vertex list; every coordinate must be a finite
    number.

    This is the hot part of writing polygons, so the common case (plain pairs of finite ints
    and floats) never builds a dict per vertex: orjson writes the pairs as ``[[x,y],...]`` in
    one call, the bytes are checked to be numbers only, and two byte replacements turn them
    into the same text ``orjson.dumps([{"x": x, "y": y}, ...])`` gives (the numbers are
    formatted once, by orjson, either way). The result is an :class:`orjson.Fragment` that
    the bundle writer embeds as it is. Anything else goes vertex by vertex through
    :func:`_out`, for a precise error or a numpy conversion.
    """
    if len(points) == 0:
        return []
    try:
        pairs = set(map(len, points)) == {2}
        raw = orjson.dumps(points) if pairs else b""
    except TypeError:
        raw = b""
    if raw and not raw.translate(None, _ARRAY_OF_NUMBERS):
        # raw is [[x0,y0],[x1,y1],...]: each "," becomes ',"y":', which turns the "],[" between
        # two pairs into '],"y":[', the one place that spelling occurs.
        body = raw[2:-2].replace(b",", b',"y":').replace(b'],"y":[', b'},{"x":')
        return orjson.Fragment(b'[{"x":' + body + b"}]")
    try:
        return [
            {"x": _out(px, f"{where}: vertex x"), "y": _out(py, f"{where}: vertex y")}
            for px, py in points
        ]
    except (TypeError, ValueError):
        raise OutputError(f"{where}: vertices must be (x, y) pairs") from None


def camera_to_payload(cam: CameraParams, where: str = "camera") -> dict[str, Any]:
    """Encode camera parameters as the client does (zero distortion terms are omitted)."""
    payload: dict[str, Any] = {
        "position": {
            k: _out(v, f"{where}.position") for k, v in zip("xyz", cam.position, strict=True)
        },
        "heading": {
            k: _out(v, f"{where}.heading") for k, v in zip("xyzw", cam.heading, strict=True)
        },
        "fx": _out(cam.fx, f"{where}.fx"),
        "fy": _out(cam.fy, f"{where}.fy"),
        "cx": _out(cam.cx, f"{where}.cx"),
        "cy": _out(cam.cy, f"{where}.cy"),
    }
    for key in DISTORTION_KEYS:
        value = cam.distortion.get(key)
        if value:
            payload[key] = _out(value, f"{where}.{key}")
    unknown = set(cam.distortion) - set(DISTORTION_KEYS)
    if unknown:
        raise OutputError(f"{where}: unknown distortion terms {sorted(unknown)}")
    if cam.camera_model:
        if cam.camera_model not in CAMERA_MODELS:
            raise OutputError(f"{where}: Nucleus knows no camera model {cam.camera_model!r}")
        payload["camera_model"] = cam.camera_model
    return payload


# --------------------------------------------------------------------------- decoder


class Decoder:
    """Turns payload dicts into model objects; errors carry the field, callers add file/line.

    ``resolve_url`` maps a ``mask_url``/``url`` as written in the payload to a local path where
    one exists (relative bundle paths), and leaves remote URLs as they are.
    """

    def __init__(
        self,
        *,
        resolve_url: Callable[[str], str] = lambda u: u,
        group_key: str = "group_id",
    ) -> None:
        self.resolve_url = resolve_url
        self.group_key = group_key

    # -- annotations

    def annotation(
        self, payload: Any, *, prediction: bool, scene: bool = False
    ) -> tuple[str, Annotation]:
        """Decode one annotation or prediction payload to ``(reference_id, annotation)``."""
        if not isinstance(payload, dict):
            raise InputError(f"expected an object, got {type(payload).__name__}")
        try:
            return self._annotation(payload, prediction=prediction, scene=scene)
        except InputError as exc:
            ann_id = payload.get("annotation_id")
            if ann_id is not None and exc.record is None:
                raise exc.located(record=f"annotation {ann_id!r}") from None
            raise

    def _annotation(
        self, p: dict[str, Any], *, prediction: bool, scene: bool
    ) -> tuple[str, Annotation]:
        ref = _str(_require(p, "reference_id", "reference_id"), "reference_id")
        type_ = p.get("type")
        if type_ is None and "mask_url" in p:
            type_ = "mask"
        if type_ not in ANNOTATION_TYPES:
            raise InputError(
                f"unknown annotation type {type_!r} (Nucleus types: {', '.join(ANNOTATION_TYPES)})",
                field="type",
            )
        if scene and type_ != "category":
            raise InputError(f"a scene annotation must be a category, got {type_!r}", field="type")

        common = self._common(
            p, prediction=prediction, with_metadata=type_ not in ("mask", "segmentation")
        )
        geometry = _dict(p.get("geometry"), "geometry")
        ann: Annotation
        if type_ == "box":
            w = _num(_require(geometry, "width", "geometry.width"), "geometry.width")
            h = _num(_require(geometry, "height", "geometry.height"), "geometry.height")
            if w < 0 or h < 0:
                raise InputError(f"negative box size {w} x {h}", field="geometry")
            ann = Box(
                x=_num(_require(geometry, "x", "geometry.x"), "geometry.x"),
                y=_num(_require(geometry, "y", "geometry.y"), "geometry.y"),
                width=w,
                height=h,
                **common,
            )
        elif type_ == "polygon":
            ann = Polygon(points=_points(geometry, 3, "polygon"), **common)
        elif type_ == "line":
            ann = Polyline(points=_points(geometry, 2, "line"), **common)
        elif type_ == "keypoints":
            ann = self._keypoints(geometry, common)
        elif type_ == "cuboid":
            dims = _point3(
                _require(geometry, "dimensions", "geometry.dimensions"), "geometry.dimensions"
            )
            if min(dims) < 0:
                raise InputError(f"negative cuboid dimensions {dims}", field="geometry.dimensions")
            ann = Cuboid(
                position=_point3(
                    _require(geometry, "position", "geometry.position"), "geometry.position"
                ),
                dimensions=dims,
                yaw=_num(_require(geometry, "yaw", "geometry.yaw"), "geometry.yaw"),
                **common,
            )
        elif type_ == "category":
            taxonomy = _opt_str(p.get("taxonomy_name"), "taxonomy_name")
            label = _str(_require(p, "label", "label"), "label")
            common["label"] = label
            if scene:
                ann = SceneCategory(taxonomy=taxonomy, **common)
            else:
                ann = ImageCategory(taxonomy=taxonomy, **common)
        elif type_ == "multicategory":
            labels = _list(_require(p, "labels", "labels"), "labels")
            ann = MultiCategory(
                labels=[_str(v, f"labels[{i}]") for i, v in enumerate(labels)],
                taxonomy=_opt_str(p.get("taxonomy_name"), "taxonomy_name"),
                **common,
            )
        else:  # mask / segmentation
            url = _str(_require(p, "mask_url", "mask_url"), "mask_url")
            segments = []
            seen: set[int] = set()
            for i, s in enumerate(_list(p.get("annotations", []), "annotations")):
                s = _dict(s, f"annotations[{i}]")
                index = s.get("index")
                if isinstance(index, str) and index.isdigit():
                    raise InputError(
                        f"segment index must be an integer, got the string {index!r}",
                        field=f"annotations[{i}].index",
                    )
                if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                    raise InputError(
                        f"segment index must be a non-negative integer, got {index!r}",
                        field=f"annotations[{i}].index",
                    )
                if index in seen:
                    raise InputError(
                        f"segment index {index} appears twice", field=f"annotations[{i}].index"
                    )
                seen.add(index)
                md = s.get("metadata")
                seg_group = None
                if isinstance(md, dict) and isinstance(md.get(self.group_key), str):
                    md = dict(md)
                    seg_group = md.pop(self.group_key)
                segments.append(
                    Segment(
                        group_id=seg_group,
                        index=index,
                        label=_str(
                            _require(s, "label", f"annotations[{i}].label"),
                            f"annotations[{i}].label",
                        ),
                        attributes=None if md is None else _dict(md, f"annotations[{i}].metadata"),
                    )
                )
            ann = Segmentation(
                mask=MaskRef(path=self.resolve_url(url)), segments=segments, **common
            )
        unknown = set(p) - _ANNOTATION_KEYS - _SERVER_KEYS
        if unknown:
            ann.extra["unknown_keys"] = {k: p[k] for k in sorted(unknown)}
        return ref, ann

    def _common(
        self, p: dict[str, Any], *, prediction: bool, with_metadata: bool
    ) -> dict[str, Any]:
        label = p.get("label")
        metadata = dict(_dict(p.get("metadata"), "metadata")) if with_metadata else {}
        group = metadata.get(self.group_key)
        group_id = None
        if isinstance(group, str):
            group_id = metadata.pop(self.group_key)
        extra: dict[str, Any] = {}
        if p.get("embedding_vector") is not None:
            extra["embedding_vector"] = _list(p["embedding_vector"], "embedding_vector")
        if p.get("task_id") is not None:
            extra["task_id"] = p["task_id"]
        confidence = p.get("confidence")
        class_pdf = p.get("class_pdf")
        if class_pdf is not None:
            class_pdf = _dict(class_pdf, "class_pdf")
            for k, v in class_pdf.items():
                _num(v, f"class_pdf.{k}")
        ann_id = p.get("annotation_id")
        if ann_id is not None and not isinstance(ann_id, str):
            raise InputError(f"expected a string, got {ann_id!r}", field="annotation_id")
        return {
            "label": "" if label is None else _str(label, "label"),
            "id": ann_id,
            "attributes": metadata,
            "track_id": _opt_str(p.get("track_reference_id"), "track_reference_id"),
            "group_id": group_id,
            "score": None if confidence is None else _num(confidence, "confidence"),
            "class_pdf": class_pdf,
            "prediction": prediction,
            "extra": extra,
        }

    def _keypoints(self, geometry: dict[str, Any], common: dict[str, Any]) -> Keypoints:
        raw = _list(_require(geometry, "keypoints", "geometry.keypoints"), "geometry.keypoints")
        names = _list(_require(geometry, "names", "geometry.names"), "geometry.names")
        names = [_str(n, f"geometry.names[{i}]") for i, n in enumerate(names)]
        if len(names) != len(raw):
            raise InputError(f"{len(raw)} keypoints but {len(names)} names", field="geometry.names")
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise InputError(f"keypoint name {dup!r} appears twice", field="geometry.names")
        points = []
        for i, kp in enumerate(raw):
            path = f"geometry.keypoints[{i}]"
            kp = _dict(kp, path)
            visible = _require(kp, "visible", f"{path}.visible")
            if not isinstance(visible, bool):
                raise InputError(
                    f"expected true or false, got {visible!r}", field=f"{path}.visible"
                )
            x, y = kp.get("x"), kp.get("y")
            if (x is None) != (y is None):
                raise InputError("x and y must both be given or both be null", field=path)
            if x is None:
                if visible:
                    raise InputError("a visible keypoint needs x and y", field=path)
                points.append(Keypoint(None, None, Visibility.UNLABELLED))
            else:
                points.append(
                    Keypoint(
                        _num(x, f"{path}.x"),
                        _num(y, f"{path}.y"),
                        Visibility.VISIBLE if visible else Visibility.HIDDEN,
                    )
                )
        skeleton = None
        if geometry.get("skeleton") is not None:
            skeleton = []
            for j, edge in enumerate(_list(geometry["skeleton"], "geometry.skeleton")):
                path = f"geometry.skeleton[{j}]"
                if (
                    not isinstance(edge, list)
                    or len(edge) != 2
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in edge)
                ):
                    raise InputError(f"a skeleton edge is two indices, got {edge!r}", field=path)
                for v in edge:
                    if not 0 <= v < len(points):
                        raise InputError(
                            f"index {v} is out of range for {len(points)} keypoints", field=path
                        )
                skeleton.append((edge[0], edge[1]))
        return Keypoints(points=points, names=names, skeleton=skeleton, **common)

    # -- items

    def item(self, payload: Any) -> Item:
        """Decode a DatasetItem payload (top-level, a scene frame's item, or an export row's)."""
        p = _dict(payload, "item")
        ref = p.get("reference_id", p.get("ref_id"))
        ref = (
            _str(ref, "reference_id")
            if ref is not None
            else _require(p, "reference_id", "reference_id")
        )
        metadata = dict(_dict(p.get("metadata"), "metadata"))
        camera = None
        if metadata.get("camera_params") is not None:
            camera = camera_from_payload(metadata.pop("camera_params"), "metadata.camera_params")
        elif p.get("camera_params") is not None:
            camera = camera_from_payload(p["camera_params"], "camera_params")
        width = p.get("width")
        height = p.get("height")
        for key, value in (("width", width), ("height", height)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0
            ):
                raise InputError(f"expected a positive integer, got {value!r}", field=key)
        image = p.get("image_url") or p.get("original_image_url") or p.get("processed_url")
        cloud = p.get("pointcloud_url")
        url = p.get("url")
        kind = p.get("type")
        if url is not None and image is None and cloud is None:
            if kind == "image" or (
                kind is None and str(url).lower().endswith((".jpg", ".jpeg", ".png"))
            ):
                image = url
            elif kind == "pointcloud" or (kind is None and str(url).lower().endswith(".json")):
                cloud = url
            else:
                raise InputError(
                    f"cannot tell whether {url!r} is an image or a point cloud", field="type"
                )
        media: ImageMedia | PointCloudMedia | None
        if image is not None and cloud is not None:
            raise InputError(
                "an item has either an image or a point cloud, not both", field="image_url"
            )
        if image is not None:
            media = ImageMedia(path=_str(image, "image_url"), width=width, height=height)
        elif cloud is not None:
            media = PointCloudMedia(path=self.resolve_url(_str(cloud, "pointcloud_url")))
        else:
            raise InputError(
                "an item needs image_url (or url with type) or pointcloud_url", field="image_url"
            )
        item = Item(reference_id=ref, media=media, metadata=metadata, camera=camera)
        if p.get("embedding_info") is not None:
            item.extra["embedding_info"] = p["embedding_info"]
        return item


# --------------------------------------------------------------------------- encoder


class Where:
    """Names an annotation in messages (``item 'a.jpg', box '7'``), formatted only when a
    message needs it: the writer makes one per annotation and almost never prints it."""

    __slots__ = ("ann", "ref")

    def __init__(self, ref: str, ann: Annotation) -> None:
        self.ref = ref
        self.ann = ann

    def __str__(self) -> str:
        ann = self.ann
        if ann.id:
            return f"item {self.ref!r}, {ann.kind} {ann.id!r}"
        return f"item {self.ref!r}, {ann.kind}"


class Encoder:
    """Turns model objects into client-shaped payloads, recording what cannot be carried.

    Polygon and polyline vertices come back as an :class:`orjson.Fragment` (see
    :func:`_vertices`): serialise payloads with orjson.
    """

    def __init__(self, report: LossReport, *, group_key: str = "group_id") -> None:
        self.report = report
        self.group_key = group_key
        self._kept: Counter[str] = Counter()
        self._md_attrs: dict[str, Any] | None = None
        self._md_group: str | None = None
        self._md: dict[str, Any] = {}

    def flush(self) -> None:
        """Add the per-kind counts of encoded annotations to the report (batched: this runs
        once per annotation, and a dict increment is all the hot loop can afford)."""
        for kind, n in self._kept.items():
            self.report.kept(kind, n=n)
        self._kept.clear()

    def _metadata(self, ann: Annotation, where: object) -> dict[str, Any]:
        """The attributes plus the group id under ``group_key``.

        The members of one source object (a COCO box and its polygons) share their attributes
        dict and group id, so consecutive members share one metadata dict as well; payloads
        are serialised, never edited, so sharing is safe.
        """
        attrs, group = ann.attributes, ann.group_id
        if attrs is self._md_attrs and group == self._md_group:
            return self._md
        md = dict(attrs)
        if group is not None:
            if self.group_key in md:
                raise OutputError(
                    f"{where}: attribute {self.group_key!r} is taken; the group id needs it "
                    "(choose another key with -w group_key=...)"
                )
            md[self.group_key] = str(group)
        self._md_attrs, self._md_group, self._md = attrs, group, md
        return md

    def _drop_extra(self, ann: Annotation, allowed: tuple[str, ...], where: object) -> None:
        for key in ann.extra:
            if key not in allowed:
                self.report.dropped(
                    ann.kind,
                    key,
                    reason=f"Nucleus {ann.kind} payloads have no {key}",
                    example=str(where),
                )

    def _task_id(self, ann: Annotation, where: object) -> Any:
        task_id = ann.extra.get("task_id")
        if ann.prediction and task_id is not None:
            self.report.dropped(
                ann.kind, "task_id", reason="predictions carry no task_id", example=str(where)
            )
            return None
        return task_id

    def _prediction_fields(
        self, ann: Annotation, payload: dict[str, Any], where: object, *, pdf: bool = True
    ) -> None:
        if not ann.prediction:
            for name in ("score", "class_pdf"):
                if getattr(ann, name) is not None:
                    self.report.dropped(
                        ann.kind, name, reason="only predictions carry it", example=str(where)
                    )
            return
        if ann.score is not None:
            payload["confidence"] = _out(ann.score, f"{where}: score")
        if ann.class_pdf is not None:
            if pdf:
                payload["class_pdf"] = {
                    k: _out(v, f"{where}: class_pdf.{k}") for k, v in ann.class_pdf.items()
                }
            else:
                self.report.dropped(
                    ann.kind,
                    "class_pdf",
                    reason="no class_pdf on this prediction type",
                    example=str(where),
                )

    def annotation(
        self,
        ann: Annotation,
        reference_id: str,
        *,
        mask_url: str | None = None,
        where: object = None,
    ) -> dict[str, Any] | None:
        """Encode ``ann`` on item (or scene) ``reference_id``; ``None`` if Nucleus cannot.

        ``where`` names the record in messages (a :class:`Where` by default). Counts go to the
        report when :meth:`flush` is called. This runs once per annotation: work for rare
        cases (extra fields, predictions) hides behind one cheap test each.
        """
        if where is None:
            where = Where(reference_id, ann)
        if isinstance(ann, InstanceMask):
            self.report.dropped(
                "instance_mask",
                reason="Nucleus has no per-instance mask; convert masks to a segmentation first",
                example=str(where),
            )
            return None
        if isinstance(ann, MultiCategory) and ann.prediction:
            self.report.dropped(
                "multicategory",
                reason="Nucleus has no multicategory prediction",
                example=str(where),
            )
            return None
        extra = ann.extra
        if extra and "unknown_keys" in extra:
            self.report.dropped(
                ann.kind,
                "unknown keys",
                reason=f"not Nucleus keys: {', '.join(extra['unknown_keys'])}",
                example=str(where),
            )
        self._kept[ann.kind] += 1
        if isinstance(ann, Segmentation):
            return self._segmentation(ann, reference_id, mask_url, str(where))
        md = self._metadata(ann, where)
        task_id = self._task_id(ann, where) if extra else None
        payload: dict[str, Any]
        if isinstance(ann, Box):
            x, y, w, h = ann.x, ann.y, ann.width, ann.height
            if not (
                type(x) in _PLAIN_NUMBERS
                and type(y) in _PLAIN_NUMBERS
                and type(w) in _PLAIN_NUMBERS
                and type(h) in _PLAIN_NUMBERS
                and math.isfinite(x + y + w + h)
            ):
                x, y = _out(x, f"{where}: x"), _out(y, f"{where}: y")
                w, h = _out(w, f"{where}: width"), _out(h, f"{where}: height")
            if w < 0 or h < 0:
                raise OutputError(f"{where}: negative box size {w} x {h}")
            ann_id = ann.id if ann.id is not None else f"{ann.label}-{x}-{y}-{w}-{h}-{reference_id}"
            payload = {
                "label": ann.label,
                "type": "box",
                "geometry": {"x": x, "y": y, "width": w, "height": h},
                "reference_id": reference_id,
                "annotation_id": ann_id,
                "metadata": md,
                "embedding_vector": extra.get("embedding_vector") if extra else None,
                "track_reference_id": ann.track_id,
                "task_id": task_id,
            }
            if extra:
                self._drop_extra(ann, ("embedding_vector", "task_id", "unknown_keys"), where)
        elif isinstance(ann, Polygon | Polyline):
            is_polygon = isinstance(ann, Polygon)
            payload = {
                "label": ann.label,
                "type": "polygon" if is_polygon else "line",
                "geometry": {"vertices": _vertices(ann.points, where)},
                "reference_id": reference_id,
                "annotation_id": ann.id,
                "metadata": md,
            }
            if is_polygon:
                payload["embedding_vector"] = extra.get("embedding_vector") if extra else None
            payload["track_reference_id"] = ann.track_id
            payload["task_id"] = task_id
            if extra:
                allowed = (
                    ("embedding_vector", "task_id", "unknown_keys")
                    if is_polygon
                    else ("task_id", "unknown_keys")
                )
                self._drop_extra(ann, allowed, where)
        elif isinstance(ann, Keypoints):
            payload = {
                "label": ann.label,
                "type": "keypoints",
                "geometry": {
                    "keypoints": [self._keypoint(kp, ann, where) for kp in ann.points],
                    "names": list(ann.names),
                    "skeleton": None if ann.skeleton is None else [[a, b] for a, b in ann.skeleton],
                },
                "reference_id": reference_id,
                "annotation_id": ann.id
                if ann.id is not None
                else f"{ann.label}-{reference_id}-keypoints",
                "metadata": md,
                "track_reference_id": ann.track_id,
                "task_id": task_id,
            }
            if len(ann.names) != len(ann.points):
                raise OutputError(
                    f"{where}: {len(ann.points)} keypoints but {len(ann.names)} names"
                )
            self._drop_extra(ann, ("task_id", "unknown_keys"), where)
        elif isinstance(ann, Cuboid):
            payload = {
                "label": ann.label,
                "type": "cuboid",
                "geometry": {
                    "position": {
                        k: _out(v, f"{where}: position")
                        for k, v in zip("xyz", ann.position, strict=True)
                    },
                    "dimensions": {
                        k: _out(v, f"{where}: dimensions")
                        for k, v in zip("xyz", ann.dimensions, strict=True)
                    },
                    "yaw": _out(ann.yaw, f"{where}: yaw"),
                },
                "reference_id": reference_id,
            }
            if ann.id:
                payload["annotation_id"] = ann.id
            if md:
                payload["metadata"] = md
            if ann.track_id:
                payload["track_reference_id"] = ann.track_id
            if task_id:
                payload["task_id"] = task_id
            self._drop_extra(ann, ("task_id", "unknown_keys"), where)
        elif isinstance(ann, ImageCategory | MultiCategory | SceneCategory):
            if isinstance(ann, MultiCategory):
                payload = {"labels": list(ann.labels), "type": "multicategory"}
                self.report.not_uploadable(
                    "multicategory",
                    reason="the official client marks MultiCategoryAnnotation unsupported",
                )
            else:
                payload = {"label": ann.label, "type": "category"}
            payload["geometry"] = {}
            payload["reference_id"] = reference_id
            payload["metadata"] = md
            if isinstance(ann, SceneCategory):
                if ann.track_id is not None:
                    self.report.dropped(
                        "scene_category",
                        "track_id",
                        reason="scene categories have no track",
                        example=str(where),
                    )
            else:
                payload["track_reference_id"] = ann.track_id
            payload["task_id"] = task_id
            if ann.taxonomy is not None:
                payload["taxonomy_name"] = ann.taxonomy
            if ann.id is not None:
                self.report.dropped(
                    ann.kind,
                    "id",
                    reason="Nucleus category payloads have no annotation_id",
                    example=str(where),
                )
            self._drop_extra(ann, ("task_id", "unknown_keys"), where)
        else:
            raise OutputError(
                f"{where}: the nucleus format does not know annotation kind {ann.kind!r}"
            )
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            self._prediction_fields(ann, payload, where, pdf=not isinstance(ann, SceneCategory))
        return payload

    def _keypoint(self, kp: Keypoint, ann: Keypoints, where: object) -> dict[str, Any]:
        if kp.visibility == Visibility.UNLABELLED or kp.x is None or kp.y is None:
            if kp.visibility != Visibility.UNLABELLED:
                self.report.changed(
                    "keypoints",
                    "visibility",
                    reason="a labelled keypoint without coordinates is written as unlabelled",
                    example=str(where),
                )
            elif kp.x is not None or kp.y is not None:
                self.report.dropped(
                    "keypoints",
                    "unlabelled coordinates",
                    reason="Nucleus writes an unlabelled keypoint (COCO v=0) without coordinates",
                    example=str(where),
                )
            return {"x": None, "y": None, "visible": False}
        return {
            "x": _out(kp.x, f"{where}: keypoint x"),
            "y": _out(kp.y, f"{where}: keypoint y"),
            "visible": kp.visibility == Visibility.VISIBLE,
        }

    def _segmentation(
        self, ann: Segmentation, reference_id: str, mask_url: str | None, where: str
    ) -> dict[str, Any]:
        if mask_url is None:
            raise OutputError(f"{where}: segmentation has no mask to point to")
        for name in ("attributes", "track_id", "group_id", "score", "class_pdf"):
            if getattr(ann, name):
                self.report.dropped(
                    "segmentation",
                    name,
                    reason="Nucleus segmentation payloads have no such field",
                    example=where,
                )
        self._drop_extra(ann, ("unknown_keys",), where)
        segments = []
        for s in ann.segments:
            seg: dict[str, Any] = {"label": s.label, "index": int(s.index)}
            if s.group_id is not None:
                if s.attributes and self.group_key in s.attributes:
                    raise OutputError(
                        f"{where}, segment {s.index}: attribute {self.group_key!r} is taken; "
                        "the group id needs it (choose another key with -w group_key=...)"
                    )
                seg["metadata"] = {**(s.attributes or {}), self.group_key: str(s.group_id)}
            elif s.attributes is not None:
                seg["metadata"] = s.attributes
            segments.append(seg)
        return {
            "type": "mask",
            "mask_url": mask_url,
            "annotations": segments,
            "annotation_id": ann.id,
            "reference_id": reference_id,
        }

    # -- items

    def item(self, item: Item, *, in_scene: bool, url: str | None = None) -> dict[str, Any]:
        """Encode an item: top-level (``image_url``) or in a scene frame (``url``, ``type``)."""
        where = f"item {item.reference_id!r}"
        metadata = dict(item.metadata)
        camera_payload = None
        if item.camera is not None:
            if "camera_params" in metadata:
                raise OutputError(
                    f"{where}: metadata key 'camera_params' is reserved for the camera"
                )
            camera_payload = camera_to_payload(item.camera, f"{where}: camera")
            metadata["camera_params"] = camera_payload
        payload: dict[str, Any] = {"metadata": metadata, "reference_id": item.reference_id}
        media = item.media
        if isinstance(media, ImageMedia):
            if media.width:
                payload["width"] = int(media.width)
            if media.height:
                payload["height"] = int(media.height)
            location = url or media.path
        elif isinstance(media, PointCloudMedia):
            if url is None:
                raise OutputError(f"{where}: point cloud has no location")
            location = url
        else:
            raise OutputError(f"{where}: has no image or point cloud")
        if "embedding_info" in item.extra:
            if in_scene:
                self.report.dropped(
                    "item", "embedding_info", reason="scene items carry no embedding", example=where
                )
            else:
                payload["embedding_info"] = item.extra["embedding_info"]
        if in_scene:
            payload["url"] = location
            payload["type"] = "image" if isinstance(media, ImageMedia) else "pointcloud"
            if camera_payload is not None:
                payload["camera_params"] = camera_payload
        else:
            if not isinstance(media, ImageMedia):
                raise OutputError(f"{where}: a point cloud item must belong to a scene")
            payload["image_url"] = location
        return payload
