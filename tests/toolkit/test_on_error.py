"""The on-error policy: raise the located error, or record the malformed record and go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.on_error import (
    ON_ERROR_MODES,
    OnError,
    SkipRecord,
    on_error_option,
)


def _bad(n: int) -> InputError:
    return InputError("w is not a number", path=Path("labels.csv"), line=n)


def _build(n: int) -> int:
    if n % 2:
        raise _bad(n)
    return n * 10


def test_option_is_spelt_the_same_for_every_reader() -> None:
    option = on_error_option("malformed images")
    assert option.name == "on_error" and option.default == "raise"
    assert option.help == "raise (default) or skip malformed images"
    assert on_error_option().help == "raise (default) or skip malformed records"
    assert option.type(" SKIP ") == "skip"
    with pytest.raises(ValueError, match="expected one of raise, skip"):
        option.type("ignore")
    assert ON_ERROR_MODES == ("raise", "skip")


def test_policy_from_options_defaults_to_raise_and_refuses_unknown_values() -> None:
    report = LossReport()
    assert OnError.from_options({}, report).skip is False
    assert OnError.from_options({"on_error": "raise"}, report).skip is False
    assert OnError.from_options({"on_error": "skip"}, report).skip is True
    with pytest.raises(ValueError, match="expected one of"):
        OnError.from_options({"on_error": "quietly"}, report)


def test_raise_reraises_the_located_error_and_records_nothing() -> None:
    report = LossReport()
    policy = OnError(False, report)
    with pytest.raises(InputError, match=r"labels\.csv:1: w is not a number"):
        list(policy.each(range(5), _build, "box"))
    with pytest.raises(InputError, match=r"labels\.csv:7"):
        policy.reject(_bad(7), "box")
    assert not report.entries and not report.skipped


def test_skip_leaves_out_bad_records_counted_under_their_kind() -> None:
    report = LossReport()
    policy = OnError(True, report)
    assert list(policy.each(range(5), _build, "item")) == [0, 20, 40]
    entry = report.entries[("item", "*")]
    assert entry.count("dropped") == 2
    assert entry.reasons["dropped"] == "malformed, skipped (on_error=skip)"
    assert report.skipped == ["labels.csv:1: w is not a number", "labels.csv:3: w is not a number"]


def test_reject_deep_in_a_record_records_then_ends_the_record_only() -> None:
    report = LossReport()
    policy = OnError(True, report)

    def build(n: int) -> int:
        if n == 2:
            policy.reject(_bad(n))  # found deep inside the record
        return n

    assert list(policy.each(range(4), build)) == [0, 1, 3]
    assert report.entries[("record", "*")].count("dropped") == 1  # counted once, not twice
    with pytest.raises(SkipRecord):
        policy.reject(_bad(9))
    assert len(report.skipped) == 2


def test_skipped_records_reach_the_report_a_reader_was_forwarded_to() -> None:
    reader, caller = LossReport(), LossReport()
    reader.forward_to(caller)
    OnError(True, reader).handle(_bad(4), "item")
    assert caller.skipped == ["labels.csv:4: w is not a number"]
    assert caller.entries[("item", "*")].count("dropped") == 1
