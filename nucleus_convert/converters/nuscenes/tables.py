"""Loading the nuScenes v1.0 JSON tables and reading their fields with located errors.

A table is a JSON array of objects, each with a unique string ``token``. Every field is read
through the getters here, which check its type and raise one
:class:`~nucleus_convert.errors.InputError` naming the table file, the record
(``sample_data 9d9bf11f...``) and the field; :meth:`Tables.get` follows a foreign key and
names the dangling token precisely. Fields are checked when the reader uses them, so the
records it never reads (sweeps, radar) cost nothing but the JSON parse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucleus_convert.converters.nuscenes.poses import Pose, Quat, Vec3
from nucleus_convert.converters.nuscenes.schema import OPTIONAL_TABLES, REQUIRED_TABLES
from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.files import gc_paused, load_json

__all__ = [
    "Tables",
    "find_tables",
    "flag",
    "integer",
    "intrinsic",
    "is_tables_folder",
    "load_table",
    "load_tables",
    "pose",
    "quaternion",
    "text",
    "token_list",
    "vector",
]


def is_tables_folder(path: Path) -> bool:
    """A folder holding every required table file (``scene.json``, ``sample.json``...)."""
    return path.is_dir() and all((path / f"{name}.json").is_file() for name in REQUIRED_TABLES)


def find_tables(src: Path, version: str = "") -> Path:
    """The folder of tables ``src`` names: ``src`` itself (``v1.0-mini/``), its folder when it is
    a table file, or the one table folder inside it (the dataroot; ``version`` picks one of
    several)."""
    if src.is_file() and src.suffix == ".json" and is_tables_folder(src.parent):
        return src.parent
    if not src.is_dir():
        raise InputError("not a nuScenes table folder or dataroot", path=src)
    if version:
        if not is_tables_folder(src / version):
            raise InputError(f"no table folder {version!r} here (read option version)", path=src)
        return src / version
    if is_tables_folder(src):
        return src
    found = sorted(d for d in src.iterdir() if not d.name.startswith(".") and is_tables_folder(d))
    if not found:
        names = ", ".join(f"{t}.json" for t in REQUIRED_TABLES)
        raise InputError(
            f"neither a nuScenes table folder ({names}) nor a folder holding one", path=src
        )
    if len(found) > 1:
        listed = ", ".join(d.name for d in found)
        raise InputError(
            f"several table folders ({listed}): name one with -r version=NAME", path=src
        )
    return found[0]


@dataclass(slots=True)
class Tables:
    """The tables of one folder, in file order, and an index by token."""

    folder: Path
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    index: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The dataroot: ``sample_data`` and ``map`` file names are relative to it."""
        return self.folder.parent

    @property
    def version(self) -> str:
        return self.folder.name

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.json"

    def has(self, table: str) -> bool:
        return table in self.rows

    def error(self, table: str, rec: dict[str, Any], name: str | None, message: str) -> InputError:
        """An InputError naming ``table``'s file, the record's token and the field."""
        return InputError(
            message, path=self.path(table), record=f"{table} {rec['token']}", field=name
        )

    def get(
        self, table: str, token: Any, source: str, rec: dict[str, Any], name: str
    ) -> dict[str, Any]:
        """The ``table`` record ``token`` that field ``name`` of ``source`` record ``rec``
        names; a dangling token is an error naming both."""
        found = self.index.get(table, {}).get(token) if isinstance(token, str) else None
        if found is None:
            what = f"no {table}.json" if table not in self.rows else f"no {table} record has it"
            raise self.error(source, rec, name, f"token {token!r} is dangling: {what}")
        return found


