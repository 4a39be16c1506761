"""Nucleus metadata rules are checked at write time, naming the record and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nucleus_convert as nc
from nucleus_convert.converters.nucleus.metadata import MetadataChecker


def _items(*metadatas: dict[str, Any]) -> nc.Dataset:
    return nc.Dataset.of(
        nc.Item(f"i{n}", media=nc.ImageMedia(f"{n}.jpg"), metadata=md)
        for n, md in enumerate(metadatas)
    )


def test_one_type_per_item_metadata_key(tmp_path: Path) -> None:
    with pytest.raises(nc.OutputError) as info:
        nc.write(_items({"w": "sunny"}, {"w": 3}), tmp_path / "o", "nucleus")
    msg = str(info.value)
    assert "item 'i1'" in msg and "'w' is number (3) but was text at item 'i0'" in msg
    assert not (tmp_path / "o").exists()


def test_booleans_count_as_numbers_like_nucleus_does(tmp_path: Path) -> None:
    nc.write(_items({"f": True}, {"f": 2}, {"f": 0.5}), tmp_path / "ok", "nucleus")
    with pytest.raises(nc.OutputError, match="'f' is text"):
        nc.write(_items({"f": False}, {"f": "no"}), tmp_path / "bad", "nucleus")


def test_scopes_are_checked_separately() -> None:
    checker = MetadataChecker()
    checker.check("item", {"k": "a"}, "item 1")
    checker.check("annotation", {"k": 1}, "box 1")
    assert checker.schema() == {"annotation": {"k": "number"}, "item": {"k": "text"}}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "nan is not allowed"),
        (float("inf"), "inf is not allowed"),
        ({"deep": [1, float("nan")]}, "metadata.k.deep[1]: nan is not allowed"),
        (np.float32(1.5), "float32 is not a JSON value (a numpy scalar: convert it with .item())"),
        (np.int64(3), "int64 is not a JSON value"),
        ({1: "x"}, "key 1 is not a string"),
        (object(), "object is not a JSON value"),
    ],
)
def test_non_json_metadata_values_are_refused_with_their_key(
    tmp_path: Path, value: Any, message: str
) -> None:
    with pytest.raises(nc.OutputError) as info:
        nc.write(_items({"k": value}), tmp_path / "o", "nucleus")
    assert message in str(info.value)
    assert "item 'i0'" in str(info.value)


def test_annotation_metadata_conflict_names_the_annotation(tmp_path: Path) -> None:
    ds = nc.Dataset.of(
        [
            nc.Item(
                "a",
                media=nc.ImageMedia("a.jpg"),
                annotations=[
                    nc.Box(
                        label="x", id="b1", x=0, y=0, width=1, height=1, attributes={"q": "high"}
                    ),
                    nc.Box(label="x", id="b2", x=0, y=0, width=1, height=1, attributes={"q": 2}),
                ],
            )
        ]
    )
    with pytest.raises(nc.OutputError, match=r"item 'a', box 'b2': metadata key 'q' is number"):
        nc.write(ds, tmp_path / "o", "nucleus")


def test_predictions_have_their_own_metadata_schema(tmp_path: Path) -> None:
    ds = nc.Dataset.of(
        [
            nc.Item(
                "a",
                media=nc.ImageMedia("a.jpg"),
                annotations=[
                    nc.Box(label="x", x=0, y=0, width=1, height=1, attributes={"q": "high"}),
                    nc.Box(label="x", x=0, y=0, width=1, height=1, attributes={"q": 2}, score=0.5),
                ],
            )
        ]
    )
    nc.write(ds, tmp_path / "o", "nucleus")
