"""nucleus_convert/converters/kitti/labels.py: KITTI label lines: unset truncated, occluded
and alpha, the score column, numbers written with KITTI's two decimals, and any line either
parsed or refused naming file and line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kitti_trees import items_by_ref, make_tree

import nucleus_convert as nc
from nucleus_convert.converters.kitti.labels import format_number, parse_label_line


def test_unset_truncated_occluded_alpha_are_absent_and_written_back_as_kitti_writes_them(
    tmp_path: Path,
) -> None:
    text = "Misc -1 -1 -10 1.00 2.00 3.00 4.00 -1 -1 -1 -1000 -1000 -1000 -10\n"
    tree = make_tree(tmp_path / "k", {"f": text}, calib=None, image_size=None)
    [item] = items_by_ref(tree).items
    assert item.annotations[0].attributes == {}
    nc.convert(tree, tmp_path / "out", from_="kitti", to="kitti")
    assert (tmp_path / "out" / "label_2" / "f.txt").read_text() == text


def test_score_column_makes_predictions_written_back_with_16_columns(tmp_path: Path) -> None:
    text = "Car 0.00 0 0.50 100.00 120.00 200.00 220.00 1.50 1.60 4.00 2.00 1.50 10.00 0.30 0.87\n"
    tree = make_tree(tmp_path / "k", {"f": text}, scans={"f": np.zeros((1, 4), np.float32)})
    ds = items_by_ref(tree)
    anns = [a for it in ds.items for a in it.annotations]
    assert {(a.kind, a.prediction, a.score) for a in anns} == {
        ("box", True, 0.87),
        ("cuboid", True, 0.87),
    }
    nc.write(ds.stream(), tmp_path / "out", "kitti")
    assert (tmp_path / "out" / "label_2" / "f.txt").read_text() == text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_format_number_stays_within_a_nanometre(value: float) -> None:
    text = format_number(value)
    assert abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))
    assert len(text.split(".")[1]) >= 2


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_format_number_writes_two_decimal_values_as_kitti_does(hundredths: int) -> None:
    value = hundredths / 100
    assert format_number(value) == f"{value:.2f}".replace("-0.00", "0.00")
    # and after a transform that moves it by a few ulps
    assert format_number(math.nextafter(math.nextafter(value, 1e9), 1e9)) == format_number(value)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["Car", "-1", "-10", "0", "1.5", "nan", "inf", "1_0", "x", "٣", "1e400"]
            ),
            st.text(max_size=4),
        ),
        max_size=18,
    )
)
def test_any_label_line_parses_or_is_refused_with_file_and_line(words: list[str]) -> None:
    from nucleus_convert.errors import InputError

    try:
        label = parse_label_line(" ".join(words), Path("l.txt"), 3)
    except InputError as exc:
        assert str(exc).startswith("l.txt:3: ")
        return
    if label is not None:
        assert all(math.isfinite(v) for v in label.box)
