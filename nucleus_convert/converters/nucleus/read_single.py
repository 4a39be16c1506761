"""Reading one JSON (a list or one object) or JSONL file of Nucleus payloads.

Records may be mixed: DatasetItem payloads, LidarScene payloads, annotation and prediction
payloads, and the client's export rows (``{"item": ..., "annotations": {"box": [...], ...}}``,
or the API's raw rows with the types at the top level and no reference ids on annotations), and
scene export rows grouped by track (:mod:`.track_export`). A
``category`` payload on a scene's reference id is a scene category. A payload with a
``confidence`` or ``class_pdf`` is a prediction.

Memory bound: the file's parse (a ``.json`` file is parsed whole; a JSON Lines file's records
are kept as parsed), the items, and up to :data:`.annotation_index.DECODED_BUDGET` decoded
annotations; past the budget, an annotation is kept as its payload and decoded again when its
item streams. Every record is decoded once when the file is read, so a malformed one fails
the read before anything is written. Held by ``tests/test_bounded_memory.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nucleus_convert.converters.nucleus import annotation_index
from nucleus_convert.converters.nucleus.manifest import HeaderFacts
from nucleus_convert.converters.nucleus.payloads import Decoder
from nucleus_convert.converters.nucleus.resolve import BundleResolver
from nucleus_convert.converters.nucleus.scenes import decode_scene
from nucleus_convert.converters.nucleus.schema import ANNOTATION_TYPES, EXPORT_TYPES
from nucleus_convert.converters.nucleus.track_export import is_scene_export, read_scene_export
from nucleus_convert.errors import InputError
from nucleus_convert.model import Annotation, Dataset, Header, Item, Scene
from nucleus_convert.toolkit.files import iter_jsonl, load_json

__all__ = ["read_single"]

_ITEM_KEYS = ("image_url", "original_image_url", "pointcloud_url")

_Deferred = tuple[dict[str, Any], bool]
"""An annotation kept as its payload and whether it is a prediction (decoded when its item
streams)."""


def _records(path: Path) -> list[tuple[int | None, Any]]:
    """``(line, record)`` pairs; the line is ``None`` in a ``.json`` file."""
    if path.suffix.lower() == ".jsonl":
        return list(iter_jsonl(path))
    data = load_json(path)
    values = data if isinstance(data, list) else [data]
    return [(None, v) for v in values]


class _SingleReader:
    def __init__(self, path: Path, group_key: str, allow_outside: bool) -> None:
        self.path = path
        resolver = BundleResolver(path.parent, None, allow_outside=allow_outside)
        self.decoder = Decoder(
            resolve_url=resolver, check_image=resolver.check_image, group_key=group_key
        )
        self.items: dict[str, Item] = {}
        self.annotations: dict[str, list[Annotation | _Deferred]] = defaultdict(list)
        self.facts = HeaderFacts()
        self.decoded = 0
        self.scene_annotations: list[tuple[int | None, dict[str, Any]]] = []
        self.scenes: dict[str, Scene] = {}

    def read(self) -> Dataset:
        for n, (lineno, obj) in enumerate(_records(self.path)):
            try:
                self._record(obj, lineno)
            except InputError as exc:
                record = None if lineno is not None else f"record {n}"
                raise exc.located(path=self.path, line=lineno, record=record) from None
        for lineno, obj in self.scene_annotations:
            try:
                ref, ann = self.decoder.annotation(
                    obj, prediction=obj.get("confidence") is not None, scene=True
                )
            except InputError as exc:
                raise exc.located(path=self.path, line=lineno) from None
            self.scenes[ref].annotations.append(ann)
        header = Header(source={"format": "nucleus", "path": str(self.path)})
        self.facts.infer(header)
        return Dataset(header=header, items=self._stream(), scenes=list(self.scenes.values()))

    def _record(self, obj: Any, lineno: int | None) -> None:
        if not isinstance(obj, dict):
            raise InputError(f"expected an object, got {type(obj).__name__}")
        if is_scene_export(obj):
            decoded: dict[str, list[Annotation]] = defaultdict(list)
            self._add_scene(read_scene_export(obj, decoded))
            for item_ref, anns in decoded.items():
                for ann in anns:
                    self.keep(item_ref, ann, None)
        elif "item" in obj:
            item = self.decoder.item(obj["item"])
            self._add_item(item)
            _read_export_row(obj, item.reference_id, self.decoder, self.keep)
        elif "frames" in obj:
            self._scene(obj)
        elif obj.get("type") in ANNOTATION_TYPES or "mask_url" in obj:
            ref = obj.get("reference_id")
            if obj.get("type") == "category" and isinstance(ref, str) and ref in self.scenes:
                self.scene_annotations.append((lineno, obj))
                return
            prediction = obj.get("confidence") is not None or obj.get("class_pdf") is not None
            ref, ann = self.decoder.annotation(obj, prediction=prediction)
            self.keep(ref, ann, (obj, prediction))
        elif any(k in obj for k in _ITEM_KEYS):
            self._add_item(self.decoder.item(obj))
        else:
            raise InputError("not an item, scene, annotation or export row", field="type")

    def _scene(self, obj: dict[str, Any]) -> None:
        scene, frame_items = decode_scene(obj, self.decoder)
        self._add_scene(scene)
        for item in frame_items:
            self._add_item(item)

    def _add_scene(self, scene: Scene) -> None:
        if scene.reference_id in self.scenes:
            raise InputError(
                f"scene reference id {scene.reference_id!r} appears twice", field="reference_id"
            )
        self.scenes[scene.reference_id] = scene

    def _add_item(self, item: Item) -> None:
        if item.reference_id in self.items:
            raise InputError(
                f"reference id {item.reference_id!r} appears twice", field="reference_id"
            )
        self.items[item.reference_id] = item

    def keep(self, ref: str, ann: Annotation, payload: _Deferred | None) -> None:
        """Keep ``ann`` (checked) for item ``ref``: decoded, within the budget of decoded
        annotations (:data:`.annotation_index.DECODED_BUDGET`), else as the ``payload`` it
        came from, decoded again when the item streams (the file's parse, which a JSON file
        holds anyway, instead of model objects). Its header fact is noted either way."""
        if payload is None or self.decoded < annotation_index.DECODED_BUDGET:
            self.decoded += 1
            self.annotations[ref].append(ann)
        else:
            self.annotations[ref].append(payload)
        self.facts.add(ref, ann)

    def _take(self, ref: str) -> list[Annotation]:
        out = []
        for entry in self.annotations.pop(ref, ()):
            if isinstance(entry, tuple):
                payload, prediction = entry
                entry = self.decoder.annotation(payload, prediction=prediction)[1]
            out.append(entry)
        return out

    def _stream(self) -> Iterator[Item]:
        for ref, item in self.items.items():
            item.annotations = self._take(ref)
            yield item
        for ref in list(self.annotations):
            yield Item(reference_id=ref, annotations=self._take(ref))


def read_single(path: Path, group_key: str, allow_outside: bool = False) -> Dataset:
    """One JSON (a list or one object) or JSONL file of mixed payloads or export rows; local
    locations must stay under the file's folder unless ``allow_outside`` (:mod:`.resolve`)."""
    return _SingleReader(path, group_key, allow_outside).read()


def _read_export_row(
    row: dict[str, Any],
    ref: str,
    decoder: Decoder,
    keep: Callable[[str, Annotation, _Deferred | None], None],
) -> None:
    """The annotations (or predictions) of one export row, grouped by payload type."""
    prediction = "predictions" in row
    groups = row.get("predictions") if prediction else row.get("annotations")
    source = groups if isinstance(groups, dict) else row
    for type_ in EXPORT_TYPES:
        value = source.get(type_)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for i, payload in enumerate(values):
            if not isinstance(payload, dict):
                raise InputError("expected an object", field=f"{type_}[{i}]")
            payload = {**payload, "reference_id": payload.get("reference_id") or ref}
            payload.setdefault("type", "mask" if type_ == "segmentation" else type_)
            try:
                _, ann = decoder.annotation(payload, prediction=prediction)
            except InputError as exc:
                raise InputError(
                    exc.message, record=exc.record, field=f"{type_}[{i}].{exc.field}"
                ) from None
            keep(ref, ann, (payload, prediction))
