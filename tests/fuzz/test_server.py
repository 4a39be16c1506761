"""The fork server classifies how a child ended: ok, the project's error, or a crash class."""

from __future__ import annotations

import os
import signal
import time

from fuzz.outcome import Outcome
from fuzz.server import run_in_child
from nucleus_convert.errors import InputError

MiB = 1 << 20


def _outcome(work: object, timeout: float = 10.0, memory: int = 256 * MiB) -> Outcome:
    return Outcome.from_json(run_in_child(work, timeout, memory))  # type: ignore[arg-type]


def test_a_clean_run_is_ok() -> None:
    assert _outcome(lambda: None).status == "ok"


def test_the_projects_one_line_error_is_not_a_crash() -> None:
    def work() -> None:
        raise InputError("bad", path="f.json", field="x")

    out = _outcome(work)
    assert (out.status, out.type, out.is_crash) == ("error", "InputError", False)
    assert "f.json" in out.message


def test_a_project_error_over_several_lines_is_a_crash() -> None:
    def work() -> None:
        raise InputError("line one\nline two")

    out = _outcome(work)
    assert out.status == "multiline" and out.is_crash


def test_another_exception_is_a_crash_class_named_by_type_and_place() -> None:
    def work() -> None:
        {}["missing"]

    out = _outcome(work)
    assert out.status == "exception" and out.is_crash
    assert out.crash_class == ("KeyError", "test_server.py:work")


def test_memory_beyond_the_cap_is_memory_exhaustion() -> None:
    def work() -> None:
        bytearray(2 << 30)

    out = _outcome(work, memory=128 * MiB)
    assert out.status == "memory" and out.is_crash


def test_a_native_crash_is_a_signal_named_with_the_last_python_frame() -> None:
    def work() -> None:
        os.kill(os.getpid(), signal.SIGSEGV)

    out = _outcome(work)
    assert out.crash_class == ("SIGSEGV", "test_server.py:work") and out.status == "signal"


def test_a_child_past_its_time_is_killed_as_a_hang() -> None:
    started = time.monotonic()

    def work() -> None:
        time.sleep(30)

    out = _outcome(work, timeout=0.5)
    assert out.status == "hang" and out.crash_class == ("hang", "test_server.py:work")
    assert time.monotonic() - started < 10
