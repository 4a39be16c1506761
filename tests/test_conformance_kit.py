"""The conformance kit: the built-in formats pass it, and each of its checks fails on a format
flawed in the way the check looks for (so no check is one that cannot fail)."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import orjson
import pytest
from fake_dist import make_dist
from kit_fakes import kit_fakes_source, sample_rows
from paths import FIXTURES

from nucleus_convert.testing import (
    CHECKS,
    ConformanceError,
    ConformanceReport,
    check_format,
    judge_nucleus_bundle,
    kitchen_sink_dataset,
    record_counts,
)

pytest_plugins = ["pytester"]

_modules = itertools.count()


def _install(site: Path, *fakes: str) -> None:
    # A new module name each time: Python caches imported modules by name.
    make_dist(
        site, "kit-fakes", "kitfakes", f"kit_fakes_{next(_modules)}", kit_fakes_source(*fakes)
    )


def _sample(tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / f"sample.{fmt}"
    path.write_bytes(orjson.dumps(sample_rows()))
    return path


def _verdicts(report: ConformanceReport) -> dict[str, bool]:
    return {c.name: c.passed for c in report.checks}


@pytest.fixture
def coco_labels(tmp_path: Path) -> Path:
    """A COCO file whose one annotation carries only a category (an image category)."""
    path = tmp_path / "labels.json"
    path.write_bytes(
        orjson.dumps(
            {
                "images": [{"id": 7, "file_name": "a.jpg", "width": 20, "height": 10}],
                "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
                "annotations": [{"id": 3, "image_id": 7, "category_id": 2}],
            }
        )
    )
    return path


@pytest.mark.parametrize(
    ("name", "samples"),
    [
        ("nucleus", [FIXTURES / "nucleus"]),
        ("voc", [FIXTURES / "voc" / "VOC2012"]),
        ("coco", [FIXTURES / "coco" / "instances_demo.json", "labels"]),
    ],
)
def test_builtin_format_passes_every_check_of_the_kit(
    name: str, samples: list[Path | str], coco_labels: Path, tmp_path: Path
) -> None:
    paths = [coco_labels if s == "labels" else s for s in samples]
    report = check_format(name, paths, workdir=tmp_path / "kit", distribution="nucleus-convert")
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == list(CHECKS)


def test_kitchen_sink_holds_every_annotation_kind(tmp_path: Path) -> None:
    counts = record_counts(kitchen_sink_dataset(tmp_path).materialize())
    from nucleus_convert import ANNOTATION_KINDS

    assert {k.removesuffix(" prediction") for k in counts} >= set(ANNOTATION_KINDS)
    assert counts["box prediction"] == 1 and counts["scene"] == 1


def test_honest_fake_passes_and_is_traced_to_its_distribution(site: Path, tmp_path: Path) -> None:
    _install(site, "good")
    report = check_format(
        "good", _sample(tmp_path, "good"), workdir=tmp_path / "kit", distribution="kit-fakes"
    )
    assert report.passed, str(report)


def test_unknown_format_fails_registers(tmp_path: Path) -> None:
    with pytest.raises(ConformanceError, match=r"\[FAIL\] registers: unknown format 'nope'"):
        check_format("nope", [], workdir=tmp_path)


def test_wrong_distribution_fails_registers(site: Path, tmp_path: Path) -> None:
    _install(site, "good")
    report = check_format(
        "good",
        _sample(tmp_path, "good"),
        workdir=tmp_path / "kit",
        distribution="someone-else",
        raise_on_failure=False,
    )
    assert _verdicts(report)["registers"] is False
    assert "expected 'someone-else'" in report.failures[0].detail
    assert [c.name for c in report.failures] == ["registers"]


def test_declared_kind_missing_from_samples_fails_reads_the_samples(
    site: Path, tmp_path: Path
) -> None:
    _install(site, "overclaims")
    report = check_format(
        "overclaims",
        _sample(tmp_path, "overclaims"),
        workdir=tmp_path / "kit",
        raise_on_failure=False,
    )
    assert [c.name for c in report.failures] == ["reads the samples"]
    assert "hold no polygon" in report.failures[0].detail


def test_missing_sample_file_fails_reads_the_samples(site: Path, tmp_path: Path) -> None:
    _install(site, "good")
    report = check_format(
        "good", tmp_path / "absent.good", workdir=tmp_path / "kit", raise_on_failure=False
    )
    assert [c.name for c in report.failures] == ["reads the samples"]
    assert "absent.good" in report.failures[0].detail


@pytest.mark.parametrize(
    ("installed", "fmt", "failed", "says"),
    [
        (("nodetect",), "nodetect", ["detects its own output"], "declares no detect()"),
        (("good", "greedy"), "good", ["detects its own output"], "several formats (good, greedy)"),
        (
            ("rounding",),
            "rounding",
            ["round-trips declared kinds"],
            "box.x: changed 1 (1.25 became 1)",
        ),
        (("silent",), "silent", ["counts what it cannot carry"], "no loss counted"),
        (
            ("loseitem",),
            "loseitem",
            ["reads what it writes", "counts what it cannot carry"],
            "2 items written, 1 read back",
        ),
        (
            ("crashing",),
            "crashing",
            ["writes the samples"],
            "writer of format 'crashing' failed with KeyError",
        ),
    ],
)
def test_each_check_fails_on_the_flaw_it_looks_for(
    site: Path, tmp_path: Path, installed: tuple[str, ...], fmt: str, failed: list[str], says: str
) -> None:
    _install(site, *installed)
    report = check_format(
        fmt, _sample(tmp_path, fmt), workdir=tmp_path / "kit", raise_on_failure=False
    )
    assert [c.name for c in report.failures] == failed, str(report)
    assert says in report.failures[0].detail
    with pytest.raises(ConformanceError, match="FAIL"):
        check_format(fmt, _sample(tmp_path, fmt), workdir=tmp_path / "kit2")


def test_tolerance_admits_differences_within_it(site: Path, tmp_path: Path) -> None:
    _install(site, "rounding")
    report = check_format(
        "rounding", _sample(tmp_path, "rounding"), workdir=tmp_path / "kit", tolerance=0.5
    )
    assert report.passed, str(report)


def test_silent_writer_failure_names_each_uncounted_kind(site: Path, tmp_path: Path) -> None:
    _install(site, "silent")
    report = check_format(
        "silent", _sample(tmp_path, "silent"), workdir=tmp_path / "kit", raise_on_failure=False
    )
    detail = report.failures[0].detail
    for key in ("polygon", "keypoints", "instance_mask", "segmentation", "cuboid", "scene"):
        assert f" {key} (reported: 0)" in detail, detail


def test_judge_names_the_file_and_line_of_a_payload_the_client_changes(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    good = {"metadata": {}, "reference_id": "a", "image_url": "s3://b/a.jpg"}
    # The client drops fields it does not know: this payload does not survive to_payload().
    bad = {**good, "reference_id": "b", "not_a_field": 1}
    (bundle / "items.jsonl").write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n")
    with pytest.raises(ConformanceError, match=r"items\.jsonl:2: .*not_a_field"):
        judge_nucleus_bundle(bundle)
    (bundle / "items.jsonl").write_bytes(orjson.dumps(good) + b"\n")
    assert judge_nucleus_bundle(bundle) == {"items": 1}


def test_pytest_plugin_fixtures_load_through_the_entry_point(pytester: pytest.Pytester) -> None:
    voc = FIXTURES / "voc" / "VOC2012"
    pytester.makepyfile(
        textwrap.dedent(
            f"""
            def test_voc_conforms(nucleus_conformance):
                report = nucleus_conformance("voc", [{str(voc)!r}])
                assert report.passed

            def test_missing_format_fails(nucleus_conformance):
                nucleus_conformance("no-such-format", [{str(voc)!r}])

            def test_judge(nucleus_judge, tmp_path):
                assert nucleus_judge(tmp_path) == {{}}
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*ConformanceError*", "*[[]FAIL[]] registers: unknown format*"])


