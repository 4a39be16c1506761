"""What a codec is: one annotation kind, declared once.

A codec ties together, for one kind of :data:`nucleus_convert.model.ANNOTATION_KINDS`:

* the model class (:attr:`Codec.model`) and its fields (:meth:`Codec.fields`);
* its Nucleus payload: the payload ``type`` values it decodes (:attr:`Codec.nucleus_types`;
  empty when Nucleus has no such payload, which the codec then says in
  :attr:`Codec.no_payload`), :meth:`Codec.decode`, :meth:`Codec.encode`, and which model fields
  that payload keeps (:attr:`Codec.carries`, with :attr:`Codec.reasons` for the others);
* its round-trip comparison (:meth:`Codec.compare`): by default every model field, numbers
  within the tolerance and everything else equal; a codec names the fields it compares in its
  own way in :attr:`Codec.special_fields` and does so in :meth:`Codec.compare_special`.

Codecs are stateless singletons: the Nucleus encoder and decoder hand them a context
(:class:`EncodeContext`, :class:`DecodeContext`) for options, shared per-record work and the
loss report.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from nucleus_convert.errors import InputError
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation

__all__ = ["Codec", "DecodeContext", "EncodeContext", "PayloadlessCodec"]

A = TypeVar("A", bound=Annotation)

_NOT_COMPARED = frozenset({"prediction"})
"""``prediction`` is not compared field by field: annotations are matched within
(kind, prediction) groups, so a flipped flag shows as one dropped and one new annotation."""


class EncodeContext(Protocol):
    """What a codec's :meth:`Codec.encode` may use of the Nucleus encoder."""

    report: LossReport
    group_key: str
    kept: Counter[str]
    """Annotations encoded, per kind (the encoder adds them to the report in one go)."""

    def metadata(self, ann: Annotation, where: object) -> dict[str, Any]:
        """The payload ``metadata``: the attributes plus the group id under ``group_key``."""
        ...

    def task_id(self, ann: Annotation, where: object) -> Any:
        """``extra["task_id"]`` for ground truth (counted as dropped on a prediction)."""
        ...

    def begin(
        self, ann: Annotation, allowed: frozenset[str], where: object
    ) -> tuple[dict[str, Any], Any]:
        """Count ``extra`` keys the payload has no place for and the annotation as kept;
        return the payload ``metadata`` and ``task_id``."""
        ...

    def extra(self, ann: Annotation, allowed: frozenset[str], where: object) -> None:
        """Count every ``extra`` key the payload has no place for (``allowed`` it has)."""
        ...

    def prediction_fields(
        self, ann: Annotation, payload: dict[str, Any], where: object, *, pdf: bool = True
    ) -> None:
        """Write ``confidence`` (and ``class_pdf`` when ``pdf``) on a prediction; count them
        as dropped on ground truth."""
        ...


class DecodeContext(Protocol):
    """What a codec's :meth:`Codec.decode` may use of the Nucleus decoder."""

    group_key: str
    resolve_url: Callable[[str], str]


