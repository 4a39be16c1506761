"""Output confinement: every path a writer creates stays under its destination.

Writers build output paths from names they do not control (reference ids, file names from the
source, subset names). :func:`confined` joins such a relative name under the destination and
refuses, with an :class:`~nucleus_convert.errors.OutputError` naming the record, anything that
would land outside it or that no file system can hold: an absolute name, a ``..`` part that
climbs out, a NUL byte, a part longer than a file name may be (255 bytes), a symlink already
inside the destination that points out of it. Names are compared after resolving, so
``a/../../x`` is caught as surely as ``../x``.

Use :class:`~nucleus_convert.toolkit.files.SafeNames` first where a name may be mapped to a safe
one instead (and the mapping recorded); use :func:`confined` on every path that is then written.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from nucleus_convert.errors import OutputError

__all__ = ["MAX_NAME_BYTES", "confined", "unsafe_name_reason"]

MAX_NAME_BYTES = 255
"""The longest file or folder name (one path part) Linux, macOS and Windows file systems take."""


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` (a relative path with ``/`` separators) cannot be written under a folder
    as it is, or ``None`` when it can.

    Checked without touching the disk: absolute paths (``/x``, ``C:\\x``, ``\\\\host``), ``..``
    parts, NUL bytes, backslashes (a separator on Windows), empty names and parts longer than
    :data:`MAX_NAME_BYTES` bytes in UTF-8.
    """
    if not name:
        return "the name is empty"
    if "\x00" in name:
        return "the name holds a NUL byte"
    if "\\" in name:
        return "the name holds a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "the name is an absolute path"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "the name climbs out of its folder ('..')"
    for part in parts:
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            return f"a part of the name is longer than {MAX_NAME_BYTES} bytes"
    return None


def confined(root: Path, name: str | Path, *, record: str = "") -> Path:
    """``root / name``, checked to stay under ``root`` once resolved.

    ``name`` is relative, with ``/`` separators. ``record`` names the source record for the
    error message (for example ``"item 'a/b'"``). Symlinks already under ``root`` are followed
    when checking, so a link planted in the destination cannot lead a write outside it.
    """
    text = name.as_posix() if isinstance(name, Path) else name
    problem = unsafe_name_reason(text)
    if problem is not None:
        where = f"{record}: " if record else ""
        raise OutputError(f"{where}cannot write {text!r} under {root}: {problem}")
    path = root / text
    base = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real != base and not real.is_relative_to(base):
        where = f"{record}: " if record else ""
        raise OutputError(f"{where}cannot write {text!r} under {root}: it resolves outside it")
    return path
