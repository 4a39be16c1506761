"""Crash classes the fuzz harness found, each kept as a regression test with its minimised
input inline: the input replaces one file of the reader's seed tree and is read in a child of
the fork server, as in a fuzz run. A class not fixed yet is a strict expected failure, and is
listed in ``EXCLUDED`` of tests/fuzz/test_short_run.py; when it is fixed, its test passes, the
strict xfail fails the suite, and both marks go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzz.cases import Case, materialise
from fuzz.client import Server
from fuzz.outcome import Outcome
from fuzz.seeds import reader_named


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[tuple[str, ...], Server]]:
    started: dict[tuple[str, ...], Server] = {}
    yield started
    for server in started.values():
        server.close()


def _read(
    servers: dict[tuple[str, ...], Server], tmp_path: Path, reader: str, relpath: str, data: bytes
) -> Outcome:
    spec = reader_named(reader)
    seed = tmp_path / "seed"
    seed.mkdir()
    spec.build(seed)
    case = tmp_path / "case"
    materialise(seed, Case(relpath, data), case)
    server = servers.setdefault(spec.preload, Server(spec.preload))
    return server.run(
        case, spec.entry, spec.fmt, spec.options_for(case), timeout=10.0, memory=1 << 30
    )


def _no_crash(outcome: Outcome) -> None:
    assert not outcome.is_crash, outcome.describe()


@pytest.mark.xfail(
    strict=True,
    reason="TypeError at nucleus_convert/converters/nucleus/manifest.py:<setcomp>: "
    "issue 17, not fixed yet",
)
def test_a_manifest_category_whose_name_is_an_object(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    outcome = _read(
        servers,
        tmp_path,
        "nucleus_bundle",
        "nucleus/manifest.json",
        b'{"categories":[{"name":{}}]}',
    )
    _no_crash(outcome)
