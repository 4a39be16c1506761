"""The atomic destination: a writer's output appears whole at its destination, or not at all.

:func:`atomic_destination` checks the destination (its parent folder must exist; an existing
non-empty destination is refused unless ``overwrite``), gives the writer a path inside a fresh
temporary sibling folder (``.<name>.<random>.partial``, on the same file system so the final
rename is atomic), and when the writer returns renames the result into place (an old
destination is moved aside first and removed after). On any error, or an interrupt, the
temporary folder is removed and the destination is as it was.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nucleus_convert.errors import DestinationError

__all__ = ["atomic_destination", "check_destination"]


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
    at ``dst`` when the block ends without error, remove it otherwise."""
    check_destination(dst, overwrite)
    workdir = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".partial", dir=dst.parent))
    try:
        target = workdir / dst.name
        yield target
        _publish(target, dst)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
