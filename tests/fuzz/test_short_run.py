"""The short fuzz run of CI: every reader, a few hundred deterministic inputs each (fixed
seed), each in a child process under a memory cap and a time limit; no crash class may appear
except the ones listed in ``EXCLUDED``: classes found and not fixed yet, each kept as an
expected failure in tests/fuzz/test_regressions.py. The long run is ``./project.sh fuzz``."""

from __future__ import annotations

from fuzz.campaign import format_report, fuzz_all
from fuzz.runner import Settings
from fuzz.seeds import READERS

INPUTS_PER_READER = 150
SEED = 20261203

# (exception type or signal, where) -> the reader that found it and what it is. Remove an entry
# when its class is fixed (its regression test in test_regressions.py then passes, and a strict
# xfail that passes fails the suite).
EXCLUDED: dict[tuple[str, str], str] = {}


def test_no_reader_crashes_on_the_short_fuzz_run() -> None:
    reports = fuzz_all(None, Settings(inputs=INPUTS_PER_READER, seed=SEED, timeout=5.0), jobs=2)
    assert {r.reader for r in reports} == {spec.name for spec in READERS}
    assert all(r.inputs == INPUTS_PER_READER for r in reports)
    found = {(r.reader, *key) for r in reports for key in r.crashes}
    unexpected = sorted(key for key in found if key[1:] not in EXCLUDED)
    summary = "\n".join(format_report(r) for r in reports if r.crashes)
    assert not unexpected, f"crash classes {unexpected}:\n{summary}"