_MADE_UP_ROWS = """
import dataclasses

_madeup = make("madeup")


def _madeup_write(dataset, dst, options, report):
    summary = _madeup.write(dataset, dst, options, report)
    report.dropped("prediction", reason="a kind the model does not have")
    report.dropped("cuboid", "heading", reason="a field cuboids do not have")
    report.dropped("polyline", "attributes.note", reason="a refinement of a model field: fine")
    return summary


FAKES.append(dataclasses.replace(_madeup, write=_madeup_write))
"""


def test_rows_under_made_up_kinds_or_fields_fail_names_model_kinds_and_fields(
    site: Path, tmp_path: Path
) -> None:
    make_dist(
        site,
        "kit-fakes",
        "kitfakes",
        f"kit_fakes_{next(_modules)}",
        kit_fakes_source("madeup") + _MADE_UP_ROWS,
    )
    report = check_format(
        "madeup", _sample(tmp_path, "madeup"), workdir=tmp_path / "kit", raise_on_failure=False
    )
    assert [c.name for c in report.failures] == ["names model kinds and fields"], str(report)
    detail = report.failures[0].detail
    assert "prediction.*: 'prediction' is not a model record kind" in detail
    assert "cuboid.heading: 'heading' is not a field of cuboid" in detail
    assert "attributes.note" not in detail


def test_honest_rows_pass_names_model_kinds_and_fields(site: Path, tmp_path: Path) -> None:
    _install(site, "good")
    report = check_format("good", _sample(tmp_path, "good"), workdir=tmp_path / "kit")
    check = next(c for c in report.checks if c.name == "names model kinds and fields")
    assert check.passed and "each naming a model kind and field" in check.detail
