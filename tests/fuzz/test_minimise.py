"""Minimisation keeps the crash and drops everything else it can."""

from __future__ import annotations

import json

from fuzz.cases import Case
from fuzz.minimise import minimise


def test_bytes_shrink_to_what_the_check_needs() -> None:
    case = Case("a.txt", b"lorem ipsum BOOM dolor sit amet" * 3)
    small = minimise(case, lambda c: b"BOOM" in c.data)
    assert small.data == b"BOOM" and small.relpath == "a.txt"


def test_a_json_document_loses_the_members_the_crash_does_not_need() -> None:
    doc = {"images": [{"id": 1}, {"id": 2, "bad": [1, 2, 3]}], "info": {"x": "y" * 50}}
    case = Case("a.json", json.dumps(doc).encode())

    def still(c: Case) -> bool:
        try:
            parsed = json.loads(c.data)
        except ValueError:
            return False
        return '"bad"' in json.dumps(parsed)

    small = minimise(case, still)
    # members and elements go first; then bytes (here the key's name) where JSON allows
    assert list(json.loads(small.data).values()) == [[{"bad": []}]]


def test_the_budget_bounds_the_runs() -> None:
    runs = []

    def still(c: Case) -> bool:
        runs.append(1)
        return False

    minimise(Case("a.bin", bytes(range(256)) * 40), still, budget=50)
    assert len(runs) == 50
