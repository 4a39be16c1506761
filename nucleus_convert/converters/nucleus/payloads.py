"""Nucleus payloads to model objects and back, one record at a time.

The payload shapes are exactly what the official ``scale-nucleus`` client's ``to_payload()``
produces, so that each line we write comes back unchanged through its ``from_json``. Each
annotation kind's payload is its codec's business (:mod:`nucleus_convert.kinds`); this module
dispatches to the codecs through :data:`~nucleus_convert.kinds.CODECS` (a dict lookup and a
call per annotation) and does what every kind shares:

* the common fields: ``label``, ``annotation_id``, ``metadata`` (attributes, with the group id
  under the ``group_key`` option), ``track_reference_id``, ``confidence`` and ``class_pdf``
  (predictions only), ``embedding_vector`` and ``task_id`` (kept in ``extra``);
* predictions never carry ``task_id`` (the client drops it when reading);
* counting in the loss report what a payload cannot carry: every model field a codec does not
  declare it carries goes through a :class:`~nucleus_convert.toolkit.losses.FieldLedger`
  (see :mod:`.carries`).

Items are in :mod:`.items`, camera parameters in :mod:`.camera`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from nucleus_convert.converters.nucleus.carries import NUCLEUS_CARRIES, uncarried
from nucleus_convert.converters.nucleus.items import decode_item, encode_item
from nucleus_convert.converters.nucleus.schema import ANNOTATION_KEYS, ANNOTATION_TYPES, SERVER_KEYS
from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.kinds import CODECS, Codec
from nucleus_convert.kinds.values import array, free_obj, num, obj, opt_text, out, require, text
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation, Item
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["ANNOTATION_TYPES", "Decoder", "Encoder", "Where"]

Encode = Callable[[Annotation, str, "Encoder", object, "str | None"], "dict[str, Any] | None"]


def _types(*, on_scene: bool) -> dict[str, Codec[Any]]:
    """Payload type -> codec, for annotations on items or on scenes."""
    table: dict[str, Codec[Any]] = {}
    for codec in CODECS.values():
        if codec.on_scene == on_scene:
            for type_ in codec.nucleus_types:
                if type_ in table:
                    raise TypeError(f"payload type {type_!r} claimed by two codecs")
                table[type_] = codec
    return table


# --------------------------------------------------------------------------- decoder


class Decoder:
    """Turns payload dicts into model objects; errors carry the field, callers add file/line.

    ``resolve_url`` maps a ``mask_url``/``url`` as written in the payload to a local path where
    one exists (relative bundle paths), and leaves remote URLs as they are; ``check_image``
    refuses an image location the reader may not use (see :mod:`.resolve`).
    """

    def __init__(
        self,
        *,
        resolve_url: Callable[[str], str] = lambda u: u,
        check_image: Callable[[str], str] = lambda u: u,
        group_key: str = "group_id",
    ) -> None:
        self.resolve_url = resolve_url
        self.check_image = check_image
        self.group_key = group_key
        self._item_types = _types(on_scene=False)
        self._scene_types = _types(on_scene=True)

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
        ref = text(require(p, "reference_id", "reference_id"), "reference_id")
        type_ = p.get("type")
        if type_ is None and "mask_url" in p:
            type_ = "mask"
        if type_ not in ANNOTATION_TYPES:
            raise InputError(
                f"unknown annotation type {type_!r} (Nucleus types: {', '.join(ANNOTATION_TYPES)})",
                field="type",
            )
        table = self._scene_types if scene else self._item_types
        codec = table.get(type_)
        if codec is None:
            raise InputError(
                f"a scene annotation must be a {' or '.join(table)}, got {brief(type_)}",
                field="type",
            )
        common = self._common(p, prediction=prediction, with_metadata=codec.payload_metadata)
        ann = codec.decode(p, obj(p.get("geometry"), "geometry"), common, self)
        unknown = set(p) - ANNOTATION_KEYS - SERVER_KEYS
        if unknown:
            ann.extra["unknown_keys"] = {k: p[k] for k in sorted(unknown)}
        return ref, ann

    def _common(
        self, p: dict[str, Any], *, prediction: bool, with_metadata: bool
    ) -> dict[str, Any]:
        """The keyword arguments every annotation takes (see :meth:`Codec.decode`)."""
        label = p.get("label")
        metadata = dict(free_obj(p.get("metadata"), "metadata")) if with_metadata else {}
        group_id = None
        if isinstance(metadata.get(self.group_key), str):
            group_id = metadata.pop(self.group_key)
        extra: dict[str, Any] = {}
        if p.get("embedding_vector") is not None:
            extra["embedding_vector"] = array(p["embedding_vector"], "embedding_vector")
        if p.get("task_id") is not None:
            extra["task_id"] = p["task_id"]
        confidence = p.get("confidence")
        class_pdf = p.get("class_pdf")
        if class_pdf is not None:
            class_pdf = obj(class_pdf, "class_pdf")
            for k, v in class_pdf.items():
                num(v, f"class_pdf.{k}")
        ann_id = p.get("annotation_id")
        if ann_id is not None and not isinstance(ann_id, str):
            raise InputError(f"expected a string, got {brief(ann_id)}", field="annotation_id")
        return {
            "label": "" if label is None else text(label, "label"),
            "id": ann_id,
            "attributes": metadata,
            "track_id": opt_text(p.get("track_reference_id"), "track_reference_id"),
            "group_id": group_id,
            "score": None if confidence is None else num(confidence, "confidence"),
            "class_pdf": class_pdf,
            "prediction": prediction,
            "extra": extra,
        }

    def item(self, payload: Any) -> Item:
        """Decode a DatasetItem payload (top-level, a scene frame's item, or an export row's)."""
        return decode_item(payload, self.resolve_url, self.check_image)


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

    Implements :class:`~nucleus_convert.kinds.EncodeContext` for the codecs. Polygon and
    polyline vertices come back as an :class:`orjson.Fragment` (see
    :func:`~nucleus_convert.kinds.values.vertices`): serialise payloads with orjson.
    """

    def __init__(self, report: LossReport, *, group_key: str = "group_id") -> None:
        self.report = report
        self.group_key = group_key
        self.kept: Counter[str] = Counter()
        self._md_attrs: dict[str, Any] | None = None
        self._md_group: str | None = None
        self._md: dict[str, Any] = {}
        self._ledger = FieldLedger(report, NUCLEUS_CARRIES)
        self._encoders: dict[str, Encode] = {
            kind: self._checked(codec) if uncarried(codec) else codec.encode
            for kind, codec in CODECS.items()
        }

    def _checked(self, codec: Codec[Any]) -> Encode:
        """``codec.encode``, then every field its payload does not carry counted as dropped."""
        encode, ledger, handled = codec.encode, self._ledger, codec.handled

        def run(
            ann: Annotation, ref: str, ctx: Encoder, where: object, mask_url: str | None
        ) -> dict[str, Any] | None:
            payload = encode(ann, ref, ctx, where, mask_url)
            if payload is not None:
                ledger.fields(ann, str(where), handled=handled)
            return payload

        return run

    def flush(self) -> None:
        """Add the per-kind counts of encoded annotations to the report (batched: this runs
        once per annotation, and a dict increment is all the hot loop can afford)."""
        for kind, n in self.kept.items():
            self.report.kept(kind, n=n)
        self.kept.clear()

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
        report when :meth:`flush` is called. The kind's codec does the work.
        """
        if where is None:
            where = Where(reference_id, ann)
        encode = self._encoders.get(ann.kind)
        if encode is None:
            raise OutputError(
                f"{where}: the nucleus format does not know annotation kind {ann.kind!r}"
            )
        return encode(ann, reference_id, self, where, mask_url)

    def item(self, item: Item, *, in_scene: bool, url: str | None = None) -> dict[str, Any]:
        """Encode an item: top-level (``image_url``) or in a scene frame (``url``, ``type``)."""
        return encode_item(item, self.report, in_scene=in_scene, url=url)

    # -- the EncodeContext the codecs use

    def metadata(self, ann: Annotation, where: object) -> dict[str, Any]:
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

    def begin(
        self, ann: Annotation, allowed: frozenset[str], where: object
    ) -> tuple[dict[str, Any], Any]:
        """What every payload with metadata starts with: count the ``extra`` keys it has no
        place for (``allowed`` it has) and the annotation as kept; return its ``metadata`` and
        ``task_id``."""
        extra = ann.extra
        if extra:
            self.extra(ann, allowed, where)
        self.kept[ann.kind] += 1
        return self.metadata(ann, where), (self.task_id(ann, where) if extra else None)

    def extra(self, ann: Annotation, allowed: frozenset[str], where: object) -> None:
        """Count ``extra["unknown_keys"]`` (keys a source payload had that Nucleus does not
        know) and every key the payload has no place for, each under its own name."""
        if "unknown_keys" in ann.extra:
            self.report.dropped(
                ann.kind,
                "extra.unknown_keys",
                reason=f"not Nucleus keys: {', '.join(ann.extra['unknown_keys'])}",
                example=str(where),
            )
        for key in ann.extra:
            if key not in allowed and key != "unknown_keys":
                self.report.dropped(
                    ann.kind,
                    f"extra.{key}",
                    reason=f"Nucleus {ann.kind} payloads have no {key}",
                    example=str(where),
                )

    def task_id(self, ann: Annotation, where: object) -> Any:
        task_id = ann.extra.get("task_id")
        if ann.prediction and task_id is not None:
            self.report.dropped(
                ann.kind,
                "extra.task_id",
                reason="predictions carry no task_id",
                example=str(where),
            )
            return None
        return task_id

    def prediction_fields(
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
            score = out(ann.score, f"{where}: score")
            if not 0.0 <= score <= 1.0:
                raise OutputError(
                    f"{where}: score {score!r} is not a confidence in [0, 1] "
                    "(Nucleus predictions need one)"
                )
            payload["confidence"] = score
        if ann.class_pdf is not None:
            if pdf:
                payload["class_pdf"] = {
                    k: out(v, f"{where}: class_pdf.{k}") for k, v in ann.class_pdf.items()
                }
            else:
                self.report.dropped(
                    ann.kind,
                    "class_pdf",
                    reason="no class_pdf on this prediction type",
                    example=str(where),
                )
