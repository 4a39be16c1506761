"""The README's preview images: one per built-in format, made by
``docs/previews/make_previews.py``, small."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from paths import ROOT
from PIL import Image

from nucleus_convert.plugins import BUILTIN_PLUGINS, get_registry

SCRIPT = ROOT / "docs" / "previews" / "make_previews.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_previews", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_makes_one_small_png_per_builtin_format(tmp_path: Path) -> None:
    builtin = sorted(f.name for f in get_registry() if f.plugin in BUILTIN_PLUGINS and f.read)
    written = _script().make_previews(tmp_path)
    assert sorted(written) == builtin
    for name, path in written.items():
        assert path == tmp_path / f"{name}.png"
        assert 1_000 < path.stat().st_size < 80_000, name
        with Image.open(path) as im:
            assert im.width <= 640 and im.height <= 640 + 120, name  # the caption under it


def test_the_committed_previews_are_there() -> None:
    for name in _script().SAMPLES:
        assert (ROOT / "docs" / "previews" / f"{name}.png").is_file(), name
