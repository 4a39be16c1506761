"""Malformed Pascal VOC input: one clear error naming the file (and line), nothing written.

Also the XML safety rules of ``nucleus_convert.toolkit.safe_xml``: a document type declaration
is refused, so no entity is ever expanded (billion laughs) or loaded (XXE), whatever the
file's encoding.
"""

from __future__ import annotations

import math
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt
import orjson
import pytest
from cli_runner import Bad, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.model import Box

REF = "2007_000001"
FIELDS = {
    "name": "cat",
    "xmin": "1",
    "ymin": "1",
    "xmax": "4",
    "ymax": "3",
    "width": "8",
    "height": "6",
    "depth": "3",
}
"""The leaf values of :func:`annotation_xml`: one 8x6 image with one ``cat`` box."""

LOL_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 11)
    )
    + "]>"
)
"""Ten levels of ten-fold entity expansion: ``&lol10;`` is 10**10 copies of ``lol``."""

WIDE_ENCODINGS = {
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "utf-32": "UTF-32",
}
"""Python codec → the XML declaration's name, for encodings the byte scan cannot read."""


# --------------------------------------------------------------------------- tree builders


def object_xml(
    name: str = "cat",
    xmin: str = "1",
    ymin: str = "1",
    xmax: str = "4",
    ymax: str = "3",
    *,
    bndbox: bool = True,
) -> str:
    box = (
        "    <bndbox>\n"
        f"      <xmin>{xmin}</xmin>\n"
        f"      <ymin>{ymin}</ymin>\n"
        f"      <xmax>{xmax}</xmax>\n"
        f"      <ymax>{ymax}</ymax>\n"
        "    </bndbox>\n"
    )
    return f"  <object>\n    <name>{name}</name>\n{box if bndbox else ''}  </object>\n"


def annotation_xml(*, prolog: str = "", objects: str | None = None, **values: str) -> str:
    """A VOC annotation, one element per line; ``values`` override :data:`FIELDS`."""
    v = {**FIELDS, **values}
    if objects is None:
        objects = object_xml(v["name"], v["xmin"], v["ymin"], v["xmax"], v["ymax"])
    return (
        f"{prolog}<annotation>\n"
        "  <folder>VOC2012</folder>\n"
        f"  <filename>{REF}.jpg</filename>\n"
        "  <size>\n"
        f"    <width>{v['width']}</width>\n"
        f"    <height>{v['height']}</height>\n"
        f"    <depth>{v['depth']}</depth>\n"
        "  </size>\n"
        f"{objects}"
        "</annotation>\n"
    )


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first ``needle`` in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


