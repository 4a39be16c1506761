"""Split plans: ratios parsed strictly, exact counts, groups kept whole, determinism and
stratification."""

from __future__ import annotations

from collections import Counter

import pytest

from nucleus_convert.errors import InputError
from nucleus_convert.transforms.split_plan import Unit, parse_ratios, plan_split, units_of


def _singles(n: int, label: str = "x") -> list[Unit]:
    return units_of((f"i{k:03d}", None, [label]) for k in range(n))


def test_ratios_parse_from_text_or_a_mapping() -> None:
    assert parse_ratios("train=0.8, val=0.2") == {"train": 0.8, "val": 0.2}
    assert parse_ratios({"a": 0.7, "b": 0.2, "c": 0.1}) == {"a": 0.7, "b": 0.2, "c": 0.1}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("train=0.8", "need two or more splits"),
        ("train=0.8,val=0.3", "add up to 1.1"),
        ("train=0.8,val", "expected NAME=SHARE"),
        ("train=x,val=0.2", "is not a number"),
        ("train=1,val=0", "must be above 0"),
        ("a/b=0.5,c=0.5", "cannot name a split folder"),
        (".hidden=0.5,c=0.5", "cannot name a split folder"),
        ("a=0.5,a=0.5", "named twice"),
    ],
)
def test_bad_ratios_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_ratios(text)


@pytest.mark.parametrize(
    ("n", "ratios", "want"),
    [
        (100, {"train": 0.8, "val": 0.2}, {"train": 80, "val": 20}),
        (10, {"a": 0.7, "b": 0.2, "c": 0.1}, {"a": 7, "b": 2, "c": 1}),
        (7, {"a": 0.5, "b": 0.5}, {"a": 4, "b": 3}),
    ],
)
def test_counts_are_exact_for_single_items(n: int, ratios: dict, want: dict) -> None:  # type: ignore[type-arg]
    plan = plan_split(_singles(n), ratios, seed=3, stratify=False)
    assert Counter(plan.values()) == want
    assert len(plan) == n


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    ratios = {"train": 0.5, "val": 0.5}
    one = plan_split(_singles(50), ratios, seed=1, stratify=False)
    assert one == plan_split(_singles(50), ratios, seed=1, stratify=False)
    assert one != plan_split(_singles(50), ratios, seed=2, stratify=False)


def test_a_group_goes_to_one_split_whole() -> None:
    rows = [(f"f{k}", f"scene-{k // 5}", ["car"]) for k in range(40)]
    units = units_of(rows)
    assert len(units) == 8 and all(len(u.refs) == 5 for u in units)
    plan = plan_split(units, {"a": 0.75, "b": 0.25}, seed=0, stratify=False)
    for scene in range(8):
        assert len({plan[f"f{k}"] for k in range(scene * 5, scene * 5 + 5)}) == 1
    assert Counter(plan.values()) == {"a": 30, "b": 10}


def test_stratification_gives_each_split_its_share_of_a_rare_label() -> None:
    rows = [(f"i{k:03d}", None, ["rare"] if k < 10 else ["common"]) for k in range(100)]
    for seed in range(5):
        plan = plan_split(units_of(rows), {"train": 0.8, "val": 0.2}, seed=seed, stratify=True)
        rare = Counter(plan[f"i{k:03d}"] for k in range(10))
        assert rare == {"train": 8, "val": 2}
        assert Counter(plan.values()) == {"train": 80, "val": 20}


def test_units_without_labels_still_fill_the_splits_when_stratified() -> None:
    rows = [(f"i{k}", None, []) for k in range(10)]
    plan = plan_split(units_of(rows), {"a": 0.6, "b": 0.4}, seed=0, stratify=True)
    assert Counter(plan.values()) == {"a": 6, "b": 4}
