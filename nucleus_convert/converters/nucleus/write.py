"""Writing a bundle directory (see the package docstring for its layout).

Items stream through once: each item's media (mask PNGs, point cloud JSON files) and payload
lines are written as it goes by; scenes are written at the end, with the payloads of their
items embedded in their frames. A point cloud outside any scene gets a one-frame scene of its
own (Nucleus takes point clouds only in LidarScenes). Instance masks become a segmentation (or
traced polygons) first. What the bundle cannot carry is counted in the loss report field by
field (:mod:`.carries`), and the report goes into the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from nucleus_convert.converters.nucleus.carries import (
    INSTANCE_MASK_CARRIES,
    ITEM_HANDLED,
    MEDIALESS_ITEM_CARRIES,
    NUCLEUS_CARRIES,
)
from nucleus_convert.converters.nucleus.ids import AnnotationIds
from nucleus_convert.converters.nucleus.locations import check_scheme, client_remote
from nucleus_convert.converters.nucleus.manifest import manifest_bytes
from nucleus_convert.converters.nucleus.mask_values import report_unnamed_values
from nucleus_convert.converters.nucleus.metadata import MetadataChecker
from nucleus_convert.converters.nucleus.parts import DEFAULT_MAX_FILE_BYTES, PartedJsonlWriter
from nucleus_convert.converters.nucleus.payloads import Encoder, Where
from nucleus_convert.converters.nucleus.pointclouds import PointCloudFiles
from nucleus_convert.converters.nucleus.schema import FILES, MANIFEST
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.masks import (
    check_index_png,
    checked_index_array,
    encode_index_png,
    read_index_png,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    InstanceMask,
    Item,
    PointCloudMedia,
    Scene,
    Segmentation,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.background import BackgroundJobs
from nucleus_convert.toolkit.files import SafeNames
from nucleus_convert.toolkit.instance_masks import instance_masks_for_nucleus
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["write_nucleus"]


def write_nucleus(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a bundle directory at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    return BundleWriter(dst, options, report).write(dataset)


def _write_png_file(array: Any, target: Path) -> None:
    target.write_bytes(encode_index_png(array))


def _check_mask_size(
    size: tuple[int, int] | None, expected: tuple[int, int] | None, where: str
) -> None:
    if size is None:
        raise OutputError(f"{where}: the mask is not a 2-D array")
    if expected is not None and size != expected:
        raise OutputError(
            f"{where}: mask is {size[0]}x{size[1]} but the image is {expected[0]}x{expected[1]}"
        )


def _scene_frames(
    scene: Scene, scene_payloads: dict[str, dict[str, Any]], where: str
) -> list[dict[str, Any]]:
    """The frames of a LidarScene payload: each sensor's item payload, one point cloud per
    frame, and one lidar sensor over the scene."""
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
                    f"{where}, frame {i}: item {ref!r} of sensor {sensor!r} is not in the dataset"
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
    return frames


class BundleWriter:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.base_url: str = options.get("base_url") or ""
        self.group_key: str = options.get("group_key") or "group_id"
        self.masks: str = options.get("masks") or "segmentation"
        self.report = report
        self.encoder = Encoder(report, group_key=self.group_key)
        self.ids = AnnotationIds(report, rename=options.get("duplicate_ids") == "rename")
        self.ledger = FieldLedger(report, NUCLEUS_CARRIES)
        self.medialess = FieldLedger(report, MEDIALESS_ITEM_CARRIES)
        self.mask_ledger = FieldLedger(report, INSTANCE_MASK_CARRIES[self.masks])
        self.checker = MetadataChecker()
        self.names = SafeNames()
        self.summary = WriteSummary()
        limit = int(options.get("max_file_bytes") or DEFAULT_MAX_FILE_BYTES)
        self.out = {key: PartedJsonlWriter(dst, name, limit) for key, name in FILES.items()}
        self.segmentations_per_item: Counter[tuple[str, bool]] = Counter()
        self.clouds = PointCloudFiles(int(options.get("workers", 1)))
        self.files = BackgroundJobs()
        self.scene_refs: dict[str, str] = {}
        self.scene_payloads: dict[str, dict[str, Any]] = {}
        self.orphan_scenes: list[Scene] = []
        self.seen: set[str] = set()
        self._checked_attrs: dict[str, Any] | None = None
        self._checked_scope = ""

    # -- files

    def subdir(self, name: str) -> Path:
        """The bundle's folder ``name``, created on first use."""
        d = self.dst / name
        d.mkdir(exist_ok=True)
        return d

    def _url(self, rel: str) -> str:
        return self.base_url + rel

    @staticmethod
    def _remote(location: str, where: str, field: str) -> bool:
        """True for a URL the client takes (passed through); an ``OutputError`` for a URL
        of another scheme (the client would open it as a local file: :mod:`.locations`)."""
        if "://" not in location:
            return False
        reason = check_scheme(location)
        if reason is not None:
            raise OutputError(f"{where}: {field}: {reason}")
        return client_remote(location)

    def write_mask(self, seg: Segmentation, item: Item, where: str) -> str:
        """Write the segmentation's index mask as ``masks/<item>.png`` (``.pred.png`` for a
        prediction) and return its URL; a remote mask is passed through (approximated)."""
        ref = seg.mask
        if ref.array is None and ref.path is not None and self._remote(ref.path, where, "mask"):
            self.report.approximated(
                "segmentation",
                "mask",
                reason="remote mask URL passed through unchecked",
                example=where,
            )
            return ref.path
        suffix = ".pred.png" if seg.prediction else ".png"
        name = self.names.name(item.reference_id, suffix)
        target = self.subdir("masks") / name
        expected = None
        if isinstance(item.media, ImageMedia) and item.media.width and item.media.height:
            expected = (item.media.width, item.media.height)
        if ref.array is not None:
            size = (ref.array.shape[1], ref.array.shape[0]) if ref.array.ndim == 2 else None
            _check_mask_size(size, expected, where)
            report_unnamed_values(ref.array, seg, self.report, where)
            self._write_png(ref.array, target)
        elif ref.path is not None:
            src = Path(ref.path)
            try:
                size = check_index_png(src)
                _check_mask_size(size, expected, where)
                arr = read_index_png(src)
            except InputError as exc:
                raise OutputError(f"{where}: {exc}") from None
            report_unnamed_values(arr, seg, self.report, where)
            self._write_png(arr, target)
        else:
            raise OutputError(f"{where}: segmentation has no mask")
        self.summary.add("masks")
        return self._url(f"masks/{name}")

    def _write_png(self, array: Any, target: Path) -> None:
        """Check the mask now; encode and write it on the background thread (zlib and the
        write release the GIL, so they overlap the next items' payloads)."""
        arr = checked_index_array(array, target)
        self.files.submit(partial(_write_png_file, arr, target))

    def write_pointcloud(self, item: Item, media: PointCloudMedia, where: str) -> str:
        """Name the item's JSON file and have it written (now or by a worker: see
        :mod:`.pointclouds`); the points come from memory or from ``media.path`` (Nucleus
        JSON, ``.bin``, ``.pcd`` or ``.ply``)."""
        if (
            media.points is None
            and media.path is not None
            and self._remote(media.path, where, "media")
        ):
            return media.path
        if media.points is None and media.path is None:
            raise OutputError(f"{where}: point cloud has neither points nor a path")
        name = self.names.name(item.reference_id, ".json")
        self.clouds.write(media, self.subdir("pointclouds") / name, where)
        self.summary.add("point clouds")
        return self._url(f"pointclouds/{name}")

    # -- records

    def write(
        self, dataset: Dataset, *, manifest: bool = True, scenes: bool = True
    ) -> WriteSummary:
        """Write every item, then (``scenes``) the scenes, then (``manifest``) the manifest.
        A part of a partitioned write does neither: the merge writes them once."""
        for scene in dataset.scenes:
            for frame in scene.frames:
                for ref in frame.sensors.values():
                    self.scene_refs[ref] = scene.reference_id
        try:
            for item in dataset.items:
                self._write_item(item)
            if scenes:
                self.write_scenes(dataset.scenes)
            self.clouds.finish()
            self.files.finish()
        except BaseException as exc:
            # Clouds and masks still in flight belong to earlier items: the earliest of their
            # failures is the error the in-process path would have raised first.
            awaited = isinstance(exc, Exception)
            earlier = self.clouds.abort(await_results=awaited)
            earlier_file = self.files.abort(await_results=awaited)
            if earlier is None:
                earlier = earlier_file
            if earlier is not None:
                raise earlier from None
            raise
        finally:
            for w in self.out.values():
                w.close()
            self.encoder.flush()
        if manifest:
            self.write_manifest(dataset.header)
        return self.summary

    def write_scenes(self, scenes: list[Scene]) -> None:
        """The dataset's scenes, then the one-frame scenes of point clouds outside them."""
        for scene in [*scenes, *self.orphan_scenes]:
            self._write_scene(scene)

    def _orphan_scene(self, ref: str, where: str) -> None:
        """Put a point cloud outside any scene into a one-frame scene of its own."""
        scene = Scene(reference_id=f"{ref}-scene", frames=[Frame({"lidar": ref})])
        self.orphan_scenes.append(scene)
        self.scene_refs[ref] = scene.reference_id
        self.report.approximated(
            "scene",
            reason="a point cloud outside a scene was put in a one-frame scene of its own",
            example=where,
        )

    def _write_item(self, item: Item) -> None:
        ref = item.reference_id
        where = f"item {ref!r}"
        if ref in self.seen:
            raise OutputError(f"{where}: reference id appears twice")
        self.seen.add(ref)
        self.ids.start_item()
        self.checker.check("item", item.metadata, where)
        if isinstance(item.media, ImageMedia) and item.media.path:
            self._remote(item.media.path, where, "media")
        url = None
        if isinstance(item.media, PointCloudMedia):
            url = self.write_pointcloud(item, item.media, where)
            if ref not in self.scene_refs:
                self._orphan_scene(ref, where)
        if item.media is None:
            # No DatasetItem: the annotations keep the reference id, nothing else remains.
            self.medialess.fields(item, where)
            self.summary.add("annotation-only items")
        else:
            self.ledger.fields(item, where, handled=ITEM_HANDLED)
            in_scene = ref in self.scene_refs
            payload = self.encoder.item(item, in_scene=in_scene, url=url)
            if in_scene:
                self.scene_payloads[ref] = payload
            else:
                self.out["items"].write(payload)
            self.summary.add("items")
        annotations = instance_masks_for_nucleus(item, self.masks, self.report)
        if annotations is not item.annotations:
            for ann in item.annotations:
                if isinstance(ann, InstanceMask):
                    self.mask_ledger.fields(ann, f"{where}, mask {ann.id!r}")
        for ann in annotations:
            self._write_annotation(ann, item)

    def _check_annotation_metadata(
        self, ann: Annotation, payload: dict[str, Any], where: Where
    ) -> None:
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

    def _write_annotation(self, ann: Annotation, item: Item) -> None:
        ref = item.reference_id
        where = Where(ref, ann)
        mask_url = None
        # What Nucleus will not take is reported and written apart (not_uploadable_*.jsonl),
        # outside the id check, so the upload files pass the client as they are.
        uploadable = True
        if isinstance(ann, Cuboid) and not isinstance(item.media, PointCloudMedia):
            uploadable = False
            self.report.not_uploadable(
                "cuboid",
                reason="Nucleus takes cuboids on point clouds only; this item is not one",
                example=str(where),
            )
        if isinstance(ann, Segmentation):
            self.segmentations_per_item[(ref, ann.prediction)] += 1
            if self.segmentations_per_item[(ref, ann.prediction)] > 1:
                uploadable = False
                self.report.not_uploadable(
                    "segmentation",
                    reason="Nucleus keeps one segmentation per item and ignores the others",
                    example=str(where),
                )
            mask_url = self.write_mask(ann, item, str(where))
        payload = self.encoder.annotation(ann, ref, mask_url=mask_url, where=where)
        if payload is None:
            return
        self._check_annotation_metadata(ann, payload, where)
        if ann.kind == "scene_category":  # on an item: the client reads an item category
            payload.setdefault("track_reference_id", None)
        records = "predictions" if ann.prediction else "annotations"
        if uploadable:
            self.ids.check(ann, payload, where)
        else:
            records = f"not_uploadable_{records}"
        self.out[records].write(payload)
        self.summary.add(records)

    def _write_scene(self, scene: Scene) -> None:
        where = f"scene {scene.reference_id!r}"
        refs = [ref for frame in scene.frames for ref in frame.sensors.values()]
        if refs and all(ref in self.seen and ref not in self.scene_payloads for ref in refs):
            self._drop_medialess_scene(scene, where)
            return
        frames = _scene_frames(scene, self.scene_payloads, where)
        self.checker.check("scene", scene.metadata, where)
        self.ledger.fields(scene, where)
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

    def _drop_medialess_scene(self, scene: Scene, where: str) -> None:
        """A scene none of whose frames has media (read from a track export, say): there is
        no LidarScene to write; its items' annotations were written on their own."""
        reason = "the scene's frames have no media: a LidarScene needs its items' payloads"
        self.report.dropped("scene", "*", reason=reason, example=where)
        for ann in scene.annotations:
            self.report.dropped(ann.kind, "*", reason=reason, example=where)

    def write_manifest(self, header: Header) -> None:
        self.ledger.fields(header, "header")
        files = {key: FILES[key] for key, w in self.out.items() if w.count}
        parts = {FILES[k]: w.parts for k, w in self.out.items() if len(w.parts) > 1}
        counts = {key: self.out[key].count for key in files} | {
            k: v for k, v in self.summary.counts.items() if k in ("masks", "point clouds")
        }
        data = manifest_bytes(
            header,
            base_url=self.base_url,
            group_key=self.group_key,
            files=files,
            parts=parts,
            counts=counts,
            metadata_schema=self.checker.schema(),
            report=self.report,
        )
        (self.dst / MANIFEST).write_bytes(data)
        self.summary.files = sorted([MANIFEST, *(p for w in self.out.values() for p in w.parts)])
