"""Structure-aware mutation of JSON documents and JSON-lines files.

A document is parsed, one or a few nodes are changed (type swapped, key dropped or added, list
element duplicated so that ids repeat, hostile numbers and strings, deep nesting), and it is
serialised again; raw text that ``json`` cannot emit (``NaN``, 5,001-digit integers, 100,000
levels of nesting) is spliced in through placeholders. Text that does not parse gets byte
mutations instead.
"""

from __future__ import annotations

import json
from typing import Any

from fuzz.bytes_ops import mutate_bytes
from fuzz.rng import Rng, pick
from fuzz.values import py_value, raw_json

__all__ = ["mutate_json", "mutate_jsonl"]

_RAW = "\u0001RAW{}\u0001"


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every node of ``doc`` (the root is ``()``), depth first."""
    out = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_nodes(value, (*path, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend(_nodes(value, (*path, index)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    """``doc`` with the node at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _mutate_node(doc: Any, rng: Rng, raws: list[str]) -> Any:
    """One structural change at a random node."""
    path = pick(rng, _nodes(doc))
    node = _get(doc, path)
    op = rng.randrange(8)
    if op == 0 and isinstance(node, dict) and node:
        del node[pick(rng, list(node))]
        return doc
    if op == 1 and isinstance(node, list) and node:
        index = rng.randrange(len(node))
        node.insert(index, json.loads(json.dumps(node[index])))  # a duplicate: ids repeat
        return doc
    if op == 2 and isinstance(node, dict):
        node[pick(rng, ("id", "extra", "\x00", "x" * 300, "segmentation", "metadata"))] = py_value(
            rng
        )
        return doc
    if op == 3:
        raws.append(raw_json(rng))
        return _set(doc, path, _RAW.format(len(raws) - 1))
    if op == 4 and isinstance(node, list) and node:
        node.extend(node * rng.randrange(1, 200))
        return doc
    if op == 5 and isinstance(node, (int, float)) and not isinstance(node, bool):
        return _set(doc, path, pick(rng, (-node, node * 10**12, node + 0.5, 0, -1)))
    if op == 6 and isinstance(node, str):
        return _set(doc, path, pick(rng, (node * 200, node + "\x00", "", "../" + node, "/" + node)))
    return _set(doc, path, py_value(rng))


def _dump(doc: Any, raws: list[str]) -> str:
    text = json.dumps(doc, ensure_ascii=False, allow_nan=True)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(_RAW.format(index)), raw)
    return text


def mutate_document(doc: Any, rng: Rng) -> str:
    """A parsed document with 1-3 structural changes, as text."""
    raws: list[str] = []
    for _ in range(1 + rng.randrange(3)):
        doc = _mutate_node(doc, rng, raws)
    return _dump(doc, raws)


def mutate_json(data: bytes, rng: Rng) -> bytes:
    """A mutated JSON document (byte mutations for one input in eight, or unparseable text)."""
    try:
        doc = json.loads(data)
        if rng.randrange(8) == 0:
            return mutate_bytes(data, rng)
        return mutate_document(doc, rng).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):  # not JSON, or nested deeper than we walk
        return mutate_bytes(data, rng)


def mutate_jsonl(data: bytes, rng: Rng) -> bytes:
    """A JSON-lines file with one or two lines mutated, duplicated, dropped or added."""
    lines = data.split(b"\n")
    if not any(lines) or rng.randrange(10) == 0:
        return mutate_bytes(data, rng)
    for _ in range(1 + rng.randrange(2)):
        index = rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            lines.insert(index, lines[index])
        elif op == 1:
            del lines[index]
            if not lines:
                lines = [b""]
        elif op == 2:
            lines.insert(index, pick(rng, (b"{}", b"[]", b"null", b"1", b"{", b"\x00")))
        else:
            lines[index] = mutate_json(lines[index], rng) if lines[index] else b"{}"
    return b"\n".join(lines)
