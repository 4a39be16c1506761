"""nucleus_convert/errors.py: ``brief``, the repr every reader puts in a message about a value,
stays short and cannot recurse, whatever the value."""

from __future__ import annotations

from nucleus_convert.errors import brief


def test_a_value_nested_past_the_recursion_limit_is_shown_four_levels_deep() -> None:
    value: object = 1
    for _ in range(1020):  # orjson parses up to 1,024 levels; repr() fails near 1,000
        value = [value]
    assert brief(value) == "[[[[[...]]]]]"


def test_long_containers_and_strings_are_cut() -> None:
    assert brief(list(range(10**6))) == "[0, 1, 2, 3, 4, 5, 6, 7, ...]"
    assert len(brief("a" * 1000)) <= 62
    assert brief({"k": [1, 2]}) == "{'k': [1, 2]}"


def test_short_values_read_as_repr() -> None:
    for value in ([1, 2, "wide", 4], "x", None, 3.5, True, {"a": 1}):
        assert brief(value) == repr(value)
