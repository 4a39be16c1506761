"""Worker processes die with their parent.

A pool's workers are separate processes: when the parent is killed outright (SIGKILL, the OOM
killer) nothing in it runs, and the workers would go on as orphans, writing into a temporary
folder nobody will publish. :func:`die_with_parent` is a pool ``initializer`` that ties each
worker's life to the process that started it:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker when its parent
  dies;
* everywhere, a daemon thread that checks the parent process id once a second and ends the
  worker when it has changed (the parent is gone and the worker was re-parented);
* and a check right away, for a parent that died before the first two were in place.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 1.0


def _kernel_kills_on_parent_death() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _watch(parent: int) -> None:
    event = threading.Event()
    while not event.wait(_POLL_SECONDS):
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when process ``parent`` (its starter) dies."""
    _kernel_kills_on_parent_death()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="die-with-parent", daemon=True).start()
