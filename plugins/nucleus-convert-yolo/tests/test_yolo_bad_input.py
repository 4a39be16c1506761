"""Malformed input: a located nc.InputError, nothing written, a clean CLI error, on_error=skip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from yolo_testlib import png, ultralytics

import nucleus_convert as nc

LINE_CASES = {
    "wrong column count": ("0 0.5 0.5\n", "3 fields"),
    "six fields": ("0 0.5 0.5 0.2 0.2 0.9\n", "confidence"),
    "non-numeric": ("0 0.5 abc 0.2 0.2\n", "'abc' is not a number"),
    "nan": ("0 nan 0.5 0.2 0.2\n", "'nan' is not a finite number"),
    "class out of range": ("2 0.5 0.5 0.2 0.2\n", "class 2 is not in names (0..1)"),
    "class not an integer": ("0.5 0.5 0.5 0.2 0.2\n", "not an integer"),
    "value above one": ("0 1.000001 0.5 0.2 0.2\n", "outside [0, 1]"),
    "negative value": ("0 0.5 0.5 -0.2 0.2\n", "outside [0, 1]"),
    "zero width": ("0 0.5 0.5 0 0.2\n", "box w is 0; it must be > 0"),
    "odd polygon": ("0 0.1 0.1 0.2 0.2 0.3 0.3 0.4\n", "8 fields"),
}


@pytest.mark.parametrize("case", sorted(LINE_CASES))
def test_bad_label_line_names_file_and_line(case: str, tmp_path: Path) -> None:
    text, says = LINE_CASES[case]
    src = ultralytics(tmp_path / "src", {"img": "1 0.5 0.5 0.5 0.5\n\n" + text})
    label = src / "labels" / "train" / "img.txt"
    dst = tmp_path / "out"
    with pytest.raises(nc.InputError) as caught:
        nc.convert(src, dst, from_="yolo", to="nucleus")
    message = str(caught.value)
    assert message.startswith(f"{label}:3: "), message
    assert says in message
    assert not dst.exists() and list(tmp_path.iterdir()) == [tmp_path / "src"]


def _expect(src: Path, tmp_path: Path, prefix: str, says: str) -> None:
    dst = tmp_path / "out"
    with pytest.raises(nc.InputError) as caught:
        nc.convert(src, dst, from_="yolo", to="nucleus")
    message = str(caught.value)
    assert message.startswith(prefix), message
    assert says in message, message
    assert not dst.exists()


def test_label_without_image(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": "0 0.5 0.5 0.5 0.5\n"})
    orphan = src / "labels" / "train" / "ghost.txt"
    orphan.write_text("0 0.5 0.5 0.5 0.5\n")
    _expect(src, tmp_path, f"{orphan}: ", "no image, so no size to de-normalise with")


def test_listed_image_missing(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": ""}, yaml_text="train: list.txt\nnames: [a]\n")
    (src / "list.txt").write_text("./images/train/img.png\n./images/train/gone.png\n")
    _expect(src, tmp_path, f"{src / 'list.txt'}:2: ", "gone.png")


@pytest.mark.parametrize(
    ("yaml_text", "line", "says"),
    [
        ("train: images/train\nnames: [a, b]\nnc: 3\n", 3, "nc is 3 but names lists 2 classes"),
        (
            "train: images/train\nnames: [person]\nkpt_shape: [17, 4]\n",
            3,
            "kpt_shape must be [K, D]",
        ),
        ("train: images/train\nnames: [a, b\nnc: 2\n", 3, "not valid YAML"),
        ("train: images/train\nnames:\n  0: a\n  -2: b\n", 2, "the class indexes (integers 0.."),
        ("train: images/nope\nnames: [a]\n", 1, "'images/nope' not found"),
        ("train: images/train\nnames: [a, a]\n", 2, "same name"),
    ],
)
def test_bad_data_yaml(yaml_text: str, line: int, says: str, tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": ""}, yaml_text=yaml_text)
    _expect(src / "data.yaml", tmp_path, f"{src / 'data.yaml'}:{line}: ", says)


def test_darknet_classes_disagreeing_with_names(tmp_path: Path) -> None:
    root = tmp_path / "dk"
    root.mkdir()
    (root / "obj.data").write_text("classes = 3\ntrain = train.txt\nnames = obj.names\n")
    (root / "obj.names").write_text("a\nb\n")
    (root / "train.txt").write_text("")
    _expect(root, tmp_path, f"{root / 'obj.data'}:1: ", "classes = 3 but obj.names lists 2")


def test_unreadable_image(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": ""})
    broken = src / "images" / "train" / "broken.png"
    broken.write_bytes(b"not a png")
    _expect(src, tmp_path, f"{broken}: ", "cannot read the image size")


def test_on_error_skip_skips_the_image_and_lists_it(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"good": "0 0.5 0.5 0.5 0.5\n", "bad": "0 2 0.5 0.5 0.5\n"})
    dataset = nc.read(src, "yolo", on_error="skip")
    refs = [i.reference_id for i in dataset.items]
    assert refs == ["good"]
    (message,) = dataset.losses.skipped
    assert message.startswith(f"{src / 'labels' / 'train' / 'bad.txt'}:1: ")


def _cli() -> list[str]:
    return [str(Path(sys.executable).with_name("nucleus-convert"))]


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": "0 0.5 0.5 0.5\n"})
    run = subprocess.run(
        [*_cli(), "convert", str(src), str(tmp_path / "out"), "--from", "yolo", "--to", "nucleus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert f"{src / 'labels' / 'train' / 'img.txt'}:1: 4 fields" in lines[0]
    assert not (tmp_path / "out").exists()


def test_cli_on_error_skip(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"good": "0 0.5 0.5 0.5 0.5\n", "bad": "0 0.5 0.5 0.5\n"})
    png(src / "images" / "train" / "neg.png", 4, 4)
    run = subprocess.run(
        [
            *_cli(),
            "convert",
            str(src),
            str(tmp_path / "out"),
            "--to",
            "nucleus",
            "--on-error",
            "skip",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "skipped 1 malformed records" in run.stderr
    assert "bad.txt:1: 4 fields" in run.stderr
    assert len(nc.read(tmp_path / "out").materialize().items) == 2


def test_bad_option_values(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"img": ""})
    with pytest.raises(nc.FormatError, match="expected one of raise, skip"):
        nc.read(src, "yolo", on_error="ignore")
    with pytest.raises(nc.FormatError, match="expected one of auto, detect, segment, obb, pose"):
        nc.convert(src, tmp_path / "out", to="yolo", write_options={"task": "keypoints"})
