"""docs/writing-plugins.md is true: every hook has a reference heading and a test, the tutorial's
files make a plugin that installs and passes the conformance kit, and the quoted start-up error
is the one users get."""

from __future__ import annotations

import ast
import re
import textwrap
import tomllib
from pathlib import Path

import pytest
from cli_runner import run_cli
from fake_dist import make_dist
from paths import ROOT

from nucleus_convert import hookspecs

pytest_plugins = ["pytester"]

DOC = ROOT / "docs" / "writing-plugins.md"
_FILE_BLOCK = re.compile(r"```[a-z]*\n# file: (?P<path>\S+)\n(?P<body>.*?)```", re.S)


def _hook_names() -> list[str]:
    return sorted(
        name
        for name, obj in vars(hookspecs).items()
        if callable(obj) and hasattr(obj, f"{hookspecs.PROJECT_NAME}_spec")
    )


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _test_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    return names


def test_hook_list_is_not_empty() -> None:
    assert "register_formats" in _hook_names()


@pytest.mark.parametrize("hook", _hook_names())
def test_every_hook_has_a_reference_heading_and_a_test(hook: str) -> None:
    reference = _section(DOC.read_text(encoding="utf-8"), "Hook reference")
    assert f"\n### `{hook}`\n" in reference, f"docs: no '### `{hook}`' under '## Hook reference'"
    assert any(name.startswith(f"test_hook_{hook}") for name in _test_names()), (
        f"no test named test_hook_{hook}_... in tests/"
    )


def test_every_heading_of_the_hook_reference_is_a_real_hook() -> None:
    reference = _section(DOC.read_text(encoding="utf-8"), "Hook reference")
    assert re.findall(r"\n### `(\w+)`\n", reference) == _hook_names()


