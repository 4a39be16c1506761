"""The loss report's JSON form and merging (kept here until it joins tests/test_loss.py)."""

from __future__ import annotations

from nucleus_convert.loss import LossReport


def test_loss_report_json_round_trip_and_merge() -> None:
    a = LossReport()
    a.dropped("box", "score", n=2, reason="why", example="item 1")
    a.kept("box")
    b = LossReport.from_json(a.to_json())
    assert b.to_json() == a.to_json()
    b.merge(a, ("dropped",))
    assert b.entries[("box", "score")].counts == {"dropped": 4}
    assert b.entries[("box", "*")].counts == {"kept": 1}