class Codec(ABC, Generic[A]):
    """One annotation kind: its model class, Nucleus payload, loss declaration and comparison.

    Subclasses set the class attributes below; they are checked against the model when the
    subclass is defined, so a codec cannot name a field its model class does not have.
    """

    kind: ClassVar[str]
    """The model kind (``Box.kind`` is ``"box"``)."""
    model: ClassVar[type[Annotation]]
    """The model class of the kind."""
    nucleus_types: ClassVar[tuple[str, ...]]
    """Payload ``type`` values this codec decodes; empty when Nucleus has no such payload."""
    no_payload: ClassVar[str] = ""
    """Why Nucleus has no payload for the kind (required when :attr:`nucleus_types` is empty)."""
    on_scene: ClassVar[bool] = False
    """The kind lives on scenes, not on items."""
    payload_metadata: ClassVar[bool] = True
    """The payload's ``metadata`` holds the annotation's attributes (and group id)."""
    carries: ClassVar[frozenset[str]]
    """Model fields the Nucleus payload keeps."""
    handled: ClassVar[frozenset[str]] = frozenset({"extra"})
    """Fields :meth:`encode` counts itself (``extra`` key by key; prediction fields...)."""
    reasons: ClassVar[Mapping[str, str]] = {}
    """Why a field the payload does not keep is dropped."""
    special_fields: ClassVar[frozenset[str]] = frozenset()
    """Fields :meth:`compare_special` compares (the others are compared by default)."""
    _compared: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not hasattr(cls, "kind"):
            return  # an intermediate base such as PayloadlessCodec
        if cls.model.kind != cls.kind:
            raise TypeError(f"{cls.__name__}: model {cls.model.__name__} is not kind {cls.kind!r}")
        if not cls.nucleus_types and not cls.no_payload:
            raise TypeError(f"{cls.__name__}: no Nucleus type and no word on why (no_payload)")
        names = set(cls.fields())
        declared = cls.carries | cls.handled | cls.special_fields | set(cls.reasons)
        unknown = declared - names - _NOT_COMPARED
        if unknown:
            raise TypeError(f"{cls.__name__}: {cls.kind} has no field(s) {sorted(unknown)}")
        cls._compared = tuple(n for n in cls.fields() if n not in cls.special_fields)

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The model fields of the kind, in declaration order (``prediction`` left out)."""
        return tuple(f.name for f in dataclasses.fields(cls.model) if f.name not in _NOT_COMPARED)

    # -- Nucleus

    @abstractmethod
    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> A:
        """Build the annotation from its payload.

        ``common`` holds the keyword arguments every annotation takes, already decoded
        (``label``, ``id``, ``attributes``, ``track_id``, ``group_id``, ``score``,
        ``class_pdf``, ``prediction``, ``extra``); ``geometry`` is the payload's ``geometry``
        object (empty when absent). Errors are :class:`InputError` naming the field.
        """

    @abstractmethod
    def encode(
        self,
        ann: A,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        """The payload of ``ann`` on item (or scene) ``reference_id``, shaped exactly as the
        official client's ``to_payload()``; ``None`` when Nucleus cannot take it (the codec has
        counted it in ``ctx.report``).

        ``where`` names the record in messages (formatted only when one is raised or
        recorded); ``mask_url`` is where a segmentation's mask was written. Runs once per
        annotation: rare cases hide behind one cheap test each.
        """

    # -- round trips

    def compare(self, a: A, b: A, cmp: Comparison, where: str) -> None:
        """Count every field of ``a`` against ``b`` (same kind) in ``cmp``'s report.

        By default each model field is compared under its own name: numbers within the
        tolerance, everything else equal; an ``id`` only when ``a`` has one (a writer may invent
        one). Fields in :attr:`special_fields` go to :meth:`compare_special`.
        """
        kind = self.kind
        for name in self._compared:
            value = getattr(a, name)
            if name == "id" and value is None:
                continue
            cmp.value(kind, name, value, getattr(b, name), where)
        if self.special_fields:
            self.compare_special(a, b, cmp, where)

    def compare_special(self, a: A, b: A, cmp: Comparison, where: str) -> None:
        """Compare the fields of :attr:`special_fields` (none by default)."""


class PayloadlessCodec(Codec[A]):
    """A kind Nucleus has no payload for: never decoded; encoding counts it as dropped."""

    nucleus_types: ClassVar[tuple[str, ...]] = ()
    carries: ClassVar[frozenset[str]] = frozenset()
    handled: ClassVar[frozenset[str]] = frozenset()

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> A:
        raise InputError(f"Nucleus has no {self.kind} payload", field="type")

    def encode(
        self,
        ann: A,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        ctx.report.dropped(self.kind, reason=self.no_payload, example=str(where))
        return None
