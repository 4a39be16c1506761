"""Nucleus metadata rules, checked before anything is written.

From the Nucleus metadata guide and the ``DatasetItem`` documentation:

* the schema is inferred separately for items, scenes, ground-truth annotations and predictions
  ("scopes" here), and within one scope a key must keep one type: numerical or text. Nucleus
  refuses an upload that mixes them.
* Nucleus has no boolean type: JSON ``true``/``false`` is numerical to it (1/0, as Python's
  ``bool`` is an ``int``). So a key holding booleans is checked as a number: booleans mix with
  ints and floats, not with strings. Values themselves are written unchanged.
* NaN and infinities are not JSON; ``orjson`` would silently write them as ``null``, so they
  are refused here.
* numpy scalars and other non-JSON objects are refused with the key that holds them (the
  official client serialises with ``json.dumps``, which rejects them too).

``None`` values carry no type. Lists and objects are "other" metadata (shown in the detail
view) and are not type-checked against each other, but their contents must be JSON.
"""

from __future__ import annotations

import math
from typing import Any

from nucleus_convert.errors import OutputError

__all__ = ["MetadataChecker", "check_json_value"]


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def check_json_value(value: Any, where: str) -> None:
    """Raise :class:`OutputError` unless ``value`` is plain, finite JSON."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OutputError(f"{where}: {value} is not allowed (Nucleus metadata must be JSON)")
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json_value(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise OutputError(f"{where}: key {k!r} is not a string")
            check_json_value(v, f"{where}.{k}")
        return
    module = type(value).__module__
    hint = " (a numpy scalar: convert it with .item())" if module.startswith("numpy") else ""
    raise OutputError(f"{where}: {type(value).__name__} is not a JSON value{hint}")


class MetadataChecker:
    """Remembers the type of every metadata key per scope and refuses conflicts."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, tuple[str, object]]] = {}

    def check(self, scope: str, metadata: dict[str, Any], where: object) -> None:
        """Check one metadata dict; ``where`` names the record for the error message (anything
        that formats as its name: it is only formatted for a message)."""
        seen = self._seen.setdefault(scope, {})
        for key, value in metadata.items():
            if type(key) is not str:
                raise OutputError(f"{where}: metadata key {key!r} is not a string")
            t = type(value)
            if t is str:
                kind: str | None = "text"
            elif t is int or t is bool or (t is float and math.isfinite(value)):
                kind = "number"
            else:
                check_json_value(value, f"{where}: metadata.{key}")
                kind = _kind(value)
            if kind is None:
                continue
            prev = seen.get(key)
            if prev is None:
                seen[key] = (kind, where)
            elif prev[0] != kind:
                raise OutputError(
                    f"{where}: metadata key {key!r} is {kind} ({value!r}) but was {prev[0]} at "
                    f"{prev[1]}; Nucleus needs one type per {scope} metadata key"
                )

    def state(self) -> dict[str, dict[str, tuple[str, str]]]:
        """The types seen, with where each was first seen (as text): picklable, for
        :meth:`merge_states`."""
        return {
            scope: {k: (v[0], str(v[1])) for k, v in keys.items()}
            for scope, keys in self._seen.items()
        }

    def merge_states(self, states: list[dict[str, dict[str, tuple[str, str]]]]) -> bool:
        """Take the :meth:`state` of checkers that saw consecutive runs of records, in order,
        as if this one had seen them all; False (nothing taken) when a key has two types."""
        merged: dict[str, dict[str, tuple[str, object]]] = {}
        for state in states:
            for scope, keys in state.items():
                seen = merged.setdefault(scope, {})
                for key, (kind, where) in keys.items():
                    prev = seen.setdefault(key, (kind, where))
                    if prev[0] != kind:
                        return False
        self._seen = merged
        return True

    def schema(self) -> dict[str, dict[str, str]]:
        """``{scope: {key: "number" | "text"}}`` as seen so far."""
        return {
            scope: {k: v[0] for k, v in sorted(keys.items())}
            for scope, keys in sorted(self._seen.items())
        }
