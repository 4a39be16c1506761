"""The example plugin installed the way an outsider installs it: a fresh virtual environment,
``pip install`` of this package and of ``plugins/nucleus-convert-yolo`` (not editable), then the
CLI of that environment. Uninstalling the plugin takes its format away again.

This test downloads the dependencies (pip's cache makes reruns quick); it needs the package
index the README's set-up already needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import orjson
import pytest
from paths import ROOT
from PIL import Image

_NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "out",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    ".data",
)


def _run(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # Run outside the checkout: `python -c` puts the working directory first on sys.path.
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
        cwd=cwd or Path(tempfile.gettempdir()),
    )


def _clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        k: v for k, v in os.environ.items() if k not in drop and not k.startswith("NUCLEUS_CONVERT")
    }


def _yolo_dataset(root: Path) -> Path:
    """Ultralytics layout: one 40 x 20 image with one box, one negative image."""
    for sub in ("images/train", "labels/train"):
        (root / sub).mkdir(parents=True)
    Image.new("RGB", (40, 20)).save(root / "images/train/a.png")
    Image.new("RGB", (10, 10)).save(root / "images/train/b.png")
    (root / "labels/train/a.txt").write_text("1 0.5 0.5 0.25 0.5\n")
    (root / "data.yaml").write_text("train: images/train\nnames:\n  0: cat\n  1: dog\n")
    return root


@pytest.fixture(scope="module")
def env_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("outsider")
    # Build from a copy of the sources, as from a fresh clone: no stale build/ folder, no .venv.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    target = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    bin_dir = target / "bin"
    proc = _run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        source,
        source / "plugins" / "nucleus-convert-yolo",
        env=_clean_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return bin_dir


def test_fresh_environment_lists_yolo_from_its_distribution_and_converts(
    env_bin: Path, tmp_path: Path
) -> None:
    env = _clean_env()
    # The package came from the index of this environment, not from this checkout's .venv.
    where = _run(
        env_bin / "python",
        "-c",
        "import nucleus_convert, sys; print(nucleus_convert.__file__)",
        env=env,
    )
    assert where.returncode == 0 and str(env_bin.parent) in where.stdout, where.stdout
    assert sys.prefix not in where.stdout

    formats = _run(env_bin / "nucleus-convert", "formats", "--json", env=env)
    assert formats.returncode == 0, formats.stderr
    rows = {r["name"]: r for r in orjson.loads(formats.stdout)}
    assert "yolo" in rows
    plugins = _run(env_bin / "nucleus-convert", "plugins", "--json", env=env)
    infos = {p["name"]: p for p in orjson.loads(plugins.stdout)}
    assert infos["yolo"]["distribution"] == "nucleus-convert-yolo"
    assert infos["yolo"]["version"] == "0.1.0"
    assert infos["yolo"]["formats"] == ["yolo"]
    assert rows["yolo"]["plugin"] == "yolo"

    src = _yolo_dataset(tmp_path / "yolo")
    out = tmp_path / "bundle"
    proc = _run(
        env_bin / "nucleus-convert",
        "convert",
        "--from",
        "yolo",
        "--to",
        "nucleus",
        src,
        out,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    boxes = [orjson.loads(line) for line in (out / "annotations.jsonl").read_bytes().splitlines()]
    assert [(b["label"], b["geometry"]) for b in boxes] == [
        ("dog", {"x": 15.0, "y": 5.0, "width": 10.0, "height": 10.0})
    ]
    items = (out / "items.jsonl").read_bytes().splitlines()
    assert len(items) == 2

    removed = _run(
        env_bin / "python",
        "-m",
        "pip",
        "uninstall",
        "--yes",
        "--quiet",
        "nucleus-convert-yolo",
        env=env,
    )
    assert removed.returncode == 0, removed.stderr
    formats = _run(env_bin / "nucleus-convert", "formats", "--json", env=env)
    assert formats.returncode == 0, formats.stderr
    assert "yolo" not in {r["name"] for r in orjson.loads(formats.stdout)}
    proc = _run(
        env_bin / "nucleus-convert", "convert", "--from", "yolo", src, tmp_path / "again", env=env
    )
    assert proc.returncode == 2 and "unknown format 'yolo'" in proc.stderr


_PUBLIC = {"nucleus_convert", "nucleus_convert.testing", "nucleus_convert.toolkit"}


def test_yolo_plugin_code_and_tests_import_only_the_public_api() -> None:
    import ast

    plugin = ROOT / "plugins" / "nucleus-convert-yolo"
    seen: set[str] = set()
    for path in [*plugin.glob("src/**/*.py"), *plugin.glob("tests/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "nucleus_convert":
                    private = [a.name for a in node.names if a.name.startswith("_")]
                    assert not private, f"{path}: imports private names {private}"
            for name in names:
                if name.split(".")[0] == "nucleus_convert":
                    assert name in _PUBLIC, f"{path}: imports {name}, not public API"
                    seen.add(name)
    assert seen == _PUBLIC  # the check looked at real imports of each
