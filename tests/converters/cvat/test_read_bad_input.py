"""Malformed CVAT input: one error line naming the file, the line and the record, exit status 2,
nothing written; DTDs and entities refused (safe_xml); RLE and sizes past the pixel limit
refused before anything is allocated; ``on_error=skip`` leaves a bad image out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cli_runner import run_cli

import nucleus_convert as nc
from nucleus_convert.errors import InputError

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n<version>1.1</version>\n'


def _images(body: str, meta: str = "") -> str:
    return f"{HEAD}<meta><task><name>t</name>{meta}</task></meta>\n{body}</annotations>\n"


def _image(shapes: str, name: str = "a.png", size: str = 'width="8" height="6"') -> str:
    return f'<image id="0" name="{name}" {size}>\n{shapes}</image>\n'


BOX = '<box label="car" occluded="0" xtl="1" ytl="1" xbr="3" ybr="2" z_order="0"/>\n'

CASES: dict[str, tuple[str, int, str]] = {
    "box corner not a number": (
        _images(_image(BOX.replace('xbr="3"', 'xbr="nan"'))),
        6,
        "field 'xbr': expected a number",
    ),
    "box ends before it starts": (
        _images(_image(BOX.replace('xbr="3"', 'xbr="0"'))),
        6,
        "the box ends before it starts",
    ),
    "shape without label": (
        _images(_image('<polygon points="0,0;1,0;1,1"/>\n')),
        6,
        "a <polygon> has no label",
    ),
    "polygon of two points": (
        _images(_image('<polygon label="x" points="0,0;1,0"/>\n')),
        6,
        "needs at least 3 points",
    ),
    "point that is no pair": (
        _images(_image('<polyline label="x" points="0,0;1"/>\n')),
        6,
        "point 1 is '1', not 'x,y'",
    ),
    "occluded not a flag": (
        _images(_image(BOX.replace('occluded="0"', 'occluded="yes"'))),
        6,
        "expected 0 or 1",
    ),
    "image without name": (
        _images('<image id="0" width="8" height="6">\n</image>\n'),
        5,
        "no name",
    ),
    "same image twice": (
        _images(_image("") + _image("").replace('id="0"', 'id="1"')),
        7,
        "appears twice",
    ),
    "image width not a number": (
        _images(_image("", size='width="8px" height="6"')),
        5,
        "field 'width'",
    ),
    "attribute without name": (
        _images(_image('<tag label="t"><attribute>1</attribute></tag>\n')),
        6,
        "has no name",
    ),
    "rle with a negative run": (
        _images(_image('<mask label="m" rle="1, -2" left="0" top="0" width="2" height="2"/>\n')),
        6,
        "run 1 is '-2'",
    ),
    "mask past the image": (
        _images(_image('<mask label="m" rle="0, 4" left="7" top="0" width="2" height="2"/>\n')),
        6,
        "reach past the 8x6 image",
    ),
    "mask on an image without size": (
        _images(
            _image('<mask label="m" rle="0, 1" left="0" top="0" width="1" height="1"/>\n', size="")
        ),
        6,
        "needs the image's width and height",
    ),
    "skeleton element that is not points": (
        _images(_image('<skeleton label="s"><box label="a"/></skeleton>\n')),
        6,
        "are <points",
    ),
    "meta size not a number": (_images("", "<size>many</size>"), 4, "field 'size'"),
    "images and tracks": (
        _images(_image("") + '<track id="0" label="x"></track>\n'),
        7,
        "both <image> and <track>",
    ),
    "track frame not a number": (
        f'{HEAD}<track id="0" label="x"><box frame="a" xtl="0" ytl="0" xbr="1" ybr="1"/>'
        "</track>\n</annotations>\n",
        4,
        "field 'frame'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_cvat_input_is_refused_naming_file_line_and_record(case: str, tmp_path: Path) -> None:
    text, line, says = CASES[case]
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        nc.read(path, "cvat").materialize()
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert says in message and "\n" not in message


@pytest.mark.parametrize("case", ["box corner not a number", "mask past the image"])
def test_cli_gives_one_error_line_and_writes_nothing(case: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(CASES[case][0], encoding="utf-8")
    proc = run_cli("convert", str(path), str(tmp_path / "out"), "--from", "cvat", "--to", "nucleus")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:"), proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_not_cvat_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text("<annotation><object/></annotation>", encoding="utf-8")
    with pytest.raises(InputError, match="root element is <annotation>, not CVAT's"):
        nc.read(path, "cvat")
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(InputError, match=r"not a CVAT export: no annotations\.xml"):
        nc.read(folder, "cvat")


def test_billion_laughs_and_external_entities_are_refused_fast(tmp_path: Path) -> None:
    lol = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    for doctype, body in (
        (lol, "&lol9;"),
        ('<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
    ):
        path = tmp_path / "evil.xml"
        path.write_text(
            f'<?xml version="1.0"?>\n{doctype}\n<annotations><version>1.1</version>'
            f'<image id="0" name="{body}" width="2" height="2"/></annotations>',
            encoding="utf-8",
        )
        start = time.monotonic()
        with pytest.raises(InputError, match="document type and entity declarations are refused"):
            nc.read(path, "cvat")
        assert time.monotonic() - start < 1.0


def test_a_mask_larger_than_max_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    shape = '<mask label="m" rle="0, 1" left="0" top="0" width="60000" height="60000"/>\n'
    path.write_text(_images(_image(shape, size='width="60000" height="60000"')), encoding="utf-8")
    with pytest.raises(InputError, match="the mask is too large: 60000x60000"):
        nc.read(path, "cvat").materialize()
    small = tmp_path / "small.xml"
    shape = '<mask label="m" rle="0, 1" left="0" top="0" width="1" height="1"/>\n'
    small.write_text(_images(_image(shape, size='width="20" height="20"')), encoding="utf-8")
    with pytest.raises(InputError, match="the image is too large: 20x20 is 400 pixels"):
        nc.read(small, "cvat", max_pixels=100).materialize()


def test_on_error_skip_leaves_the_bad_image_out_and_lists_it(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xml"
    good = _image(BOX, name="good.png")
    bad = _image(BOX.replace('xtl="1"', 'xtl="x"'), name="bad.png").replace('id="0"', 'id="1"')
    path.write_text(_images(good + bad), encoding="utf-8")
    dataset = nc.read(path, "cvat", on_error="skip").materialize()
    assert [i.reference_id for i in dataset.items] == ["good.png"]
    assert len(dataset.losses.skipped) == 1 and "image 'bad.png'" in dataset.losses.skipped[0]


def test_on_error_skip_leaves_a_bad_track_shape_out(tmp_path: Path) -> None:
    path = tmp_path / "video.xml"
    shapes = (
        '<box frame="0" keyframe="1" outside="0" occluded="0" xtl="0" ytl="0" xbr="1" ybr="1"/>'
        '<box frame="1" keyframe="1" outside="0" occluded="0" xtl="0" ytl="0" xbr="z" ybr="1"/>'
    )
    path.write_text(f'{HEAD}<track id="3" label="car">{shapes}</track>\n</annotations>\n', "utf-8")
    dataset = nc.read(path, "cvat", on_error="skip").materialize()
    assert [len(i.annotations) for i in dataset.items] == [1, 0]
    assert "track '3', frame 1" in dataset.losses.skipped[0]


def test_ellipses_and_cuboids_are_counted_by_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "shapes.xml"
    shapes = (
        '<ellipse label="e" cx="4" cy="3" rx="2" ry="1" occluded="0"/>\n'
        '<cuboid label="c" xtl1="0" ytl1="0" xbl1="0" ybl1="1" xtr1="1" ytr1="0" xbr1="1" '
        'ybr1="1" xtl2="0" ytl2="0" xbl2="0" ybl2="1" xtr2="1" ytr2="0" xbr2="1" ybr2="1"/>\n'
        "<sparkle/>\n"
    )
    path.write_text(_images(_image(shapes)), encoding="utf-8")
    dataset = nc.read(path, "cvat").materialize()
    assert [a.kind for a in dataset.items[0].annotations] == ["polygon"]
    rows = {(e.kind, e.field): e.counts for e in dataset.losses}
    assert rows == {("polygon", "points"): {"approximated": 1}, ("record", "*"): {"dropped": 2}}
