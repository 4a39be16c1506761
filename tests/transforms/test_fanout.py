"""Fan-out: items routed to writer threads, and every writer stopped and its output removed
when one of them, or the reader, fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.model import Dataset, Item
from nucleus_convert.transforms.fanout import fan_out


def _items(n: int) -> Iterator[Item]:
    for k in range(n):
        yield Item(f"i{k}", nc.ImageMedia(f"i{k}.png", 4, 4))


def _collect(items: Iterator[Item]) -> list[str]:
    return [item.reference_id for item in items]


def test_items_go_where_the_route_says_and_none_goes_nowhere() -> None:
    def route(item: Item) -> str | None:
        k = int(item.reference_id[1:])
        return None if k % 3 == 2 else ("even" if k % 2 == 0 else "odd")

    got = fan_out(_items(100), route, {"even": _collect, "odd": _collect})
    assert got["even"] == [f"i{k}" for k in range(100) if k % 3 != 2 and k % 2 == 0]
    assert got["odd"] == [f"i{k}" for k in range(100) if k % 3 != 2 and k % 2 == 1]


def _bundle(dst: Path) -> object:
    def write(items: Iterator[Item]) -> object:
        return nc.write(Dataset.of(items), dst, "nucleus")

    return write


def test_a_failing_writer_stops_the_others_and_nothing_is_left(tmp_path: Path) -> None:
    def failing(items: Iterator[Item]) -> None:
        for n, _ in enumerate(items):
            if n == 5:
                raise InputError("writer b gave up")

    writers = {"a": _bundle(tmp_path / "a"), "b": failing}
    with pytest.raises(InputError, match="writer b gave up"):
        fan_out(_items(10_000), lambda item: "ab"[int(item.reference_id[1:]) % 2], writers)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failing_reader_stops_every_writer_and_nothing_is_left(tmp_path: Path) -> None:
    def broken() -> Iterator[Item]:
        yield from _items(50)
        raise InputError("source.json: record 50: bad")

    writers = {"a": _bundle(tmp_path / "a"), "b": _bundle(tmp_path / "b")}
    with pytest.raises(InputError, match="record 50"):
        fan_out(broken(), lambda item: "ab"[int(item.reference_id[1:]) % 2], writers)
    assert list(tmp_path.iterdir()) == []


def test_every_output_is_written_when_all_goes_well(tmp_path: Path) -> None:
    writers = {"a": _bundle(tmp_path / "a"), "b": _bundle(tmp_path / "b")}
    results = fan_out(_items(30), lambda item: "ab"[int(item.reference_id[1:]) % 2], writers)
    assert {k: r.summary.counts["items"] for k, r in results.items()} == {"a": 15, "b": 15}
