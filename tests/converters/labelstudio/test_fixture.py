"""The bundled Label Studio fixture is what its generator makes, byte for byte."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from paths import FIXTURES

GENERATOR = FIXTURES / "make_labelstudio_fixture.py"
FILES = [
    "tasks.json",
    "tasks_min.json",
    "images/red square.png",
    "upload/2/5b1c0e7d-blue.png",
]


def test_the_generator_makes_the_committed_fixture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("make_labelstudio_fixture", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert made == sorted(FILES)
    for name in FILES:
        committed = (FIXTURES / "labelstudio" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, name
