"""Label map files: old label name to new name, several to one, or to nothing to drop.

Three spellings, chosen by the file's suffix:

* YAML (``.yaml``/``.yml``) or JSON (``.json``): one mapping of old name to new name; ``null``
  or an empty string drops the label. YAML is read with ``safe_load`` (no Python objects).
* CSV (``.csv``, or ``.tsv`` separated by tabs): two columns, old and new; an empty or missing
  second column drops the label. A first row ``old,new`` (or ``from,to``, ``source,target``,
  any case) is a header; blank rows and rows starting with ``#`` are skipped.

Names are text; whole numbers are taken as their decimal text (YAML reads ``7: car`` as the
number 7). Anything else, a name given twice in a CSV, or a file over :data:`MAX_BYTES` is an
:class:`~nucleus_convert.errors.InputError` naming the file, the row and the field.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import yaml

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.files import read_file_bytes

__all__ = ["MAX_BYTES", "load_label_map"]

MAX_BYTES = 16 << 20
"""Largest label map file read (16 MiB: a million rows)."""

_HEADERS = {("old", "new"), ("from", "to"), ("source", "target")}


def load_label_map(path: str | Path) -> dict[str, str | None]:
    """The map in ``path``: old name to new name, ``None`` to drop (see the module
    docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".csv", ".tsv"):
        raise InputError(
            "a label map is .yaml, .yml, .json, .csv or .tsv (old name, new name)", path=path
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    if size > MAX_BYTES:
        raise InputError(
            f"{size} bytes is over the {MAX_BYTES}-byte limit of a label map", path=path
        )
    data = read_file_bytes(path)
    if suffix in (".csv", ".tsv"):
        return _from_rows(data, path, "\t" if suffix == ".tsv" else ",")
    return _from_mapping(_parse_mapping(data, path, suffix), path)


def _parse_mapping(data: bytes, path: Path, suffix: str) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    try:
        if suffix == ".json":
            return orjson.loads(data)
        return yaml.safe_load(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "malformed"
        raise InputError(f"not YAML: {problem}", path=path, line=line) from None


def _from_mapping(value: Any, path: Path) -> dict[str, str | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"expected a mapping of old name to new name, got {type(value).__name__}", path=path
        )
    out: dict[str, str | None] = {}
    for key, new in value.items():
        old = _name(key, path, f"key {key!r}", "old name")
        record = f"label {old!r}"
        out[old] = None if new is None or new == "" else _name(new, path, record, "new name")
    return out


def _from_rows(data: bytes, path: Path, delimiter: str) -> dict[str, str | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    out: dict[str, str | None] = {}
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError(f"not CSV: {exc}", path=path) from None
    for n, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if n == 1 and tuple(c.lower() for c in cells) in _HEADERS:
            continue
        if len(cells) > 2:
            raise InputError(
                f"{len(cells)} columns; expected old name, new name", path=path, line=n
            )
        old = cells[0]
        if not old:
            raise InputError("empty", path=path, line=n, field="old name")
        if old in out:
            raise InputError(f"label {old!r} is mapped twice", path=path, line=n)
        out[old] = cells[1] if len(cells) == 2 and cells[1] else None
    return out


def _name(value: Any, path: Path, record: str, field: str) -> str:
    """A label name: text, or a whole number as its decimal text."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(
        f"expected a label name (text), got {type(value).__name__} {value!r}"[:200]
        + " (quote it)" * isinstance(value, bool | float),
        path=path,
        record=record,
        field=field,
    )
