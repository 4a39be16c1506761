"""Shrink a crashing input while it keeps its crash class.

Greedy: for a JSON document, drop object members and list elements one at a time; then, for any
file, remove byte chunks of halving sizes. Every candidate is run through the fork server; the
budget bounds how many runs one minimisation may take.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fuzz.cases import Case

__all__ = ["minimise"]

Check = Callable[[Case], bool]


def _json_candidates(doc: Any) -> list[Any]:
    """Documents with one member or element removed, the biggest removals first."""
    out: list[Any] = []
    if isinstance(doc, dict):
        for key in list(doc):
            out.append({k: v for k, v in doc.items() if k != key})
        for key, value in doc.items():
            out.extend({**doc, key: sub} for sub in _json_candidates(value))
    elif isinstance(doc, list):
        for i in range(len(doc)):
            out.append(doc[:i] + doc[i + 1 :])
        for i, value in enumerate(doc):
            out.extend([*doc[:i], sub, *doc[i + 1 :]] for sub in _json_candidates(value))
    return out


def _shrink_json(case: Case, still: Check, budget: list[int]) -> Case:
    try:
        doc = json.loads(case.data)
    except (ValueError, RecursionError):
        return case
    improved = True
    while improved and budget[0] > 0:
        improved = False
        for candidate in _json_candidates(doc)[:400]:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            try:
                data = json.dumps(candidate, ensure_ascii=False).encode("utf-8", "surrogatepass")
            except (ValueError, RecursionError):
                continue
            trial = Case(case.relpath, data)
            if still(trial):
                doc, case, improved = candidate, trial, True
                break
    return case


def _shrink_bytes(case: Case, still: Check, budget: list[int]) -> Case:
    data = case.data
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and budget[0] > 0:
        at = 0
        while at < len(data) and budget[0] > 0:
            budget[0] -= 1
            trial = Case(case.relpath, data[:at] + data[at + chunk :])
            if still(trial):
                data = trial.data
            else:
                at += chunk
        chunk //= 2
    return Case(case.relpath, data)


def minimise(case: Case, still: Check, budget: int = 300, seconds: float = 60.0) -> Case:
    """A smaller case for which ``still`` holds (``case`` itself when nothing smaller does),
    after at most ``budget`` checks and about ``seconds`` of them."""
    left = [budget]
    deadline = time.monotonic() + seconds

    def timed(trial: Case) -> bool:
        if time.monotonic() > deadline:
            left[0] = 0
            return False
        return still(trial)

    if case.relpath.endswith(".json") and len(case.data) < 200_000:
        case = _shrink_json(case, timed, left)
    return _shrink_bytes(case, timed, left)
