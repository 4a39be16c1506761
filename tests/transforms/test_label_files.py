"""Label map files: YAML, JSON and CSV spellings of old name to new name, and the located
errors of malformed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucleus_convert.errors import InputError
from nucleus_convert.transforms import label_files
from nucleus_convert.transforms.label_files import load_label_map

WANT = {"person": "human", "car": "vehicle", "bus": "vehicle", "dog": None, "7": "seven"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_maps_names_merges_and_drops_with_null_or_empty(tmp_path: Path) -> None:
    text = "person: human\ncar: vehicle\nbus: vehicle\ndog: null\n7: seven\n"
    assert load_label_map(_write(tmp_path, "m.yaml", text)) == WANT
    assert load_label_map(_write(tmp_path, "m.yml", "dog: ''\n")) == {"dog": None}


def test_json_is_the_same_mapping(tmp_path: Path) -> None:
    text = '{"person": "human", "car": "vehicle", "bus": "vehicle", "dog": null, "7": "seven"}'
    assert load_label_map(_write(tmp_path, "m.json", text)) == WANT


def test_csv_with_header_comments_blank_rows_and_empty_new_names(tmp_path: Path) -> None:
    text = "old,new\n# the people\nperson,human\n\ncar,vehicle\nbus, vehicle \ndog,\n7,seven\n"
    assert load_label_map(_write(tmp_path, "m.csv", text)) == WANT
    assert load_label_map(_write(tmp_path, "n.csv", "From,To\ndog\n")) == {"dog": None}


def test_csv_keeps_names_with_commas_and_spaces_when_quoted(tmp_path: Path) -> None:
    text = '"traffic light, red",stop\nstreet sign,sign\n'
    got = load_label_map(_write(tmp_path, "m.csv", text))
    assert got == {"traffic light, red": "stop", "street sign": "sign"}


def test_tsv_is_tab_separated(tmp_path: Path) -> None:
    assert load_label_map(_write(tmp_path, "m.tsv", "a b\tc\n")) == {"a b": "c"}


def test_an_empty_yaml_file_maps_nothing(tmp_path: Path) -> None:
    assert load_label_map(_write(tmp_path, "m.yaml", "")) == {}


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("m.csv", "a,b\na,c\n", (":2: label 'a' is mapped twice",)),
        ("m.csv", "a,b,c\n", (":1: 3 columns; expected old name, new name",)),
        ("m.csv", ",b\n", (":1: field 'old name': empty",)),
        ("m.yaml", "- a\n- b\n", ("expected a mapping of old name to new name, got list",)),
        ("m.yaml", "a: [b]\n", ("label 'a': field 'new name': expected a label name",)),
        ("m.yaml", "yes: b\n", ("field 'old name'", "bool", "(quote it)")),
        ("m.yaml", "a: b\n  c: d\n", (":2: not YAML",)),
        ("m.json", '{"a": 1.5}', ("field 'new name'", "float 1.5", "(quote it)")),
        ("m.json", '{"a": ', ("not JSON",)),
        ("m.txt", "a,b", ("a label map is .yaml, .yml, .json, .csv or .tsv",)),
    ],
)
def test_malformed_maps_are_located_errors(
    tmp_path: Path, name: str, text: str, fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_label_map(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"caf\xe9,cafe\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_label_map(path)


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(label_files, "MAX_BYTES", 8)
    with pytest.raises(InputError, match="over the 8-byte limit"):
        load_label_map(_write(tmp_path, "m.csv", "person,human\n"))


def test_a_missing_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_label_map(tmp_path / "nope.yaml")
