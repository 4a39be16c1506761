"""The ``nucleus`` format: a directory of payloads for the official ``scale-nucleus`` client.

Layout written (files with nothing to say are not created)::

    items.jsonl               DatasetItem payloads of items outside scenes (image_url)
    annotations.jsonl         ground-truth annotation payloads, one per line
    predictions.jsonl         prediction payloads (annotations with a score or marked prediction)
    scenes.jsonl              LidarScene payloads; their frames embed the scene items
    scene_annotations.jsonl   SceneCategoryAnnotation payloads
    scene_predictions.jsonl   SceneCategoryPrediction payloads
    masks/*.png               segmentation index masks (8-bit, one per segmentation)
    pointclouds/*.json        point clouds as {"points": [{"x", "y", "z", "i"}]}
    manifest.json             source, counts, categories, taxonomies, skeletons, metadata schema
                              and the loss report

Scene categories have files of their own because their payload type is ``category`` like an
item category's: ``Annotation.from_json`` would read them back as item categories. Local
files are referenced relative to the bundle (``masks/x.png``); the writer option ``base_url``
prefixes them instead (for example ``s3://bucket/bundle/``) once you have copied the bundle
there. A group id (several polygons of one source object) travels as the annotation metadata
key ``group_id`` (writer/reader option ``group_key``).

Point clouds are written as ``pointclouds/<reference id>.json`` from the item's points or its
file (Nucleus JSON, ``.bin``, ``.pcd`` or ``.ply``); the writer option ``workers`` serialises
them in a process pool (0, the default: every core, started at the second point cloud; 1: in
this process; see :mod:`.pointclouds`). The bundle is byte-identical either way.

The reader takes that layout, a single ``.json``/``.jsonl`` file of payloads (items, scenes,
annotations, predictions mixed) and the client's export rows (``{"item": ..., "annotations":
{"box": [...], ...}}`` or the API's raw rows with the types at the top level).

Loading a bundle into the official client::

    import json, nucleus
    items = [nucleus.DatasetItem.from_json(json.loads(l)) for l in open("items.jsonl")]
    annotations = [nucleus.Annotation.from_json(json.loads(l)) for l in open("annotations.jsonl")]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert._version import __version__ as _version
from nucleus_convert.converters.nucleus.metadata import MetadataChecker
from nucleus_convert.converters.nucleus.payloads import ANNOTATION_TYPES, Decoder, Encoder, Where
from nucleus_convert.converters.nucleus.pointclouds import PointCloudFiles, parse_workers
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.masks import check_index_png, read_index_png, write_index_png
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Category,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    Item,
    Keypoints,
    PointCloudMedia,
    Scene,
    Segmentation,
    Skeleton,
    Taxonomy,
)
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar, WriteSummary
from nucleus_convert.toolkit.files import JsonlWriter, SafeNames, is_remote, iter_jsonl, load_json
from nucleus_convert.toolkit.instance_masks import MASK_MODES, instance_masks_for_nucleus

__all__ = ["FORMAT", "read_nucleus", "register_formats", "write_nucleus"]

BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
FILES = {
    "items": "items.jsonl",
    "annotations": "annotations.jsonl",
    "predictions": "predictions.jsonl",
    "scenes": "scenes.jsonl",
    "scene_annotations": "scene_annotations.jsonl",
    "scene_predictions": "scene_predictions.jsonl",
}
KINDS = frozenset(
    {
        "box",
        "polygon",
        "polyline",
        "keypoints",
        "segmentation",
        "cuboid",
        "category",
        "multicategory",
        "scene_category",
    }
)


# =========================================================================== detection


def detect(path: Path) -> bool:
    """A bundle directory, or a JSON/JSONL file whose start looks like Nucleus payloads."""
    if path.is_dir():
        if (path / "items.jsonl").is_file() or (path / "annotations.jsonl").is_file():
            return True
        manifest = path / MANIFEST
        if manifest.is_file():
            try:
                return "nucleus_convert" in orjson.loads(manifest.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                return False
        return False
    if path.suffix.lower() not in (".json", ".jsonl") or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    if b'"reference_id"' not in head:
        return False
    return any(
        marker in head
        for marker in (
            b'"image_url"',
            b'"pointcloud_url"',
            b'"frames"',
            b'"item"',
            b'"mask_url"',
            b'"type"',
        )
    )


# =========================================================================== reading


class _BundleResolver:
    """Maps payload locations to local paths inside the bundle; refuses ones that escape it."""

    def __init__(self, root: Path, base_url: str | None) -> None:
        self.root = root.resolve()
        self.base_url = base_url

    def __call__(self, url: str) -> str:
        rel = url
        if self.base_url and url.startswith(self.base_url):
            rel = url[len(self.base_url) :]
        elif is_remote(url) or Path(url).is_absolute():
            return url
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root):
            raise InputError(f"location {url!r} points outside the bundle", field="url")
        return str(target)


def read_nucleus(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a bundle directory or a single payload file."""
    group_key = options.get("group_key") or "group_id"
    if src.is_dir():
        return _read_bundle(src, group_key)
    return _read_single(src, group_key)


