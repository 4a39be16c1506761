"""The bundle's ``manifest.json``: source, counts, header, metadata schema and loss report.

The header (categories, taxonomies, skeletons, ``header_extra``) is written whole and read
back exactly; a bundle without a manifest gets its header inferred from its annotations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert._version import __version__ as _version
from nucleus_convert.converters.nucleus.schema import BUNDLE_VERSION
from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation, Category, Header, Keypoints, Skeleton, Taxonomy

__all__ = [
    "HeaderFact",
    "HeaderFacts",
    "fact_key",
    "header_fact",
    "header_from_manifest",
    "infer_header",
    "infer_header_from_facts",
    "manifest_bytes",
]


def _check_names(header: Header, path: Path) -> Header:
    """Category names, skeleton point names and taxonomy labels must be strings (they are
    hashed and compared with annotation labels)."""
    names = [
        *(("categories", c.name) for c in header.categories),
        *(("skeletons", n) for s in header.skeletons.values() for n in s.names),
        *(("taxonomies", label) for t in header.taxonomies.values() for label in t.labels),
    ]
    for field, name in names:
        if not isinstance(name, str):
            raise InputError(
                f"malformed manifest: expected a string name, got {brief(name)}",
                path=path,
                field=field,
            )
    return header


def header_from_manifest(manifest: dict[str, Any], path: Path) -> Header:
    """The header a manifest records (empty parts where it says nothing)."""
    try:
        return _check_names(_header(manifest), path)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"malformed manifest: {type(exc).__name__}: {exc}", path=path) from None


def _header(manifest: dict[str, Any]) -> Header:
    """The header fields of a manifest, built as they are (:func:`_check_names` checks)."""
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
            label: Skeleton(names=list(s["names"]), edges=[(a, b) for a, b in s.get("edges", [])])
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


def _labels(ann: Annotation) -> list[str]:
    return getattr(ann, "labels", None) or ([ann.label] if ann.label else [])


HeaderFact = tuple[tuple[str, ...], str | None, Skeleton | None, str | None]
"""What one annotation tells the header: its labels, the label and skeleton of a keypoints
annotation (else None, None), and its taxonomy."""


def header_fact(ann: Annotation) -> HeaderFact:
    """The :data:`HeaderFact` of ``ann``."""
    labels = tuple(_labels(ann))
    if isinstance(ann, Keypoints):
        skeleton = Skeleton(list(ann.names), list(ann.skeleton or []))
        return labels, ann.label, skeleton, getattr(ann, "taxonomy", None)
    return labels, None, None, getattr(ann, "taxonomy", None)


def fact_key(fact: HeaderFact) -> tuple[tuple[str, ...], str | None, str | None]:
    """Two facts with one key add the same to a header after the first (a keypoints label's
    skeleton is its first one): a reader may keep one of each per item."""
    return fact[0], fact[1], fact[3]


class HeaderFacts:
    """What each item's annotations tell the header, kept by a reader that does not keep the
    annotations themselves: one fact of each kind (:func:`fact_key`) per item, items in order
    of first appearance. :meth:`infer` gives the header :func:`infer_header` would give."""

    def __init__(self) -> None:
        self.by_item: dict[str, list[HeaderFact]] = defaultdict(list)
        self._keys: dict[str, set[Any]] = defaultdict(set)

    def add(self, ref: str, ann: Annotation) -> None:
        """Note what ``ann``, an annotation of item ``ref``, tells the header."""
        fact = header_fact(ann)
        key = fact_key(fact)
        keys = self._keys[ref]
        if key not in keys:
            keys.add(key)
            self.by_item[ref].append(fact)

    def infer(self, header: Header) -> None:
        """Fill ``header`` from the facts (:func:`infer_header_from_facts`)."""
        self._keys.clear()
        infer_header_from_facts(header, self.by_item)


def infer_header(header: Header, annotations: Mapping[str, list[Annotation]]) -> None:
    """Fill categories, skeletons and taxonomies from the annotations where no manifest said."""
    infer_header_from_facts(
        header, {ref: [header_fact(a) for a in anns] for ref, anns in annotations.items()}
    )


def infer_header_from_facts(header: Header, facts: Mapping[str, list[HeaderFact]]) -> None:
    """:func:`infer_header` from the :data:`HeaderFact` of each item's annotations, in order."""
    seen = {c.name for c in header.categories}
    for item_facts in facts.values():
        for labels, keypoints_label, skeleton, taxonomy in item_facts:
            for label in labels:
                if label not in seen:
                    seen.add(label)
                    header.categories.append(Category(name=label))
            if skeleton is not None and keypoints_label not in header.skeletons:
                assert keypoints_label is not None
                header.skeletons[keypoints_label] = skeleton
            if taxonomy is not None:
                tax = header.taxonomies.setdefault(taxonomy, Taxonomy(name=taxonomy))
                for label in labels:
                    if label not in tax.labels:
                        tax.labels.append(label)


def _header_json(header: Header) -> dict[str, Any]:
    return {
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
    }


def manifest_bytes(
    header: Header,
    *,
    base_url: str,
    group_key: str,
    files: dict[str, str],
    counts: dict[str, int],
    parts: dict[str, list[str]] | None = None,
    metadata_schema: dict[str, Any],
    report: LossReport,
) -> bytes:
    """The manifest's JSON text (indented, with a final newline). ``parts`` (a file name -> its
    parts in order, see :mod:`.parts`) is written only when a file was split.

    Raises :class:`OutputError` when the header holds something that is not JSON.
    """
    manifest: dict[str, Any] = {
        "nucleus_convert": {"version": _version, "bundle_version": BUNDLE_VERSION},
        "source": header.source,
        "base_url": base_url or None,
        "group_key": group_key,
        "files": files,
        **({"parts": parts} if parts else {}),
        "counts": counts,
        **_header_json(header),
        "metadata_schema": metadata_schema,
        "loss": report.to_json(),
        "skipped": report.skipped,
    }
    try:
        data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    except TypeError as exc:
        raise OutputError(
            f"manifest: the dataset header holds something that is not JSON: {exc}"
        ) from None
    return data + b"\n"
