"""nucleus_convert/converters/cvat/meta.py: ``<meta>`` of a task, a job or a project, CVAT 1.0
attribute specs, and skeleton edges from the label's ``<svg>``."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

import nucleus_convert as nc
from nucleus_convert.converters.cvat.meta import LabelSpec, parse_meta, svg_edges


def _meta(xml: str) -> etree._Element:
    return etree.fromstring(f"<meta>{xml}</meta>")


def test_a_job_export_gives_its_frames_and_labels() -> None:
    meta = parse_meta(
        _meta(
            "<job><id>9</id><size>3</size><mode>interpolation</mode><start_frame>4</start_frame>"
            "<stop_frame>8</stop_frame><frame_filter>step=2</frame_filter>"
            "<labels><label><name>car</name><attributes/></label></labels>"
            "<original_size><width>64</width><height>48</height></original_size></job>"
        ),
        "x.xml",
    )
    assert meta.container == "job" and [s.name for s in meta.labels] == ["car"]
    task = meta.task(None)
    assert (task.frames(), task.width, task.height, task.mode) == (
        [4, 6, 8],
        64,
        48,
        "interpolation",
    )


def test_a_project_lists_each_task_by_id() -> None:
    meta = parse_meta(
        _meta(
            "<project><name>p</name><tasks>"
            "<task><id>1</id><size>2</size><subset>Train</subset></task>"
            "<task><id>2</id><start_frame>0</start_frame><stop_frame>2</stop_frame></task>"
            "</tasks><labels/></project>"
        ),
        "x.xml",
    )
    assert sorted(meta.tasks) == ["1", "2"]
    assert meta.tasks["1"].frames() == [0, 1] and meta.tasks["1"].subset == "Train"
    assert meta.tasks["2"].frames() == [0, 1, 2]


def test_cvat_1_0_one_line_attribute_specs_are_read() -> None:
    meta = parse_meta(
        _meta(
            "<task><labels><label><name>car</name><attributes>"
            "<attribute>~select=quality:good,bad</attribute>"
            "<attribute>@checkbox=parked:false</attribute>"
            "</attributes></label></labels></task>"
        ),
        "x.xml",
    )
    specs = meta.labels[0].attributes
    assert [(a.name, a.input_type, a.mutable, a.values) for a in specs] == [
        ("quality", "select", True, ["good", "bad"]),
        ("parked", "checkbox", False, ["false"]),
    ]


def test_skeleton_edges_follow_node_names_or_element_ids() -> None:
    names = ["a", "b", "c"]
    named = (
        '<circle data-node-id="7" data-label-name="c"></circle>'
        '<circle data-node-id="8" data-label-name="a"></circle>'
        '<line data-node-from="8" data-node-to="7"></line>'
        '<line data-node-from="8" data-node-to="99"></line>'
    )
    assert svg_edges(named, names) == [(0, 2)]
    by_id = (
        '<circle data-node-id="1" data-element-id="2"></circle>'
        '<circle data-node-id="2" data-element-id="3"></circle>'
        '<line data-node-from="1" data-node-to="2"></line>'
    )
    assert svg_edges(by_id, names) == [(1, 2)]


def test_a_label_spec_survives_category_attributes() -> None:
    spec = LabelSpec(
        "pose", type="skeleton", color="#fff", svg="<line/>", elements=[LabelSpec("head")]
    )
    again = LabelSpec.from_json("pose", spec.to_json())
    assert again == spec
    assert LabelSpec.from_json("x", "not a spec") == LabelSpec("x")


def test_a_video_task_without_tracks_still_has_its_frames(tmp_path: Path) -> None:
    path = tmp_path / "empty_video.xml"
    path.write_text(
        "<annotations><version>1.1</version><meta><task><size>3</size>"
        "<mode>interpolation</mode><original_size><width>4</width><height>2</height>"
        "</original_size></task></meta></annotations>",
        encoding="utf-8",
    )
    dataset = nc.read(path, "cvat").materialize()
    assert [i.reference_id for i in dataset.items] == [f"frame_{n:06d}" for n in range(3)]
    assert dataset.header.extra["cvat"]["flavour"] == "video"