def _tutorial(root: Path) -> dict[str, Path]:
    files = {}
    for match in _FILE_BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        target = root / match["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(match["body"], encoding="utf-8")
        files[match["path"]] = target
    return files


def test_tutorial_plugin_installs_lists_and_passes_the_kit(
    tmp_path: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "nucleus-convert-csvboxes"
    files = _tutorial(project)
    assert set(files) == {
        "pyproject.toml",
        "src/nucleus_convert_csvboxes/__init__.py",
        "src/nucleus_convert_csvboxes/plugin.py",
        "tests/data/sample.csv",
        "tests/test_csvboxes.py",
    }
    meta = tomllib.loads(files["pyproject.toml"].read_text())["project"]
    ((entry_name, entry_value),) = meta["entry-points"]["nucleus_convert"].items()
    # Installed as pip would: the package on the path, a dist-info with its entry point.
    site = tmp_path / "site"
    make_dist(site, meta["name"], entry_name, "csvboxes_unused", "")
    info = next(site.glob("*.dist-info"))
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
    )
    (info / "entry_points.txt").write_text(f"[nucleus_convert]\n{entry_name} = {entry_value}\n")
    path = f"{site}:{project / 'src'}"

    proc = run_cli("plugins", pythonpath=Path(path))
    assert proc.returncode == 0, proc.stderr
    assert ["csvboxes", "nucleus-convert-csvboxes", "0.1.0", "csvboxes"] in [
        line.split() for line in proc.stdout.splitlines()
    ]
    out = tmp_path / "bundle"
    proc = run_cli("convert", str(files["tests/data/sample.csv"]), str(out), pythonpath=Path(path))
    assert proc.returncode == 0, proc.stderr
    assert len((out / "annotations.jsonl").read_bytes().splitlines()) == 2

    monkeypatch.setenv("PYTHONPATH", path)
    result = pytester.runpytest_subprocess(
        str(files["tests/test_csvboxes.py"]), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)


def test_tutorial_reader_names_file_and_line_of_bad_rows(tmp_path: Path) -> None:
    project = tmp_path / "tutorial"
    files = _tutorial(project)
    site = tmp_path / "site"
    make_dist(
        site,
        "nucleus-convert-csvboxes",
        "csvboxes",
        "csvboxes_plugin_shim",
        "from nucleus_convert_csvboxes.plugin import register_formats\n",
    )
    bad = tmp_path / "bad.csv"
    sample = files["tests/data/sample.csv"].read_text().splitlines()
    bad.write_text("\n".join([*sample[:2], "street,s3://b/s.jpg,640,480,car,1,2,x,4"]) + "\n")
    proc = run_cli(
        "convert",
        str(bad),
        str(tmp_path / "o"),
        "--from",
        "csvboxes",
        pythonpath=Path(f"{site}:{project / 'src'}"),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{bad}:3: w is not a number: 'x'" in proc.stderr


def test_quoted_start_up_error_is_the_real_one(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_dist(
        site, "broken-dist", "broken", "broken_plugin", "raise RuntimeError('boom at import')\n"
    )
    proc = run_cli("plugins", pythonpath=site)
    assert proc.returncode == 2
    section = _section(DOC.read_text(encoding="utf-8"), "When a plugin breaks start-up")
    quoted = re.search(r"```text\n(.*?)\n```", section, re.S)
    assert quoted is not None
    assert proc.stderr.strip() == textwrap.dedent(quoted[1]).strip()


_EXAMPLE = re.compile(r"```python\n# example: (?P<name>\S+)\n(?P<body>.*?)```", re.S)


def _install_toolkit_example(site: Path) -> None:
    """The writer toolkit section's example, installed as the plugin of a fake distribution."""
    section = _section(DOC.read_text(encoding="utf-8"), "The writer toolkit")
    (example,) = _EXAMPLE.finditer(section)
    assert example["name"] == "boxlines.py"
    make_dist(site, "nucleus-convert-boxlines", "boxlines", "boxlines_example", example["body"])


def _png(path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (8, 6)).save(path)
    return path


def test_toolkit_example_confines_places_and_counts_by_model_kind_and_field(
    site: Path, tmp_path: Path
) -> None:
    import nucleus_convert as nc
    from nucleus_convert.toolkit import loss_row_problem

    _install_toolkit_example(site)
    image = _png(tmp_path / "src" / "a.png")
    box = nc.Box(label="car", x=1, y=1, width=2, height=3, track_id="t")
    hostile = nc.Item(
        "../x",
        media=nc.ImageMedia(str(image), 8, 6),
        metadata={"weather": "rain"},
        camera=nc.CameraParams((0, 0, 0), (0, 0, 0, 1), 1, 1, 1, 1),
        annotations=[
            box,
            nc.Polygon(label="car", points=[(0, 0), (1, 0), (1, 1)]),
            nc.Box(label="car", x=0, y=0, width=1, height=1, score=0.5),
        ],
    )
    remote = nc.Item("r", media=nc.ImageMedia("s3://b/r.jpg", 8, 6))
    out = tmp_path / "out" / "ds"
    (tmp_path / "out").mkdir()
    result = nc.write(nc.Dataset.of([hostile, remote]), out, "boxlines")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ds"]  # atomic, confined
    (placed,) = (out / "images").iterdir()
    assert placed.name.startswith("_._x-") and placed.suffix == ".png"
    rows = {(e.kind, e.field): e.count("dropped") for e in result.report}
    assert rows == {
        ("box", "track_id"): 1,
        ("box", "*"): 1,  # the prediction, under its kind
        ("polygon", "*"): 1,
        ("item", "metadata.weather"): 1,
        ("item", "camera"): 1,
        ("item", "media"): 1,  # the remote image, not placed
    }
    assert all(loss_row_problem(kind, field) is None for kind, field in rows)
    back = {i.reference_id: i for i in nc.read(out, "boxlines").items}
    assert back["../x"].annotations == [nc.Box(label="car", x=1, y=1, width=2, height=3)]


def test_toolkit_example_reader_follows_on_error(site: Path, tmp_path: Path) -> None:
    import nucleus_convert as nc

    _install_toolkit_example(site)
    out = tmp_path / "out"
    item = nc.Item("a", media=nc.ImageMedia("s3://b/a.jpg", 8, 6))
    nc.write(nc.Dataset.of([item, nc.Item("b", media=item.media)]), out, "boxlines", images="none")
    lines = (out / "boxes.jsonl").read_text().splitlines()
    (out / "boxes.jsonl").write_text(lines[0] + '\n{"ref": "bad"}\n' + lines[1] + "\n")
    with pytest.raises(nc.InputError, match=r"boxes\.jsonl:2: not a boxlines record"):
        list(nc.read(out, "boxlines").items)
    dataset = nc.read(out, "boxlines", on_error="skip")
    assert [i.reference_id for i in dataset.items] == ["a", "b"]
    assert dataset.losses.entries[("item", "*")].count("dropped") == 1
    assert dataset.losses.skipped[0].startswith(f"{out / 'boxes.jsonl'}:2:")


def test_toolkit_example_passes_the_conformance_kit(site: Path, tmp_path: Path) -> None:
    import nucleus_convert as nc
    from nucleus_convert.testing import check_format

    _install_toolkit_example(site)
    image = _png(tmp_path / "a.png")
    box = nc.Box(label="car", x=1.5, y=1, width=2, height=3.25)
    sample = tmp_path / "sample"
    nc.write(
        nc.Dataset.of([nc.Item("a", media=nc.ImageMedia(str(image), 8, 6), annotations=[box])]),
        sample,
        "boxlines",
    )
    report = check_format("boxlines", [sample], workdir=tmp_path / "kit", raise_on_failure=False)
    assert report.passed, str(report)
