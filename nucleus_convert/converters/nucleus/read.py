"""Reading Nucleus payloads: a bundle directory (see the package docstring for its layout).

Items stream out of ``items.jsonl`` then the scenes' frames; annotations are checked and
indexed by item first, and decoded again as each item goes by (:mod:`.annotation_index`).
Annotations on items the bundle does not describe (a predictions-only upload) come last, on
items without media. A single payload file or export rows are read by :mod:`.read_single`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert.converters.nucleus.annotation_index import AnnotationIndex
from nucleus_convert.converters.nucleus.manifest import (
    header_from_manifest,
)
from nucleus_convert.converters.nucleus.parts import part_paths
from nucleus_convert.converters.nucleus.payloads import Decoder
from nucleus_convert.converters.nucleus.read_single import read_single
from nucleus_convert.converters.nucleus.resolve import BundleResolver
from nucleus_convert.converters.nucleus.scenes import decode_scene
from nucleus_convert.converters.nucleus.schema import FILES, MANIFEST
from nucleus_convert.errors import InputError
from nucleus_convert.model import Annotation, Dataset, Item, Scene, partition_bounds
from nucleus_convert.toolkit.files import iter_jsonl, load_json

__all__ = ["detect", "read_nucleus"]

_MARKERS = (b'"image_url"', b'"pointcloud_url"', b'"frames"', b'"item"', b'"mask_url"', b'"type"')


def detect(path: Path) -> bool:
    """A bundle directory, or a JSON/JSONL file whose start looks like Nucleus payloads."""
    if path.is_dir():
        if (path / "items.jsonl").is_file() or (path / "annotations.jsonl").is_file():
            return True
        manifest = path / MANIFEST
        if not manifest.is_file():
            return False
        try:
            return "nucleus_convert" in orjson.loads(manifest.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return False
    if path.suffix.lower() not in (".json", ".jsonl") or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return b'"reference_id"' in head and any(marker in head for marker in _MARKERS)


def read_nucleus(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a bundle directory or a single payload file."""
    group_key = options.get("group_key") or "group_id"
    allow_outside = bool(options.get("allow_outside", False))
    if src.is_dir():
        return _read_bundle(src, group_key, allow_outside)
    return read_single(src, group_key, allow_outside)


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


def _paths(root: Path, key: str, manifest: dict[str, Any]) -> list[Path]:
    """The existing parts of bundle file ``key``, in reading order (see :mod:`.parts`)."""
    listed = manifest.get("parts")
    name = FILES[key]
    return part_paths(root, name, listed.get(name) if isinstance(listed, dict) else None)


def _read_scene_annotations(
    root: Path, decoder: Decoder, manifest: dict[str, Any]
) -> dict[str, list[Annotation]]:
    """Ground truth then predictions of the scenes, by reference id (scene annotations are
    few: they are decoded once and kept)."""
    keys = ("scene_annotations", "scene_predictions")
    into: dict[str, list[Annotation]] = defaultdict(list)
    for key, prediction in zip(keys, (False, True), strict=True):
        for path in _paths(root, key, manifest):
            _read_annotation_file(path, decoder, into, prediction=prediction, scene=True)
    return into


def _index_annotations(root: Path, decoder: Decoder, manifest: dict[str, Any]) -> AnnotationIndex:
    """The item annotations, checked and indexed (:mod:`.annotation_index`): ground truth,
    predictions, then the payloads Nucleus will not take (ground truth, predictions) that the
    writer kept apart."""

    def decode(obj: Any, prediction: bool) -> tuple[str, Annotation]:
        return decoder.annotation(obj, prediction=prediction, scene=False)

    index = AnnotationIndex(decode)
    keys = (
        "annotations",
        "predictions",
        "not_uploadable_annotations",
        "not_uploadable_predictions",
    )
    for key, prediction in zip(keys, (False, True, False, True), strict=True):
        for path in _paths(root, key, manifest):
            index.add_file(path, prediction=prediction)
    return index


def _read_scenes(
    root: Path, decoder: Decoder, manifest: dict[str, Any]
) -> tuple[list[Scene], list[Item]]:
    """The scenes with their annotations, and the items their frames embed."""
    scene_annotations = _read_scene_annotations(root, decoder, manifest)
    scenes: list[Scene] = []
    scene_items: list[Item] = []
    for scenes_path in _paths(root, "scenes", manifest):
        for lineno, obj in iter_jsonl(scenes_path):
            try:
                scene, items = decode_scene(obj, decoder)
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
    return scenes, scene_items


