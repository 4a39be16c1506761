"""Shared fixtures: fresh plugins for every test, every Nucleus bundle a test writes judged by
the official client, a fake site folder, the every-kind dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from every_kind import every_kind_dataset

import nucleus_convert
from nucleus_convert import api
from nucleus_convert.model import MaterializedDataset
from nucleus_convert.testing.judge import judge_nucleus_bundle


@pytest.fixture(autouse=True)
def _fresh_plugins(nucleus_fresh_plugins: None) -> None:
    """Every test starts with freshly loaded plugins and no plugin variables set, through the
    fixture nucleus-convert ships to plugin authors (``nucleus_convert.testing.pytest_plugin``).
    """


@pytest.fixture(autouse=True)
def _nucleus_bundles_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Nucleus bundle written in this process during a test (``write``, ``convert``, the
    CLI run in process) is judged as soon as it is written: each payload line through the
    client's ``from_json``/``to_payload``, and the client's duplicate-id checks over the whole
    annotation and prediction files. A test that must see a raw bundle the client refuses
    has none: the writer never produces one."""
    write = api.write

    def judged(*args: Any, **kwargs: Any) -> api.WriteResult:
        result = write(*args, **kwargs)
        if result.format == "nucleus" and isinstance(result.path, Path):  # a URL: judged local
            judge_nucleus_bundle(result.path)
        return result

    monkeypatch.setattr(api, "write", judged)
    monkeypatch.setattr(nucleus_convert, "write", judged)


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
