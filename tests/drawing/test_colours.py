"""Label colours: one per label, from a hash of the name, the same in every process."""

from __future__ import annotations

import colorsys
import subprocess
import sys

from nucleus_convert.drawing.colours import BLANK, label_colour, text_colour

LABELS = ["car", "person", "Car", "", "ünïcødé", "a/b", "x" * 300, "\ud800lone"]


def test_a_label_has_one_colour_whatever_the_order_labels_are_met_in() -> None:
    first = [label_colour(label) for label in LABELS]
    label_colour.cache_clear()
    second = [label_colour(label) for label in reversed(LABELS)]
    assert first == list(reversed(second))


def test_colours_are_the_same_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from nucleus_convert.drawing.colours import label_colour;"
        "print([label_colour(l) for l in ['car', 'person', 'truck', 'ünïcødé']])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "12345")
    }
    assert outputs == {str([label_colour(n) for n in ["car", "person", "truck", "ünïcødé"]]) + "\n"}


def test_colours_are_never_grey_nor_too_dark() -> None:
    for i in range(500):
        colour = label_colour(f"label-{i}")
        _, saturation, value = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
        assert saturation >= 0.45 and value >= 0.7, colour
        assert colour != BLANK


def test_labels_spread_over_many_colours() -> None:
    assert len({label_colour(f"label-{i}") for i in range(2000)}) >= 60


def test_text_is_black_on_light_colours_and_white_on_dark_ones() -> None:
    assert text_colour((255, 255, 0)) == (0, 0, 0)
    assert text_colour((0, 0, 128)) == (255, 255, 255)