def _header_from_manifest(manifest: dict[str, Any], path: Path) -> Header:
    try:
        return Header(
            categories=[
                Category(
                    name=c["name"],
                    source_id=c.get("source_id"),
                    supercategory=c.get("supercategory"),
                    attributes=c.get("attributes") or {},
                )
                for c in manifest.get("categories", [])
            ],
            skeletons={
                label: Skeleton(
                    names=list(s["names"]), edges=[(a, b) for a, b in s.get("edges", [])]
                )
                for label, s in manifest.get("skeletons", {}).items()
            },
            taxonomies={
                name: Taxonomy(
                    name=name, labels=list(t.get("labels", [])), type=t.get("type", "category")
                )
                for name, t in manifest.get("taxonomies", {}).items()
            },
            source=dict(manifest.get("source") or {}),
            extra=dict(manifest.get("header_extra") or {}),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed manifest: {type(exc).__name__}: {exc}", path=path) from None


def _infer_header(header: Header, annotations: Mapping[str, list[Annotation]]) -> None:
    """Fill categories, skeletons and taxonomies from the annotations where no manifest said."""
    seen = {c.name for c in header.categories}
    for anns in annotations.values():
        for ann in anns:
            labels = getattr(ann, "labels", None) or ([ann.label] if ann.label else [])
            for label in labels:
                if label not in seen:
                    seen.add(label)
                    header.categories.append(Category(name=label))
            if isinstance(ann, Keypoints) and ann.label not in header.skeletons:
                header.skeletons[ann.label] = Skeleton(list(ann.names), list(ann.skeleton or []))
            taxonomy = getattr(ann, "taxonomy", None)
            if taxonomy is not None:
                tax = header.taxonomies.setdefault(taxonomy, Taxonomy(name=taxonomy))
                for label in labels:
                    if label not in tax.labels:
                        tax.labels.append(label)


def _read_annotation_file(
    path: Path,
    decoder: Decoder,
    into: dict[str, list[Annotation]],
    *,
    prediction: bool,
    scene: bool = False,
) -> None:
    for lineno, obj in iter_jsonl(path):
        try:
            ref, ann = decoder.annotation(obj, prediction=prediction, scene=scene)
        except InputError as exc:
            raise exc.located(path=path, line=lineno) from None
        into[ref].append(ann)


def _read_bundle(root: Path, group_key: str) -> Dataset:
    manifest_path = root / MANIFEST
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        loaded = load_json(manifest_path)
        if not isinstance(loaded, dict):
            raise InputError("manifest must be a JSON object", path=manifest_path)
        manifest = loaded
    header = _header_from_manifest(manifest, manifest_path)
    header.source.setdefault("format", "nucleus")
    decoder = Decoder(
        resolve_url=_BundleResolver(root, manifest.get("base_url")), group_key=group_key
    )

    annotations: dict[str, list[Annotation]] = defaultdict(list)
    for key, prediction in (("annotations", False), ("predictions", True)):
        path = root / FILES[key]
        if path.is_file():
            _read_annotation_file(path, decoder, annotations, prediction=prediction)
    scene_annotations: dict[str, list[Annotation]] = defaultdict(list)
    for key, prediction in (("scene_annotations", False), ("scene_predictions", True)):
        path = root / FILES[key]
        if path.is_file():
            _read_annotation_file(
                path, decoder, scene_annotations, prediction=prediction, scene=True
            )

    scenes: list[Scene] = []
    scene_items: list[Item] = []
    scenes_path = root / FILES["scenes"]
    if scenes_path.is_file():
        for lineno, obj in iter_jsonl(scenes_path):
            try:
                scene, items = _decode_scene(obj, decoder)
            except InputError as exc:
                raise exc.located(path=scenes_path, line=lineno) from None
            scenes.append(scene)
            scene_items.extend(items)
    for scene in scenes:
        scene.annotations = scene_annotations.pop(scene.reference_id, [])
    if scene_annotations:
        ref = next(iter(scene_annotations))
        raise InputError(
            f"scene annotation for unknown scene {ref!r}", path=root / FILES["scene_annotations"]
        )

    _infer_header(header, annotations)
    items_path = root / FILES["items"]
    return Dataset(
        header=header,
        items=_bundle_items(items_path, decoder, annotations, scene_items),
        scenes=scenes,
    )


def _bundle_items(
    items_path: Path,
    decoder: Decoder,
    annotations: dict[str, list[Annotation]],
    scene_items: list[Item],
) -> Iterator[Item]:
    seen: set[str] = set()
    if items_path.is_file():
        for lineno, obj in iter_jsonl(items_path):
            try:
                item = decoder.item(obj)
            except InputError as exc:
                raise exc.located(path=items_path, line=lineno) from None
            if item.reference_id in seen:
                raise InputError(
                    f"reference id {item.reference_id!r} appears twice",
                    path=items_path,
                    line=lineno,
                )
            seen.add(item.reference_id)
            item.annotations = annotations.pop(item.reference_id, [])
            yield item
    for item in scene_items:
        item.annotations = annotations.pop(item.reference_id, [])
        yield item
    # Annotations on items the bundle does not describe (a predictions-only upload, say).
    for ref in list(annotations):
        yield Item(reference_id=ref, annotations=annotations.pop(ref))


def _decode_scene(obj: Any, decoder: Decoder) -> tuple[Scene, list[Item]]:
    if not isinstance(obj, dict):
        raise InputError("a scene must be an object")
    ref = obj.get("reference_id")
    if not isinstance(ref, str):
        raise InputError("missing or non-string reference_id", field="reference_id")
    frames_raw = obj.get("frames")
    if not isinstance(frames_raw, list) or not frames_raw:
        raise InputError(
            "a scene needs a non-empty frames list", record=f"scene {ref!r}", field="frames"
        )
    frames: list[Frame] = []
    items: list[Item] = []
    for i, frame in enumerate(frames_raw):
        if not isinstance(frame, dict) or not frame:
            raise InputError(
                "a frame maps sensor names to items", record=f"scene {ref!r}", field=f"frames[{i}]"
            )
        sensors: dict[str, str] = {}
        for sensor, payload in frame.items():
            try:
                item = decoder.item(payload)
            except InputError as exc:
                raise InputError(
                    exc.message,
                    record=f"scene {ref!r}",
                    field=f"frames[{i}].{sensor}.{exc.field or 'item'}",
                ) from None
            sensors[sensor] = item.reference_id
            items.append(item)
        frames.append(Frame(sensors=sensors))
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InputError("expected an object", record=f"scene {ref!r}", field="metadata")
    return Scene(reference_id=ref, frames=frames, metadata=dict(metadata)), items


# An export row groups annotations by payload type; masks come under "segmentation".
_EXPORT_TYPES = tuple(t for t in ANNOTATION_TYPES if t != "mask")


def _read_single(path: Path, group_key: str) -> Dataset:
    """One JSON (a list or one object) or JSONL file of mixed payloads or export rows."""
    if path.suffix.lower() == ".jsonl":
        records: list[tuple[int | None, Any]] = list(iter_jsonl(path))
    else:
        data = load_json(path)
        values = data if isinstance(data, list) else [data]
        records = [(None, v) for v in values]
    decoder = Decoder(resolve_url=_BundleResolver(path.parent, None), group_key=group_key)
    items: dict[str, Item] = {}
    annotations: dict[str, list[Annotation]] = defaultdict(list)
    scene_annotations: list[tuple[int | None, dict[str, Any]]] = []
    by_scene: dict[str, Scene] = {}
    for n, (lineno, obj) in enumerate(records):
        record = None if lineno is not None else f"record {n}"
        try:
            if not isinstance(obj, dict):
                raise InputError(f"expected an object, got {type(obj).__name__}")
            if "item" in obj:
                item = decoder.item(obj["item"])
                _add_item(items, item)
                _read_export_row(obj, item.reference_id, decoder, annotations)
            elif "frames" in obj:
                scene, frame_items = _decode_scene(obj, decoder)
                if scene.reference_id in by_scene:
                    raise InputError(
                        f"scene reference id {scene.reference_id!r} appears twice",
                        field="reference_id",
                    )
                by_scene[scene.reference_id] = scene
                for item in frame_items:
                    _add_item(items, item)
            elif obj.get("type") in ANNOTATION_TYPES or "mask_url" in obj:
                prediction = obj.get("confidence") is not None or obj.get("class_pdf") is not None
                if obj.get("type") == "category" and obj.get("reference_id") in by_scene:
                    scene_annotations.append((lineno, obj))
                    continue
                ref, ann = decoder.annotation(obj, prediction=prediction)
                annotations[ref].append(ann)
            elif any(k in obj for k in ("image_url", "original_image_url", "pointcloud_url")):
                _add_item(items, decoder.item(obj))
            else:
                raise InputError("not an item, scene, annotation or export row", field="type")
        except InputError as exc:
            raise exc.located(path=path, line=lineno, record=record) from None
    for lineno, obj in scene_annotations:
        try:
            ref, ann = decoder.annotation(
                obj, prediction=obj.get("confidence") is not None, scene=True
            )
        except InputError as exc:
            raise exc.located(path=path, line=lineno) from None
        by_scene[ref].annotations.append(ann)
    header = Header(source={"format": "nucleus", "path": str(path)})
    _infer_header(header, annotations)

    def stream() -> Iterator[Item]:
        for ref, item in items.items():
            item.annotations = annotations.pop(ref, [])
            yield item
        for ref in list(annotations):
            yield Item(reference_id=ref, annotations=annotations.pop(ref))

    return Dataset(header=header, items=stream(), scenes=list(by_scene.values()))


def _add_item(items: dict[str, Item], item: Item) -> None:
    if item.reference_id in items:
        raise InputError(f"reference id {item.reference_id!r} appears twice", field="reference_id")
    items[item.reference_id] = item


def _read_export_row(
    row: dict[str, Any], ref: str, decoder: Decoder, into: dict[str, list[Annotation]]
) -> None:
    prediction = "predictions" in row
    groups = row.get("predictions") if prediction else row.get("annotations")
    source = groups if isinstance(groups, dict) else row
    for type_ in _EXPORT_TYPES:
        value = source.get(type_)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for i, payload in enumerate(values):
            if not isinstance(payload, dict):
                raise InputError("expected an object", field=f"{type_}[{i}]")
            payload = {**payload, "reference_id": payload.get("reference_id") or ref}
            if type_ == "segmentation":
                payload.setdefault("type", "mask")
            else:
                payload.setdefault("type", type_)
            try:
                _, ann = decoder.annotation(payload, prediction=prediction)
            except InputError as exc:
                raise InputError(
                    exc.message, record=exc.record, field=f"{type_}[{i}].{exc.field}"
                ) from None
            into[ref].append(ann)


# =========================================================================== writing


class _BundleWriter:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.base_url: str = options.get("base_url") or ""
        self.group_key: str = options.get("group_key") or "group_id"
        self.masks: str = options.get("masks") or "segmentation"
        self.report = report
        self.encoder = Encoder(report, group_key=self.group_key)
        self.checker = MetadataChecker()
        self.names = SafeNames()
        self.summary = WriteSummary()
        self.out = {key: JsonlWriter(dst / name) for key, name in FILES.items()}
        self.segmentations_per_item: Counter[tuple[str, bool]] = Counter()
        self.clouds = PointCloudFiles(int(options.get("workers", 1)))
        self._checked_attrs: dict[str, Any] | None = None
        self._checked_scope = ""

    # -- files

    def _subdir(self, name: str) -> Path:
        d = self.dst / name
        d.mkdir(exist_ok=True)
        return d

    def _url(self, rel: str) -> str:
        return self.base_url + rel

    def write_mask(self, seg: Segmentation, item: Item, where: str) -> str:
        ref = seg.mask
        if ref.array is None and ref.path is not None and is_remote(ref.path):
            self.report.approximated(
                "segmentation",
                "mask",
                reason="remote mask URL passed through unchecked",
                example=where,
            )
            return ref.path
        suffix = ".pred.png" if seg.prediction else ".png"
        name = self.names.name(item.reference_id, suffix)
        target = self._subdir("masks") / name
        expected = None
        if isinstance(item.media, ImageMedia) and item.media.width and item.media.height:
            expected = (item.media.width, item.media.height)
        if ref.array is not None:
            size = (ref.array.shape[1], ref.array.shape[0]) if ref.array.ndim == 2 else None
            self._check_mask_size(size, expected, where)
            write_index_png(ref.array, target)
        elif ref.path is not None:
            src = Path(ref.path)
            try:
                size = check_index_png(src)
                self._check_mask_size(size, expected, where)
                arr = read_index_png(src)
            except InputError as exc:
                raise OutputError(f"{where}: {exc}") from None
            write_index_png(arr, target)
        else:
            raise OutputError(f"{where}: segmentation has no mask")
        self.summary.add("masks")
        return self._url(f"masks/{name}")

    @staticmethod
    def _check_mask_size(
        size: tuple[int, int] | None, expected: tuple[int, int] | None, where: str
    ) -> None:
        if size is None:
            raise OutputError(f"{where}: the mask is not a 2-D array")
        if expected is not None and size != expected:
            raise OutputError(
                f"{where}: mask is {size[0]}x{size[1]} but the image is {expected[0]}x{expected[1]}"
            )

    def write_pointcloud(self, item: Item, media: PointCloudMedia, where: str) -> str:
        """Name the item's JSON file and have it written (now or by a worker: see
        :mod:`.pointclouds`); the points come from memory or from ``media.path`` (Nucleus
        JSON, ``.bin``, ``.pcd`` or ``.ply``)."""
        if media.points is None and media.path is not None and is_remote(media.path):
            return media.path
        if media.points is None and media.path is None:
            raise OutputError(f"{where}: point cloud has neither points nor a path")
        name = self.names.name(item.reference_id, ".json")
        self.clouds.write(media, self._subdir("pointclouds") / name, where)
        self.summary.add("point clouds")
        return self._url(f"pointclouds/{name}")

    # -- records

    def write(self, dataset: Dataset) -> WriteSummary:
        scene_refs: dict[str, str] = {}
        for scene in dataset.scenes:
            for frame in scene.frames:
                for ref in frame.sensors.values():
                    scene_refs[ref] = scene.reference_id
        scene_payloads: dict[str, dict[str, Any]] = {}
        orphan_scenes: list[Scene] = []
        seen: set[str] = set()
        try:
            for item in dataset.items:
                ref = item.reference_id
                where = f"item {ref!r}"
                if ref in seen:
                    raise OutputError(f"{where}: reference id appears twice")
                seen.add(ref)
                self.checker.check("item", item.metadata, where)
                in_scene = ref in scene_refs
                url = None
                if isinstance(item.media, PointCloudMedia):
                    url = self.write_pointcloud(item, item.media, where)
                    if not in_scene:
                        # Nucleus takes point clouds only inside LidarScenes.
                        scene = Scene(reference_id=f"{ref}-scene", frames=[Frame({"lidar": ref})])
                        orphan_scenes.append(scene)
                        scene_refs[ref] = scene.reference_id
                        in_scene = True
                        self.report.approximated(
                            "item",
                            "scene",
                            reason="a point cloud outside a scene was put in a one-frame scene",
                            example=where,
                        )
                if item.media is None:
                    if item.camera is not None or item.metadata:
                        self.report.dropped(
                            "item",
                            "metadata",
                            reason="item without media: no DatasetItem written",
                            example=where,
                        )
                    self.summary.add("annotation-only items")
                else:
                    payload = self.encoder.item(item, in_scene=in_scene, url=url)
                    if in_scene:
                        scene_payloads[ref] = payload
                    else:
                        self.out["items"].write(payload)
                    self.summary.add("items")
                for ann in instance_masks_for_nucleus(item, self.masks, self.report):
                    self._write_annotation(ann, item)
            for scene in [*dataset.scenes, *orphan_scenes]:
                self._write_scene(scene, scene_payloads)
            self.clouds.finish()
        except BaseException as exc:
            # Clouds still in flight belong to earlier items: the earliest of their failures
            # is the error the in-process path would have raised first.
            earlier = self.clouds.abort(await_results=isinstance(exc, Exception))
            if earlier is not None:
                raise earlier from None
            raise
        finally:
            for w in self.out.values():
                w.close()
            self.encoder.flush()
        self._write_manifest(dataset.header)
        return self.summary

    def _write_annotation(self, ann: Annotation, item: Item) -> None:
        ref = item.reference_id
        where = Where(ref, ann)
        mask_url = None
        if isinstance(ann, Cuboid) and not isinstance(item.media, PointCloudMedia):
            self.report.not_uploadable(
                "cuboid",
                reason="Nucleus takes cuboids on point clouds only; this item is not one",
                example=str(where),
            )
        if isinstance(ann, Segmentation):
            self.segmentations_per_item[(ref, ann.prediction)] += 1
            if self.segmentations_per_item[(ref, ann.prediction)] > 1:
                self.report.not_uploadable(
                    "segmentation",
                    reason="Nucleus keeps one segmentation per item and ignores the others",
                    example=str(where),
                )
            mask_url = self.write_mask(ann, item, str(where))
        payload = self.encoder.annotation(ann, ref, mask_url=mask_url, where=where)
        if payload is None:
            return
        scope = "prediction" if ann.prediction else "annotation"
        # Members of one source object share one attributes dict: check it once per group.
        if ann.attributes is not self._checked_attrs or scope != self._checked_scope:
            self.checker.check(scope, payload.get("metadata") or {}, where)
            if ann.group_id is not None:
                self._checked_attrs, self._checked_scope = ann.attributes, scope
        if isinstance(ann, Segmentation):
            for s in ann.segments:
                if s.attributes:
                    self.checker.check(scope, s.attributes, f"{where}, segment {s.index}")
        records = "predictions" if ann.prediction else "annotations"
        self.out[records].write(payload)
        self.summary.add(records)

    def _write_scene(self, scene: Scene, scene_payloads: dict[str, dict[str, Any]]) -> None:
        where = f"scene {scene.reference_id!r}"
        if not scene.frames:
            raise OutputError(f"{where}: a LidarScene needs at least one frame")
        frames = []
        lidar_sensors: set[str] = set()
        for i, frame in enumerate(scene.frames):
            payload: dict[str, Any] = {}
            clouds = 0
            for sensor, ref in frame.sensors.items():
                item_payload = scene_payloads.get(ref)
                if item_payload is None:
                    raise OutputError(
                        f"{where}, frame {i}: item {ref!r} of sensor {sensor!r} "
                        "is not in the dataset"
                    )
                if item_payload["type"] == "pointcloud":
                    clouds += 1
                    lidar_sensors.add(sensor)
                payload[sensor] = item_payload
            if clouds != 1:
                raise OutputError(
                    f"{where}, frame {i}: a LidarScene frame needs exactly one point cloud, "
                    f"got {clouds}"
                )
            frames.append(payload)
        if len(lidar_sensors) != 1:
            raise OutputError(
                f"{where}: a LidarScene has exactly one lidar sensor, got {sorted(lidar_sensors)}"
            )
        self.checker.check("scene", scene.metadata, where)
        out: dict[str, Any] = {"reference_id": scene.reference_id, "frames": frames}
        if scene.metadata:
            out["metadata"] = scene.metadata
        self.out["scenes"].write(out)
        self.summary.add("scenes")
        for ann in scene.annotations:
            ann_payload = self.encoder.annotation(ann, scene.reference_id)
            if ann_payload is None:
                continue
            scope = "prediction" if ann.prediction else "annotation"
            self.checker.check(scope, ann_payload.get("metadata") or {}, f"{where}, {ann.kind}")
            self.out["scene_predictions" if ann.prediction else "scene_annotations"].write(
                ann_payload
            )
            self.summary.add("scene annotations")

    def _write_manifest(self, header: Header) -> None:
        files = {key: FILES[key] for key, w in self.out.items() if w.count}
        manifest: dict[str, Any] = {
            "nucleus_convert": {"version": _version, "bundle_version": BUNDLE_VERSION},
            "source": header.source,
            "base_url": self.base_url or None,
            "group_key": self.group_key,
            "files": files,
            "counts": {key: self.out[key].count for key in files}
            | {k: v for k, v in self.summary.counts.items() if k in ("masks", "point clouds")},
            "categories": [
                {
                    "name": c.name,
                    "source_id": c.source_id,
                    "supercategory": c.supercategory,
                    **({"attributes": c.attributes} if c.attributes else {}),
                }
                for c in header.categories
            ],
            "taxonomies": {
                t.name: {"type": t.type, "labels": t.labels} for t in header.taxonomies.values()
            },
            "skeletons": {
                label: {"names": s.names, "edges": [list(e) for e in s.edges]}
                for label, s in header.skeletons.items()
            },
            "header_extra": header.extra,
            "metadata_schema": self.checker.schema(),
            "loss": self.report.to_json(),
            "skipped": self.report.skipped,
        }
        try:
            data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
        except TypeError as exc:
            raise OutputError(
                f"manifest: the dataset header holds something that is not JSON: {exc}"
            ) from None
        (self.dst / MANIFEST).write_bytes(data + b"\n")
        self.summary.files = sorted([MANIFEST, *files.values()])


def write_nucleus(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a bundle directory at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    return _BundleWriter(dst, options, report).write(dataset)


_GROUP_KEY = Option(
    "group_key", "metadata key that carries an annotation's group id", str, "group_id"
)

FORMAT = Format(
    name="nucleus",
    description="Scale Nucleus payloads (bundle directory, JSON/JSONL payloads, export rows)",
    extensions=(".jsonl", ".json"),
    kinds=KINDS,
    detect=detect,
    read=read_nucleus,
    write=write_nucleus,
    read_options=(_GROUP_KEY,),
    write_options=(
        Option(
            "base_url",
            "prefix for mask and point cloud locations, e.g. s3://bucket/bundle/",
            str,
            "",
        ),
        _GROUP_KEY,
        Option(
            "masks",
            "instance masks become one segmentation per item (segmentation) or traced "
            "polygons (polygons)",
            choice(*MASK_MODES),
            "segmentation",
        ),
        Option(
            "workers",
            "processes that serialise point cloud JSON files: 0 (default) every core, started "
            "at the second point cloud; 1 in this process",
            parse_workers,
            0,
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``nucleus`` format."""
    register.add(FORMAT)
