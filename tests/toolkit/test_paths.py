"""Output confinement: names that would leave the destination are refused, by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucleus_convert.errors import OutputError
from nucleus_convert.toolkit.paths import MAX_NAME_BYTES, confined, unsafe_name_reason


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x.txt", "climbs out"),
        ("a/../../x.txt", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("C:/x.txt", "absolute path"),
        ("a\\..\\x", "backslash"),
        ("a\x00b", "NUL byte"),
        ("", "empty"),
        ("x" * (MAX_NAME_BYTES + 1), "longer than 255 bytes"),
        ("é" * 128, "longer than 255 bytes"),
    ],
)
def test_unsafe_names_are_refused_with_the_record_named(
    tmp_path: Path, name: str, why: str
) -> None:
    with pytest.raises(OutputError, match=why) as err:
        confined(tmp_path, name, record="item 'r1'")
    assert str(err.value).startswith("item 'r1': cannot write")
    assert "\n" not in str(err.value)


def test_plain_nested_names_stay_under_the_root(tmp_path: Path) -> None:
    assert confined(tmp_path, "label_2/000001.txt") == tmp_path / "label_2" / "000001.txt"
    assert confined(tmp_path, "a/./b c/x y.txt") == tmp_path / "a" / "b c" / "x y.txt"
    assert confined(tmp_path, "x" * MAX_NAME_BYTES) == tmp_path / ("x" * MAX_NAME_BYTES)


def test_a_symlink_inside_the_destination_cannot_lead_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(OutputError, match="resolves outside"):
        confined(root, "link/x.txt")


def test_a_root_reached_through_a_symlink_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real)
    assert confined(alias, "a/b.txt") == alias / "a" / "b.txt"


@given(st.text(max_size=40))
def test_whatever_the_name_an_accepted_path_resolves_under_the_root(name: str) -> None:
    root = Path("/tmp/nc-confined-root")
    if unsafe_name_reason(name) is not None:
        return
    path = confined(root, name)
    assert os.path.realpath(path).startswith(os.path.realpath(root))
