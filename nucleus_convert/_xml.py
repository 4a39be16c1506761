"""Untrusted XML (VOC annotations, KITTI tracklets), parsed safely with lxml.

Annotation XML comes from anywhere, so the parser is locked down:

* a document type declaration is refused before anything is parsed: it is where internal
  entities (the "billion laughs" expansion) and external entities (``SYSTEM "file:///..."``,
  which read local files or the network) are declared, and no annotation format needs one;
* the lxml parser itself resolves no entity, loads no DTD, has no network access and keeps
  libxml2's size limits (``huge_tree`` off), and a DTD found after parsing (for example in a
  UTF-16 file the byte scan cannot see) is refused too;
* comments and processing instructions are dropped, so iterating an element's children yields
  elements only.

Errors are :class:`~nucleus_convert.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from nucleus_convert.errors import InputError

__all__ = ["child_text", "parse_xml"]

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(path: Path) -> etree._Element:
    """Parse ``path`` and return its root element, refusing DTDs and entities."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read XML: {exc.strerror or exc}", path=path) from None
    found = _DECLARATION.search(data)
    if found is not None:
        line = data.count(b"\n", 0, found.start()) + 1
        raise InputError(
            f"XML declares a {found.group(1).decode().upper()}; document type and entity "
            "declarations are refused (they enable entity-expansion and external-entity "
            "attacks, and annotation files never need them)",
            path=path,
            line=line,
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(f"malformed XML: {exc.msg}", path=path, line=exc.lineno) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InputError(
            "XML declares a DOCTYPE; document type and entity declarations are refused",
            path=path,
            line=1,
        )
    return root


def child_text(element: etree._Element, tag: str) -> str | None:
    """The stripped text of ``element``'s first ``tag`` child, or None when there is none."""
    child = element.find(tag)
    if child is None:
        return None
    return (child.text or "").strip()
