"""nucleus_convert/converters/kitti_raw/tracklets.py: tracklet_labels.xml: written in the Boost
layout the devkit's loader expects, and any tracklets survive the XML exactly."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kitti_raw_samples import DATE, DRIVE_NAME, _floats, strip_lines
from lxml import etree

import nucleus_convert as nc
from nucleus_convert.converters.kitti_raw.tracklets import (
    POSE_FIELDS,
    Pose,
    Tracklet,
    format_tracklets,
    parse_tracklets,
)


def test_written_xml_has_the_boost_layout_the_devkit_loader_expects(tmp_path: Path) -> None:
    out = tmp_path / "out"
    nc.write(nc.read(DATE, "kitti_raw"), out, "kitti_raw")
    text = (out / DRIVE_NAME / "tracklet_labels.xml").read_text()
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n'
        "<!DOCTYPE boost_serialization>\n"
        '<boost_serialization signature="serialization::archive" version="9">\n'
        '<tracklets class_id="0" tracking_level="0" version="0">\n'
        "\t<count>3</count>\n\t<item_version>1</item_version>\n"
        '\t<item class_id="1" tracking_level="0" version="1">\n'
    )
    # each class's attributes appear once, on its first object, as Boost writes them
    assert text.count('class_id="2"') == 1 and text.count('class_id="3"') == 1
    root = etree.fromstring(text.encode(), etree.XMLParser(load_dtd=False, no_network=True))
    for tracklet in root.find("tracklets").findall("item"):  # type: ignore[union-attr]
        assert [c.tag for c in tracklet] == [
            "objectType", "h", "w", "l", "first_frame", "poses", "finished"
        ]  # fmt: skip
        poses = tracklet.find("poses")
        assert poses is not None
        items = poses.findall("item")
        assert int(poses.findtext("count") or -1) == len(items)
        for pose in items:
            assert tuple(c.tag for c in pose) == POSE_FIELDS  # tracklets.h save order


_ints = st.integers(min_value=-(2**31), max_value=2**31 - 1)


@st.composite
def _pose(draw: st.DrawFn) -> Pose:
    values: dict[str, float | int] = {}
    for name in POSE_FIELDS:
        is_int = name in ("state", "occlusion", "occlusion_kf", "truncation") or name.endswith(
            "_kf"
        )
        values[name] = draw(_ints) if is_int else draw(_floats)
    return Pose(values)


_tracklet = st.builds(
    Tracklet,
    object_type=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=12),
    h=_floats,
    w=_floats,
    l=_floats,
    first_frame=st.integers(min_value=0, max_value=10**6),
    poses=st.lists(_pose(), max_size=4),
    finished=_ints,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tracklets=st.lists(_tracklet, max_size=4))
def test_any_tracklets_survive_the_xml_exactly(tmp_path: Path, tracklets: list[Tracklet]) -> None:
    path = tmp_path / "tracklet_labels.xml"
    path.write_bytes(format_tracklets(tracklets))
    back = strip_lines(parse_tracklets(path))
    assert back == tracklets
    for a, b in zip(back, tracklets, strict=True):  # -0.0 stays -0.0
        assert [math.copysign(1, v) for v in (a.h, a.w, a.l)] == [
            math.copysign(1, v) for v in (b.h, b.w, b.l)
        ]