def _read_bundle(root: Path, group_key: str, allow_outside: bool) -> Dataset:
    manifest_path = root / MANIFEST
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        loaded = load_json(manifest_path)
        if not isinstance(loaded, dict):
            raise InputError("manifest must be a JSON object", path=manifest_path)
        manifest = loaded
    header = header_from_manifest(manifest, manifest_path)
    header.source.setdefault("format", "nucleus")
    base_url = manifest.get("base_url")
    if base_url is not None and not isinstance(base_url, str):
        raise InputError(
            f"base_url must be a string, got {type(base_url).__name__}",
            path=manifest_path,
            field="base_url",
        )
    resolver = BundleResolver(root, base_url, allow_outside=allow_outside)
    decoder = Decoder(resolve_url=resolver, check_image=resolver.check_image, group_key=group_key)
    annotations = _index_annotations(root, decoder, manifest)
    scenes, scene_items = _read_scenes(root, decoder, manifest)
    annotations.facts.infer(header)
    items_paths = _paths(root, "items", manifest)

    def partition(k: int, n: int) -> Iterator[Item]:
        return _bundle_partition(items_paths, decoder, annotations, scene_items, k, n)

    return Dataset(
        header=header,
        items=_bundle_items(items_paths, decoder, annotations, scene_items),
        scenes=scenes,
        partition=partition,
    )


def _bundle_item(
    obj: Any,
    path: Path,
    lineno: int,
    decoder: Decoder,
    annotations: AnnotationIndex,
    seen: set[Any],
) -> Item:
    """The item of line ``lineno`` of ``path`` with its annotations; a reference id already
    in ``seen`` fails on this line (``seen`` gets this one)."""
    try:
        item = decoder.item(obj)
    except InputError as exc:
        raise exc.located(path=path, line=lineno) from None
    if item.reference_id in seen:
        raise InputError(
            f"reference id {item.reference_id!r} appears twice", path=path, line=lineno
        )
    seen.add(item.reference_id)
    item.annotations = annotations.take(item.reference_id)
    return item


def _bundle_partition(
    items_paths: list[Path],
    decoder: Decoder,
    annotations: AnnotationIndex,
    scene_items: list[Item],
    k: int,
    n: int,
) -> Iterator[Item]:
    """Slice ``k`` of ``n`` of a bundle: the item lines of every part of ``items.jsonl``, the
    scenes' items, then the annotation-only items, as :func:`_bundle_items` streams them.
    Every worker lists all item lines (they are small; annotations and scenes were read once,
    before the fork), so a reference id repeated anywhere fails on the line one process fails
    on."""
    lines = [(path, lineno, obj) for path in items_paths for lineno, obj in iter_jsonl(path)]
    raw_refs = [obj.get("reference_id") if isinstance(obj, dict) else None for _, _, obj in lines]
    described = {*raw_refs, *(item.reference_id for item in scene_items)}
    orphans = [ref for ref in annotations.refs() if ref not in described]
    start, stop = partition_bounds(len(lines) + len(scene_items) + len(orphans), k, n)
    seen = set(raw_refs[:start])
    try:
        for path, lineno, obj in lines[start:stop]:
            yield _bundle_item(obj, path, lineno, decoder, annotations, seen)
        start, stop = max(start - len(lines), 0), max(stop - len(lines), 0)
        for item in scene_items[start:stop]:
            item.annotations = annotations.take(item.reference_id)
            yield item
        start, stop = max(start - len(scene_items), 0), max(stop - len(scene_items), 0)
        for ref in orphans[start:stop]:
            yield Item(reference_id=ref, annotations=annotations.take(ref))
    finally:
        annotations.close()


def _bundle_items(
    items_paths: list[Path],
    decoder: Decoder,
    annotations: AnnotationIndex,
    scene_items: list[Item],
) -> Iterator[Item]:
    seen: set[str] = set()
    try:
        for items_path in items_paths:
            for lineno, obj in iter_jsonl(items_path):
                yield _bundle_item(obj, items_path, lineno, decoder, annotations, seen)
        for item in scene_items:
            item.annotations = annotations.take(item.reference_id)
            yield item
        # Annotations on items the bundle does not describe (a predictions-only upload, say).
        for ref in annotations.refs():
            yield Item(reference_id=ref, annotations=annotations.take(ref))
    finally:
        annotations.close()
