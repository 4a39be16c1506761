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
