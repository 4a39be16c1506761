"""Structure-aware mutation of XML files (VOC annotations, KITTI raw tracklets).

Elements are dropped, duplicated, moved or nested very deep; texts and attributes get hostile
tokens; entity declarations (an internal entity expanded a billion times, an external one
naming a local file) are put in front. Unparseable input gets byte mutations.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from fuzz.bytes_ops import mutate_bytes
from fuzz.rng import Rng, pick
from fuzz.values import TOKENS

__all__ = ["mutate_xml"]

_DOCTYPES = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>',
    '<!DOCTYPE r [<!ENTITY h SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r [<!ENTITY h SYSTEM "file:///dev/zero">]>',
    '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p; <!ENTITY h "x">]>',
)
_SENTINEL = "\u0001ENTITY\u0001"
_DEEP = "\u0001DEEP\u0001"


def _elements(root: ET.Element) -> list[tuple[ET.Element | None, ET.Element]]:
    """(parent, element) for every element (the root's parent is ``None``)."""
    out: list[tuple[ET.Element | None, ET.Element]] = [(None, root)]
    for parent in root.iter():
        out.extend((parent, child) for child in parent)
    return out


def _mutate_tree(root: ET.Element, rng: Rng) -> bool:
    """One change to the tree; True when it put an entity reference in (needs a DOCTYPE)."""
    parent, el = pick(rng, _elements(root))
    op = rng.randrange(7)
    if op == 0 and parent is not None:
        parent.remove(el)
    elif op == 1 and parent is not None:
        parent.insert(list(parent).index(el), copy.deepcopy(el))
    elif op == 2:
        el.set(pick(rng, ("id", "x", "xmlns:q")), pick(rng, TOKENS).replace("\x00", ""))
    elif op == 3:
        el.text = _SENTINEL
        return True
    elif op == 4:
        el.text = _DEEP
    elif op == 5 and parent is not None:
        ET.SubElement(el, el.tag).text = pick(rng, TOKENS)
    else:
        el.text = pick(rng, TOKENS)
    return False


def mutate_xml(data: bytes, rng: Rng) -> bytes:
    """A mutated XML document."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return mutate_bytes(data, rng)
    if rng.randrange(10) == 0:
        return mutate_bytes(data, rng)
    uses_entity = False
    for _ in range(1 + rng.randrange(3)):
        uses_entity |= _mutate_tree(root, rng)
    try:
        text = ET.tostring(root, encoding="unicode")
    except RecursionError:  # an earlier mutation nested it very deep
        return mutate_bytes(data, rng)
    depth = 1 + rng.randrange(50_000)
    text = text.replace(_DEEP, "<d>" * depth + "</d>" * depth)
    text = text.replace(_SENTINEL, "&h;")
    head = '<?xml version="1.0"?>\n'
    if uses_entity or rng.randrange(6) == 0:
        head += pick(rng, _DOCTYPES) + "\n"
    return (head + text).encode("utf-8", "surrogatepass")
