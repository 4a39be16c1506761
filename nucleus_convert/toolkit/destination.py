"""The atomic destination: a writer's output appears whole at its destination, or not at all.

:func:`atomic_destination`

1. takes an exclusive lock on the destination (``flock`` on ``.<name>.lock`` beside it, released
   by the kernel if the process dies): a second conversion into the same destination fails at
   once with a :class:`~nucleus_convert.errors.DestinationError` instead of racing the first;
2. removes the temporary folders that a killed earlier run left for this destination (their
   owner process is gone);
3. checks the destination (its parent folder must exist; an existing non-empty destination is
   refused unless ``overwrite``);
4. gives the writer a path inside a fresh temporary sibling folder
   (``.<name>.<pid>.<random>.partial``, on the same file system so the final rename is atomic);
5. when the writer returns, renames the result into place (an old destination is moved aside
   first and removed after). On any error, or an interrupt that reaches Python as an exception
   (``KeyboardInterrupt``; the CLI turns SIGTERM into one too), the temporary folder is removed
   and the destination is as it was. The lock file is removed before the lock is let go.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nucleus_convert.errors import DestinationError

__all__ = [
    "atomic_destination",
    "check_destination",
    "destination_lock",
    "remove_stale_temporaries",
]


def check_destination(dst: Path, overwrite: bool) -> None:
    """Refuse a destination whose parent is missing, or that exists, is not an empty folder
    and may not be overwritten."""
    if not dst.exists():
        if not dst.parent.is_dir():
            raise DestinationError(f"{dst}: parent folder {dst.parent} does not exist")
        return
    if dst.is_dir() and not any(dst.iterdir()):
        return
    if not overwrite:
        raise DestinationError(f"{dst} exists and is not empty; pass --overwrite to replace it")


@contextmanager
def destination_lock(dst: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``dst`` for the block; refuse at once if another holds it.

    The lock is ``flock`` on ``.<name>.lock`` in ``dst``'s folder, so it dies with its process.
    The file is removed while still locked; a process that opened it just before finds, once
    it has the lock, that the name now points elsewhere (or nowhere) and tries again.
    """
    if not dst.parent.is_dir():
        raise DestinationError(f"{dst}: parent folder {dst.parent} does not exist")
    lock = dst.parent / f".{dst.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DestinationError(
                f"{dst} is being written by another conversion (lock {lock.name}); "
                "wait for it to finish or choose another destination"
            ) from None
        try:
            same = os.fstat(fd).st_ino == lock.stat().st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        os.close(fd)


def _owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(dst: Path) -> list[Path]:
    """Clean up after killed runs into ``dst``; call it only while holding
    :func:`destination_lock`.

    ``.<name>.<pid>.*.partial`` folders whose process is gone are removed. A
    ``.<name>.old-<hex>`` copy is the previous destination of a run killed while publishing:
    it is put back when ``dst`` is missing (the old output is the user's), removed otherwise.
    Returns the temporaries removed.
    """
    removed: list[Path] = []
    prefix = f".{dst.name}."
    for entry in sorted(dst.parent.iterdir()):
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        if rest.startswith("old-") and len(rest) == len("old-") + 8:
            if not (dst.exists() or dst.is_symlink()):
                entry.rename(dst)
                continue
        elif not rest.endswith(".partial"):
            continue
        else:
            pid = rest.split(".", 1)[0]
            if not pid.isdigit() or _owner_alive(int(pid)):
                continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _publish(tmp_target: Path, dst: Path) -> None:
    if dst.exists() or dst.is_symlink():
        old = dst.with_name(f".{dst.name}.old-{uuid.uuid4().hex[:8]}")
        dst.rename(old)
        tmp_target.rename(dst)
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    else:
        tmp_target.rename(dst)


@contextmanager
def atomic_destination(dst: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield the path a writer should create (file or folder, named like ``dst``); publish it
    at ``dst`` when the block ends without error, remove it otherwise. See the module
    docstring for the lock and the clean-up of earlier killed runs."""
    with destination_lock(dst):
        remove_stale_temporaries(dst)
        check_destination(dst, overwrite)
        workdir = Path(
            tempfile.mkdtemp(
                prefix=f".{dst.name}.{os.getpid()}.", suffix=".partial", dir=dst.parent
            )
        )
        try:
            target = workdir / dst.name
            yield target
            _publish(target, dst)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
