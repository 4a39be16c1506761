"""Shared fixtures: fresh plugins for every test, a fake site folder, the every-kind dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
from every_kind import every_kind_dataset

from nucleus_convert.model import MaterializedDataset


@pytest.fixture(autouse=True)
def _fresh_plugins(nucleus_fresh_plugins: None) -> None:
    """Every test starts with freshly loaded plugins and no plugin variables set, through the
    fixture nucleus-convert ships to plugin authors (``nucleus_convert.testing.pytest_plugin``).
    """


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder on ``sys.path`` to install fake distributions into (``fake_dist``)."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


@pytest.fixture
def every_kind() -> MaterializedDataset:
    return every_kind_dataset()