def write_xml(root: Path, ref: str, content: str | bytes) -> Path:
    path = root / "Annotations" / f"{ref}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def palette_png(path: Path, array: npt.NDArray[np.uint8]) -> Path:
    """A mode ``P`` PNG whose palette indices are ``array`` (checked after saving)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("P", (array.shape[1], array.shape[0]))
    image.putdata(array.ravel().tolist())
    image.putpalette(bytes(i % 256 for i in range(768)))  # full palette: Pillow keeps indices
    image.save(path, format="PNG")
    with Image.open(path) as back:
        assert back.mode == "P" and np.array_equal(np.asarray(back), array)
    return path


def rgb_png(path: Path, array: npt.NDArray[np.uint8]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format="PNG")
    with Image.open(path) as back:
        assert back.mode == "RGB"
    return path


def wide_xml(encoding: str, *, prolog: str = "", **values: str) -> bytes:
    """:func:`annotation_xml` encoded in ``encoding``, declaration and ``prolog`` on line 1."""
    declaration = f'<?xml version="1.0" encoding="{WIDE_ENCODINGS[encoding]}"?>'
    return (declaration + prolog + "\n" + annotation_xml(**values)).encode(encoding)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


# --------------------------------------------------------------------------- bad inputs


def _malformed_xml(root: Path, ref: str) -> Bad:
    text = annotation_xml().replace("</filename>", "")  # <filename> never closed
    path = write_xml(root, ref, text)
    # libxml2 notices at the end tag that does not match; its message names the open tag
    return Bad(path, line_of(text, "</annotation>"), ("malformed XML", "filename"))


def _object_without_bndbox(root: Path, ref: str) -> Bad:
    text = annotation_xml(objects=object_xml(bndbox=False))
    path = write_xml(root, ref, text)
    return Bad(path, line_of(text, "<object>"), ("object 1 ('cat') has no <bndbox>",))


def _xmax_below_xmin(root: Path, ref: str) -> Bad:
    text = annotation_xml(xmin="5")
    path = write_xml(root, ref, text)
    return Bad(path, line_of(text, "<bndbox>"), ("object 1 ('cat')", "xmax 4 is less than xmin 5"))


def _non_numeric_coordinate(root: Path, ref: str) -> Bad:
    text = annotation_xml(xmin="abc")
    path = write_xml(root, ref, text)
    return Bad(
        path, line_of(text, "<xmin>abc"), ("object 1 ('cat')", "<xmin> is 'abc', not a number")
    )


def _class_png_of_another_size(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    png = palette_png(root / "SegmentationClass" / f"{ref}.png", np.zeros((5, 5), np.uint8))
    return Bad(png, None, ("mask is 5x5 pixels but the image is 8x6",))


def _palette_index_without_label(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    mask = np.zeros((6, 8), np.uint8)
    mask[2, 3] = 40
    mask[4, 5] = 40
    png = palette_png(root / "SegmentationClass" / f"{ref}.png", mask)
    return Bad(png, None, ("palette index 40 (first at x=3, y=2) has no label",))


def _rgb_class_colour_without_label(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[2, 3] = (1, 2, 3)
    png = rgb_png(root / "SegmentationClass" / f"{ref}.png", rgb)
    return Bad(png, None, ("pixel (x=3, y=2) has colour (1, 2, 3), which no label has",))


def _rgb_object_colour_without_instance(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[5, 7] = (1, 2, 3)
    png = rgb_png(root / "SegmentationObject" / f"{ref}.png", rgb)
    return Bad(png, None, ("pixel (x=7, y=5) has colour (1, 2, 3), which no label has",))


def _billion_laughs(root: Path, ref: str) -> Bad:
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n' + LOL_DTD + "\n"
    path = write_xml(root, ref, annotation_xml(prolog=prolog, name="&lol10;"))
    return Bad(path, 2, ("declares a DOCTYPE", "declarations are refused"))


def _xxe_etc_passwd(root: Path, ref: str) -> Bad:
    prolog = '<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    path = write_xml(root, ref, annotation_xml(prolog=prolog, name="&xxe;"))
    return Bad(path, 1, ("declares a DOCTYPE", "declarations are refused"))


def _utf16_doctype(root: Path, ref: str) -> Bad:
    data = wide_xml("utf-16", prolog='<!DOCTYPE a [<!ENTITY c "cat">]>', name="&c;")
    assert b"DOCTYPE" not in data  # the byte scan is blind; the post-parse check must refuse
    path = write_xml(root, ref, data)
    return Bad(path, 1, ("declares a DOCTYPE", "declarations are refused"))


def _class_list_with_bad_value(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text(f"{ref}\n")
    cat_train = main / "cat_train.txt"
    cat_train.write_text(f"# class list\n{ref}  1\n{ref} 5\n")
    return Bad(cat_train, 3, (f"expected '<image id> <1|-1|0>', got '{ref} 5'",))


def _labelmap_with_bad_colour(root: Path, ref: str) -> Bad:
    write_xml(root, ref, annotation_xml())
    labelmap = root / "labelmap.txt"
    labelmap.write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:300,0,0::\ndog:0,0,64::\n"
    )
    return Bad(labelmap, 3, ("label 'cat': colour '300,0,0' is not 'r,g,b' in 0..255",))


Builder = Callable[[Path, str], Bad]

ITEM_CASES: dict[str, Builder] = {
    "malformed XML (unclosed tag)": _malformed_xml,
    "object without bndbox": _object_without_bndbox,
    "xmax less than xmin": _xmax_below_xmin,
    "non-numeric coordinate": _non_numeric_coordinate,
    "class PNG size disagrees with the XML size": _class_png_of_another_size,
    "palette index with no label": _palette_index_without_label,
    "RGB class PNG colour with no label": _rgb_class_colour_without_label,
    "RGB object PNG colour with no instance": _rgb_object_colour_without_instance,
    "billion laughs": _billion_laughs,
    "XXE reading /etc/passwd": _xxe_etc_passwd,
    "DOCTYPE in a UTF-16 file": _utf16_doctype,
}
"""Errors in one item's files (skippable with ``on_error=skip``)."""