def _load(path: Path, table: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    with gc_paused():
        rows = load_json(path)
    if not isinstance(rows, list):
        raise InputError(
            f"a table is a JSON array of records, not {type(rows).__name__}", path=path
        )
    index: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(rows):
        if not isinstance(rec, dict):
            raise InputError(
                f"a record is an object, not {type(rec).__name__}",
                path=path,
                record=f"{table} record {n}",
            )
        token = rec.get("token")
        if not isinstance(token, str) or not token:
            raise InputError(
                "a record needs a non-empty string token",
                path=path,
                record=f"{table} record {n}",
                field="token",
            )
        if token in index:
            raise InputError(
                "token appears twice in the table",
                path=path,
                record=f"{table} {token}",
                field="token",
            )
        index[token] = rec
    return rows, index


def load_table(tables: Tables, name: str) -> None:
    """Load the table ``name`` of ``tables.folder`` (checked as every table is)."""
    tables.rows[name], tables.index[name] = _load(tables.path(name), name)


def load_tables(folder: Path) -> Tables:
    """Load every required table and the optional ones present."""
    tables = Tables(folder)
    for name in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        if name in OPTIONAL_TABLES and not tables.path(name).is_file():
            continue
        load_table(tables, name)
    return tables


# --------------------------------------------------------------------------- field getters


def _field(t: Tables, table: str, rec: dict[str, Any], name: str) -> Any:
    if name not in rec:
        raise t.error(table, rec, name, "the field is missing")
    return rec[name]


def text(t: Tables, table: str, rec: dict[str, Any], name: str, default: str | None = None) -> str:
    """A string field (``default`` when absent, if given)."""
    if default is not None and name not in rec:
        return default
    value = _field(t, table, rec, name)
    if not isinstance(value, str):
        raise t.error(table, rec, name, f"expected a string, got {type(value).__name__}")
    return value


def integer(t: Tables, table: str, rec: dict[str, Any], name: str, minimum: int = 0) -> int:
    """An integer field, at least ``minimum``."""
    value = _field(t, table, rec, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise t.error(table, rec, name, f"expected an integer >= {minimum}, got {value!r}")
    return value


def flag(t: Tables, table: str, rec: dict[str, Any], name: str) -> bool:
    value = _field(t, table, rec, name)
    if not isinstance(value, bool):
        raise t.error(table, rec, name, f"expected true or false, got {value!r}")
    return value


def _numbers(value: Any, n: int) -> list[float] | None:
    if not isinstance(value, list) or len(value) != n:
        return None
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return None
        out.append(float(v))
    return out


def vector(t: Tables, table: str, rec: dict[str, Any], name: str) -> Vec3:
    """Three finite numbers (metres)."""
    nums = _numbers(_field(t, table, rec, name), 3)
    if nums is None:
        raise t.error(table, rec, name, f"expected 3 finite numbers, got {rec[name]!r}")
    return (nums[0], nums[1], nums[2])


_NORM_RANGE = (1e-6, 1e6)
"""Norms a quaternion may have (it is normalised before use; outside this range its squares
underflow or overflow, and no rotation is that far from a unit quaternion)."""


def quaternion(t: Tables, table: str, rec: dict[str, Any], name: str) -> Quat:
    """A rotation ``[w, x, y, z]``: four finite numbers whose norm is within
    :data:`_NORM_RANGE`."""
    nums = _numbers(_field(t, table, rec, name), 4)
    if nums is None or not _NORM_RANGE[0] <= math.hypot(*nums) <= _NORM_RANGE[1]:
        raise t.error(
            table, rec, name, f"expected a rotation quaternion [w, x, y, z], got {rec[name]!r}"
        )
    return (nums[0], nums[1], nums[2], nums[3])


def pose(t: Tables, table: str, rec: dict[str, Any]) -> Pose:
    """The record's ``rotation`` and ``translation`` as a pose (child frame in its parent)."""
    return Pose(quaternion(t, table, rec, "rotation"), vector(t, table, rec, "translation"))


def intrinsic(t: Tables, table: str, rec: dict[str, Any]) -> list[list[float]] | None:
    """``camera_intrinsic``: a 3x3 matrix of finite numbers, or None when empty."""
    value = _field(t, table, rec, "camera_intrinsic")
    if value == []:
        return None
    rows = (
        [_numbers(row, 3) for row in value] if isinstance(value, list) and len(value) == 3 else None
    )
    if rows is None or any(r is None for r in rows):
        raise t.error(table, rec, "camera_intrinsic", f"expected [] or a 3x3 matrix, got {value!r}")
    return [r for r in rows if r is not None]


def token_list(t: Tables, table: str, rec: dict[str, Any], name: str) -> list[str]:
    """A list of tokens."""
    value = _field(t, table, rec, name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise t.error(table, rec, name, f"expected a list of tokens, got {value!r}")
    return list(value)
