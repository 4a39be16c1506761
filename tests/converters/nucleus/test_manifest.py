"""The bundle manifest read back: malformed headers are one-line InputErrors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import nucleus_convert as nc
from nucleus_convert.errors import InputError


@pytest.mark.parametrize(
    ("manifest", "field"),
    [
        ({"categories": [{"name": {"a": 1}}]}, "categories"),
        ({"skeletons": {"p": {"names": [["x"]]}}}, "skeletons"),
        ({"taxonomies": {"t": {"labels": [{}]}}}, "taxonomies"),
    ],
)
def test_non_string_names_in_the_manifest_are_an_input_error(
    tmp_path: Path, manifest: dict[str, object], field: str
) -> None:
    # Found by the fuzz harness: a dict as a category name crashed with TypeError.
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "manifest.json").write_bytes(orjson.dumps({"nucleus_convert": {}, **manifest}))
    (bundle / "items.jsonl").write_bytes(b"")
    with pytest.raises(InputError) as info:
        nc.read(bundle, "nucleus")
    assert info.value.field == field and "expected a string name" in str(info.value)
    assert "\n" not in str(info.value)
