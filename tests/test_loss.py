"""The loss report: counts per (kind, field), merging, forwarding and its JSON rows."""

from __future__ import annotations

from nucleus_convert.loss import STATUSES, LossReport


def test_a_forwarded_report_moves_its_counts_and_sends_later_records_on() -> None:
    reader, writer = LossReport(), LossReport()
    reader.skip(ValueError("a.json: annotation 7: bad"), "box")
    writer.dropped("item", "camera", reason="no cameras")
    reader.forward_to(writer)
    reader.skip(ValueError("a.json: annotation 8: bad"), "box")
    reader.dropped("polygon", "track_id", reason="no tracks", example="x")
    assert not reader.entries and not reader.skipped
    assert writer.skipped == ["a.json: annotation 7: bad", "a.json: annotation 8: bad"]
    assert writer.entries[("box", "*")].count("dropped") == 2
    assert writer.entries[("polygon", "track_id")].examples == ["x"]
    assert writer.entries[("item", "camera")].count("dropped") == 1


def test_forwarding_twice_or_in_a_circle_keeps_one_sink() -> None:
    a, b, c = LossReport(), LossReport(), LossReport()
    a.forward_to(b)
    b.forward_to(c)
    a.forward_to(c)
    c.forward_to(a)  # a already ends in c: nothing to do
    a.dropped("box", "id")
    assert a.sink() is b.sink() is c and c.entries[("box", "id")].count("dropped") == 1


def test_json_rows_carry_every_status_and_one_reason_line() -> None:
    report = LossReport()
    report.dropped("box", "track_id", reason="no tracks")
    report.approximated("box", "track_id", reason="renamed")
    report.kept("box")
    rows = {(r["kind"], r["field"]): r for r in report.to_json()}
    row = rows[("box", "track_id")]
    assert all(isinstance(row[s], int) for s in STATUSES)
    assert row["dropped"] == 1 and row["approximated"] == 1
    assert row["reason"] == "renamed; no tracks"  # in STATUSES order
    assert rows[("box", "*")]["reason"] == ""
    assert LossReport.from_json(report.to_json()).to_json() == report.to_json()


def test_loss_report_json_round_trip_and_merge() -> None:
    a = LossReport()
    a.dropped("box", "score", n=2, reason="why", example="item 1")
    a.kept("box")
    b = LossReport.from_json(a.to_json())
    assert b.to_json() == a.to_json()
    b.merge(a, ("dropped",))
    assert b.entries[("box", "score")].counts == {"dropped": 4}
    assert b.entries[("box", "*")].counts == {"kept": 1}
