"""Pool workers die with their parent, even when the parent is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CODE = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from nucleus_convert.execution.orphans import die_with_parent

def pid(_):
    time.sleep(0.2)
    return os.getpid()

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, initializer=die_with_parent, initargs=(os.getpid(),))
    print(" ".join(str(p) for p in sorted(set(pool.map(pid, range(6))))), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()  # a zombie is dead, only not yet reaped
    return stat.split(") ", 1)[1][0] != "Z"


def test_workers_of_a_killed_parent_end_within_seconds(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(CODE)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "workers outlived their parent"
