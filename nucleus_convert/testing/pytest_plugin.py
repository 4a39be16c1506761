"""pytest fixtures for plugin authors, installed through the ``pytest11`` entry point.

With nucleus-convert installed, any pytest run gets:

``nucleus_conformance``
    ``nucleus_conformance(format_name, samples, **options) -> ConformanceReport``: runs
    :func:`nucleus_convert.testing.check_format` in the test's ``tmp_path`` and fails the test
    with every failed check listed;
``nucleus_judge``
    ``nucleus_judge(bundle_dir) -> counts``: the official Nucleus client's verdict on every
    payload of a bundle;
``nucleus_fresh_plugins``
    clears the ``NUCLEUS_CONVERT_*_PLUGINS`` variables and reloads the plugins before the test
    and after it, for tests that install, disable or break plugins.

Nothing heavy is imported until a fixture is used, so the plugin costs other projects nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nucleus_convert.testing.conformance import ConformanceReport


@pytest.fixture
def nucleus_fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plugins loaded afresh, with no plugin variable set, before and after the test."""
    from nucleus_convert.plugins import DISABLE_ENV, NO_PLUGINS_ENV, TRACE_ENV
    from nucleus_convert.testing import reload_plugins

    for var in (NO_PLUGINS_ENV, DISABLE_ENV, TRACE_ENV):
        monkeypatch.delenv(var, raising=False)
    reload_plugins()
    yield
    reload_plugins()


@pytest.fixture
def nucleus_conformance(
    tmp_path: Path, nucleus_fresh_plugins: None
) -> Callable[..., ConformanceReport]:
    """Run the conformance kit on a format; the test fails listing every failed check."""
    from nucleus_convert.testing import check_format

    runs = 0

    def run(
        name: str, samples: Sequence[str | Path] | str | Path, **options: Any
    ) -> ConformanceReport:
        nonlocal runs
        runs += 1
        return check_format(name, samples, workdir=tmp_path / f"conformance-{runs}", **options)

    return run


@pytest.fixture
def nucleus_judge() -> Callable[[str | Path], dict[str, int]]:
    """The official Nucleus client as the judge of a bundle's payloads."""
    from nucleus_convert.testing import judge_nucleus_bundle

    return judge_nucleus_bundle