TREE_CASES: dict[str, Builder] = {
    "ImageSets class list with a bad value": _class_list_with_bad_value,
    "labelmap.txt with a bad colour": _labelmap_with_bad_colour,
}
"""Errors in the tree's shared files (refused when the reader opens the tree)."""

CASES = {**ITEM_CASES, **TREE_CASES}


def voc_root(tmp_path: Path) -> Path:
    root = tmp_path / "VOC2012"
    root.mkdir()
    return root


# --------------------------------------------------------------------------- API


@pytest.mark.parametrize("case", list(CASES))
def test_bad_voc_input_is_refused_naming_the_file_and_line(case: str, tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    bad = CASES[case](root, REF)
    dst = tmp_path / "out"
    with pytest.raises(nc.InputError) as info:
        nc.convert(root, dst, from_="voc", to="nucleus")
    err = info.value
    text = str(err)
    assert text.startswith(bad.where()), text
    assert (err.path, err.line) == (str(bad.file), bad.line)
    for fragment in bad.fragments:
        assert fragment in text, text
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["VOC2012"]  # no partial output
    with pytest.raises(nc.InputError) as lazy:
        nc.read(root, "voc").materialize()
    assert str(lazy.value) == text


def test_second_object_without_bndbox_is_named_object_2(tmp_path: Path) -> None:
    text = annotation_xml(objects=object_xml() + object_xml("dog", bndbox=False))
    path = write_xml(tmp_path, REF, text)
    second = text.index("<object>", text.index("<object>") + 1)
    line = text[:second].count("\n") + 1
    with pytest.raises(nc.InputError) as info:
        nc.read(tmp_path, "voc").materialize()
    assert str(info.value) == f"{path}:{line}: object 2 ('dog') has no <bndbox>"


def test_billion_laughs_fails_fast_without_expanding(tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    bad = _billion_laughs(root, REF)
    start = time.perf_counter()
    with pytest.raises(nc.InputError) as info:
        nc.read(root, "voc").materialize()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"took {elapsed:.2f} s"  # a safety bound, not a benchmark
    text = str(info.value)
    assert text.startswith(bad.where())
    assert "DOCTYPE" in text and "refused" in text
    assert "lollol" not in text


@pytest.mark.parametrize("encoding", list(WIDE_ENCODINGS))
def test_billion_laughs_in_a_wide_encoding_fails_fast_without_expanding(
    encoding: str, tmp_path: Path
) -> None:
    data = wide_xml(encoding, prolog=LOL_DTD, name="&lol10;")
    assert b"DOCTYPE" not in data and b"ENTITY" not in data  # invisible to the byte scan
    path = write_xml(tmp_path, REF, data)
    start = time.perf_counter()
    with pytest.raises(nc.InputError) as info:
        nc.read(tmp_path, "voc").materialize()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    text = str(info.value)
    assert text.startswith(f"{path}:"), text
    assert "lollol" not in text


def test_xxe_does_not_show_etc_passwd(tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    _xxe_etc_passwd(root, REF)
    with pytest.raises(nc.InputError) as info:
        nc.convert(root, tmp_path / "out", from_="voc")
    text = str(info.value)
    assert "DOCTYPE" in text
    assert "root:" not in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("encoding", list(WIDE_ENCODINGS))
def test_wide_encoding_without_doctype_reads(encoding: str, tmp_path: Path) -> None:
    """Control for the wide-encoding refusals: the encoding itself is fine."""
    write_xml(tmp_path, REF, wide_xml(encoding))
    (item,) = nc.read(tmp_path, "voc").materialize().items
    (box,) = item.annotations
    assert isinstance(box, Box)
    assert (box.label, box.x, box.y, box.width, box.height) == ("cat", 0, 0, 4, 3)


@pytest.mark.parametrize("encoding", list(WIDE_ENCODINGS))
def test_doctype_in_a_wide_encoding_is_refused_after_parsing(encoding: str, tmp_path: Path) -> None:
    data = wide_xml(encoding, prolog='<!DOCTYPE a [<!ENTITY c "cat">]>', name="&c;")
    assert b"DOCTYPE" not in data
    path = write_xml(tmp_path, REF, data)
    with pytest.raises(nc.InputError) as info:
        nc.read(tmp_path, "voc").materialize()
    text = str(info.value)
    assert text.startswith(f"{path}:1: XML declares a DOCTYPE"), text
    assert "declarations are refused" in text


XXE_FORMS = {
    "general entity in <name>": (
        '<!DOCTYPE a [<!ENTITY xxe SYSTEM "{uri}">]>',
        {"name": "&xxe;"},
    ),
    "general entity in <xmin>": (
        '<!DOCTYPE a [<!ENTITY xxe SYSTEM "{uri}">]>',
        {"xmin": "&xxe;"},
    ),
    "parameter entity": ('<!DOCTYPE a [<!ENTITY % xxe SYSTEM "{uri}"> %xxe;]>', {}),
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("form", list(XXE_FORMS))
def test_xxe_secret_never_appears_in_any_output(form: str, encoding: str, tmp_path: Path) -> None:
    marker = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{marker}\n")
    template, values = XXE_FORMS[form]
    prolog = template.format(uri=secret.as_uri())
    root = voc_root(tmp_path)
    write_xml(root, "good", annotation_xml())
    if encoding == "utf-8":
        bad = write_xml(root, REF, annotation_xml(prolog=prolog + "\n", **values))
    else:
        bad = write_xml(root, REF, wide_xml(encoding, prolog=prolog, **values))
    texts: list[str] = []

    with pytest.raises(nc.InputError) as info:
        nc.convert(root, tmp_path / "api-out", from_="voc")
    texts.append(str(info.value))
    assert str(info.value).startswith(f"{bad}:")
    assert "DOCTYPE" in str(info.value)

    refused = run_cli("convert", str(root), str(tmp_path / "cli-out"), "--from", "voc")
    assert refused.returncode == 2, refused.stderr
    texts += [refused.stdout, refused.stderr]

    skipped = run_cli(
        "convert", str(root), str(tmp_path / "skip-out"), "--from", "voc", "--on-error", "skip"
    )
    assert skipped.returncode == 0, skipped.stderr
    assert str(bad) in skipped.stderr
    texts += [skipped.stdout, skipped.stderr]

    assert not (tmp_path / "api-out").exists() and not (tmp_path / "cli-out").exists()
    written = [p for p in (tmp_path / "skip-out").rglob("*") if p.is_file()]
    assert written  # the good item was written: the scan below looks at real output
    for text in texts:
        assert marker not in text
    encoded = [marker.encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be")]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != secret:
            data = path.read_bytes()
            assert not any(m in data for m in encoded), path


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("case", list(CASES))
def test_cli_refuses_bad_voc_input_with_one_error_line(case: str, tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    bad = CASES[case](root, REF)
    dst = tmp_path / "out"
    proc = run_cli("convert", str(root), str(dst), "--from", "voc", "--to", "nucleus")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: {bad.where()}"), proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n")
    assert "Traceback" not in proc.stderr
    for fragment in bad.fragments:
        assert fragment in proc.stderr
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["VOC2012"]


@pytest.mark.parametrize("case", list(ITEM_CASES))
def test_cli_on_error_skip_writes_the_good_item_and_reports_the_bad_one(
    case: str, tmp_path: Path
) -> None:
    root = voc_root(tmp_path)
    write_xml(root, "good", annotation_xml())
    bad = ITEM_CASES[case](root, "bad")
    dst = tmp_path / "out"
    proc = run_cli(
        "convert", str(root), str(dst), "--from", "voc", "--to", "nucleus", "--on-error", "skip"
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "skipped 1 malformed records:" in proc.stderr
    assert f"  {bad.where()}" in proc.stderr
    for fragment in bad.fragments:
        assert fragment in proc.stderr
    assert [row["reference_id"] for row in read_jsonl(dst / "items.jsonl")] == ["good"]
    annotations = read_jsonl(dst / "annotations.jsonl")
    assert [(a["reference_id"], a["label"], a["type"]) for a in annotations] == [
        ("good", "cat", "box")
    ]
    manifest = orjson.loads((dst / "manifest.json").read_bytes())
    assert len(manifest["skipped"]) == 1 and manifest["skipped"][0].startswith(bad.where())


def test_api_on_error_skip_keeps_the_good_item_and_lists_the_bad_one(tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    write_xml(root, "good", annotation_xml())
    bad = _non_numeric_coordinate(root, "bad")
    dataset = nc.read(root, "voc", on_error="skip").materialize()
    assert [item.reference_id for item in dataset.items] == ["good"]
    assert len(dataset.losses.skipped) == 1
    assert dataset.losses.skipped[0].startswith(bad.where())


@pytest.mark.parametrize("case", list(TREE_CASES))
def test_cli_on_error_skip_still_refuses_a_bad_shared_file(case: str, tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    bad = TREE_CASES[case](root, REF)
    dst = tmp_path / "out"
    proc = run_cli("convert", str(root), str(dst), "--from", "voc", "--on-error", "skip")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {bad.where()}") and proc.stderr.count("\n") == 1
    assert not dst.exists()


# --------------------------------------------------------------------------- found in review


@pytest.mark.parametrize("where", ["size width", "size depth", "object truncated"])
def test_huge_integer_is_an_input_error_for_size_and_kept_as_text_elsewhere(
    where: str, tmp_path: Path
) -> None:
    digits = "1" * 5000
    if where == "size width":
        text = annotation_xml(width=digits)
    elif where == "size depth":
        text = annotation_xml(depth=digits)
    else:
        text = annotation_xml().replace("</name>", f"</name>\n    <truncated>{digits}</truncated>")
    path = write_xml(tmp_path, REF, text)
    if where == "size width":
        with pytest.raises(nc.InputError) as info:
            nc.read(tmp_path, "voc").materialize()
        assert str(info.value).startswith(f"{path}:")
        assert "positive integer" in str(info.value)
        return
    (item,) = nc.read(tmp_path, "voc").materialize().items
    kept = item.metadata["depth"] if where == "size depth" else item.annotations[0].attributes
    assert (kept if isinstance(kept, str) else kept["truncated"]) == digits


def test_cli_huge_integer_gives_one_error_line(tmp_path: Path) -> None:
    root = voc_root(tmp_path)
    write_xml(root, REF, annotation_xml(width="1" * 5000))
    proc = run_cli("convert", str(root), str(tmp_path / "out"), "--from", "voc")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "positive integer" in proc.stderr


def test_box_whose_width_overflows_is_refused_by_the_reader(tmp_path: Path) -> None:
    text = annotation_xml(xmin="-1e308", xmax="1e308")
    path = write_xml(tmp_path, REF, text)
    with pytest.raises(nc.InputError) as info:
        nc.read(tmp_path, "voc").materialize()
    assert str(info.value).startswith(f"{path}:{line_of(text, '<bndbox>')}: ")


def test_more_class_names_than_palette_indices_are_read_and_written_as_boxes(
    tmp_path: Path,
) -> None:
    objects = "".join(object_xml(f"class{i}") for i in range(240))
    write_xml(tmp_path, REF, annotation_xml(objects=objects))
    dataset = nc.read(tmp_path, "voc").materialize()
    (item,) = dataset.items
    assert len(item.annotations) == 240
    unindexed = [c.name for c in dataset.header.categories if c.source_id is None]
    assert unindexed == [f"class{i}" for i in range(234, 240)]  # 21 VOC + 234 fill 0..254
    nc.write(dataset.stream(), tmp_path / "back", "voc")
    (back,) = nc.read(tmp_path / "back", "voc").items
    assert [a.label for a in back.annotations] == [f"class{i}" for i in range(240)]


# --------------------------------------------------------------------------- property

JUNK = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            *("", " ", "-1", "0", "nan", "inf", "-inf", "1e309", "1e-400", "1_0", "0x10"),
            *("\u0663", "4.5", "+3", " 7 ", "&amp;", "&", "<", "]]>", "\x00", "\x1f", "&#0;"),
            "\ufffe",
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.floats().map(repr),
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(list(FIELDS)), junk=JUNK, escaped=st.booleans())
def test_junk_in_one_field_is_read_or_refused_with_input_error(
    field: str, junk: str, escaped: bool
) -> None:
    value = escape(junk) if escaped else junk
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = write_xml(root, REF, annotation_xml(**{field: value}))
        try:
            dataset = nc.read(root, "voc").materialize()
        except nc.InputError as err:
            assert str(err).startswith(f"{path}:"), str(err)
            return
    (item,) = dataset.items
    assert isinstance(item.media.width, int) and item.media.width > 0
    assert isinstance(item.media.height, int) and item.media.height > 0
    (box,) = item.annotations
    assert isinstance(box, Box)
    assert box.label and box.label == box.label.strip()
    assert all(math.isfinite(v) for v in (box.x, box.y, box.width, box.height))
    assert box.width >= 1 and box.height >= 1
