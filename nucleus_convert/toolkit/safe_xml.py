"""Untrusted XML (VOC annotations, KITTI tracklets), parsed safely with lxml.

Annotation XML comes from anywhere, so the parser is locked down:

* a document type declaration is refused before anything is parsed: it is where internal
  entities (the "billion laughs" expansion) and external entities (``SYSTEM "file:///..."``,
  which read local files or the network) are declared. The one exception is a caller's
  ``doctype``: a bare ``<!DOCTYPE name>`` with that name and nothing else (no internal subset,
  no ``SYSTEM``/``PUBLIC`` identifier), which declares nothing. Boost's XML archives (KITTI
  raw tracklets) start with ``<!DOCTYPE boost_serialization>``;
* the lxml parser itself resolves no entity, loads no DTD, has no network access and keeps
  libxml2's size limits (``huge_tree`` off), and a DTD found after parsing (for example in a
  UTF-16 file the byte scan cannot see) is refused too;
* comments and processing instructions are dropped, so iterating an element's children yields
  elements only.

* elements may nest at most :data:`~nucleus_convert.toolkit.limits.MAX_DEPTH` levels (64;
  annotation XML needs a handful), so that no reader recurses into a hostile tree.

Errors are :class:`~nucleus_convert.errors.InputError` naming the file and the line, on one
line (libxml2's messages can hold line breaks).
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.limits import MAX_DEPTH

__all__ = ["child_text", "parse_xml"]

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_BARE_DOCTYPE = re.compile(rb"<!DOCTYPE[ \t\r\n]+([A-Za-z_][A-Za-z0-9_.-]*)[ \t\r\n]*>")


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


def _refused_declaration(data: bytes, doctype: str | None) -> re.Match[bytes] | None:
    """The first DOCTYPE/ENTITY declaration that is not the allowed bare ``doctype``."""
    allowed = doctype.encode("ascii") if doctype is not None else None
    for found in _DECLARATION.finditer(data):
        bare = _BARE_DOCTYPE.match(data, found.start())
        if allowed is not None and bare is not None and bare.group(1) == allowed:
            continue
        return found
    return None


def _is_bare(docinfo: etree.DocInfo, doctype: str | None) -> bool:
    """The document's DOCTYPE is ``<!DOCTYPE doctype>``: no identifier, no declaration."""
    if doctype is None or docinfo.doctype != f"<!DOCTYPE {doctype}>":
        return False
    if docinfo.system_url is not None or docinfo.public_id is not None:
        return False
    dtd = docinfo.internalDTD
    return dtd is None or not (
        any(True for _ in dtd.iterelements()) or any(True for _ in dtd.iterentities())
    )


def parse_xml(path: Path, *, doctype: str | None = None) -> etree._Element:
    """Parse ``path`` and return its root element, refusing DTDs and entities.

    ``doctype`` names the one bare ``<!DOCTYPE name>`` the file may carry (see the module doc).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read XML: {exc.strerror or exc}", path=path) from None
    found = _refused_declaration(data, doctype)
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
        message = " ".join(str(exc.msg or exc).split())
        raise InputError(f"malformed XML: {message}", path=path, line=exc.lineno) from None
    except (ValueError, etree.LxmlError) as exc:  # e.g. an encoding libxml2 cannot use
        message = " ".join(str(exc).split())
        raise InputError(f"malformed XML: {message}", path=path) from None
    _check_depth(root, path)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype and not _is_bare(docinfo, doctype):
        raise InputError(
            "XML declares a DOCTYPE; document type and entity declarations are refused",
            path=path,
            line=1,
        )
    return root


def _check_depth(root: etree._Element, path: Path) -> None:
    """Refuse elements nested deeper than :data:`MAX_DEPTH` levels (the root is level 1)."""
    depth = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > MAX_DEPTH:
            raise InputError(
                f"XML elements nest more than {MAX_DEPTH} levels deep",
                path=path,
                line=el.sourceline,
            )


def child_text(element: etree._Element, tag: str) -> str | None:
    """The stripped text of ``element``'s first ``tag`` child, or None when there is none."""
    child = element.find(tag)
    if child is None:
        return None
    return (child.text or "").strip()
