"""Hostile YOLO input is refused while reading, small and on one line: names too long for a
file, a class count that would fill memory, YAML values orjson cannot write."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from yolo_testlib import ultralytics

import nucleus_convert as nc

DATA = Path(__file__).parent / "data"


def _cli(*args: str, cap: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    """The CLI under a 1 GiB address-space cap where ``prlimit`` exists."""
    command = [sys.executable, "-m", "nucleus_convert.cli", *args]
    if shutil.which("prlimit") is not None:
        command = ["prlimit", f"--as={cap}", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _refused(result: subprocess.CompletedProcess[str], dst: Path, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "plugin 'yolo'" not in lines[0]  # our own error, not an unexpected exception
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert not dst.exists()


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [("obj_train_data/" + "f" * 300 + ".jpg", "longer than 255 bytes"), ("a\x00b.jpg", "NUL")],
    ids=["too-long", "nul"],
)
def test_a_list_entry_that_cannot_name_a_file_names_the_list_and_line(
    tmp_path: Path, entry: str, fragment: str
) -> None:
    src = tmp_path / "darknet"
    shutil.copytree(DATA / "darknet", src)
    listing = src / "train.txt"
    lines = listing.read_text().splitlines()
    listing.write_text("\n".join([*lines, entry]) + "\n")
    dst = tmp_path / "out"
    result = _cli("convert", str(src), str(dst), "--from", "yolo", "--to", "nucleus")
    _refused(result, dst, f"{listing}:{len(lines) + 1}: image", fragment)


def test_nc_of_a_billion_without_names_is_refused_small(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src",
        {"img": "0 0.5 0.5 0.5 0.5\n"},
        yaml_text="train: images/train\nnc: 1000000000\n",
    )
    dst = tmp_path / "out"
    result = _cli("convert", str(src), str(dst), "--from", "yolo", "--to", "nucleus")
    _refused(result, dst, str(src / "data.yaml"), "nc must be within 0..65536")


def test_a_5001_digit_yaml_integer_is_refused_on_one_line(tmp_path: Path) -> None:
    yaml_text = "train: images/train\nnames: [a, b]\nmeta: " + "1" * 5001 + "\n"
    src = ultralytics(tmp_path / "src", {"img": "0 0.5 0.5 0.5 0.5\n"}, yaml_text=yaml_text)
    dst = tmp_path / "out"
    result = _cli("convert", str(src), str(dst), "--from", "yolo", "--to", "nucleus")
    _refused(result, dst, str(src / "data.yaml"), "not a usable YAML value")


@pytest.mark.parametrize(
    "extra",
    ["meta: 100000000000000000000000", "meta: " + "[" * 100 + "]" * 100, "meta: " + "x" * 300],
    ids=["beyond-64-bits", "deep", "too-long-for-a-name"],
)
def test_yaml_keys_the_reader_does_not_carry_cannot_break_it(tmp_path: Path, extra: str) -> None:
    # neither read as subsets nor carried into the model: the conversion goes on
    yaml_text = f"train: images/train\nnames: [a, b]\n{extra}\n"
    src = ultralytics(tmp_path / "src", {"img": "0 0.5 0.5 0.5 0.5\n"}, yaml_text=yaml_text)
    result = _cli("convert", str(src), str(tmp_path / "out"), "--from", "yolo", "--to", "nucleus")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["/", "../..", "[/, images/train]"])
def test_an_extra_yaml_key_naming_a_folder_outside_the_dataset_is_not_a_subset(
    tmp_path: Path, value: str
) -> None:
    # Found by the fuzz run: 'abc path: /' made the reader walk the whole file system.
    src = ultralytics(
        tmp_path / "src",
        {"img": "0 0.5 0.5 0.5 0.5\n"},
        yaml_text=f"abc path: {value}\ntrain: images/train\nnames: [a, b]\n",
    )
    items = list(nc.read(src, "yolo").items)
    assert [i.reference_id for i in items] == ["img"]


def test_a_subset_folder_with_more_entries_than_the_walk_limit_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nucleus_convert_yolo import layout

    monkeypatch.setattr(layout, "MAX_WALK_ENTRIES", 5)
    labels = {f"img{k}": "0 0.5 0.5 0.5 0.5\n" for k in range(6)}
    src = ultralytics(tmp_path / "src", labels)
    with pytest.raises(nc.InputError, match="more than 5 files and folders under it"):
        list(nc.read(src, "yolo").items)
