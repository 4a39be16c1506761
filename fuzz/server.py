"""The fork server: imports the readers once, then runs each input in a forked child.

Protocol (one JSON object per line): the parent writes a job ``{"root", "entry", "fmt",
"options", "timeout", "memory"}`` on stdin; the server answers with one outcome line
``{"status", "type", "where", "message"}`` on stdout (see :mod:`fuzz.outcome`). ``entry`` is
the path, relative to ``root``, given to ``nucleus_convert.read``.

The child caps its address space at ``memory`` bytes *above* what the server already maps
(open3d alone maps hundreds of MB), so the cap is about what the input makes the reader
allocate. The child reads the whole dataset as a writer would: every item, every local point
cloud and index mask, every scene.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

_PROJECT_PARTS = ("nucleus_convert", "nucleus_convert_yolo")


def _mapped_bytes() -> int:
    """The process's current virtual size (``VmSize``), 0 where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _where(exc: BaseException) -> str:
    """``module/path.py:function`` of the deepest traceback frame inside the project, else the
    deepest frame of all (paths from the package root, no line number: stable across edits)."""
    frames = traceback.extract_tb(exc.__traceback__)
    chosen = None
    for frame in frames:
        if any(f"/{part}/" in frame.filename for part in _PROJECT_PARTS):
            chosen = frame
    if chosen is None and frames:
        chosen = frames[-1]
    if chosen is None:
        return "?"
    name = chosen.filename
    for part in _PROJECT_PARTS:
        cut = name.rfind(f"/{part}/")
        if cut >= 0:
            name = name[cut + 1 :]
            break
    else:
        name = Path(name).name
    return f"{name}:{chosen.name}"


def _consume(root: Path, job: dict[str, Any]) -> None:
    """Read the dataset at ``root / job['entry']`` completely, as a writer would."""
    import nucleus_convert
    from nucleus_convert.model import PointCloudMedia, Segmentation

    ds = nucleus_convert.read(root / job["entry"], job["fmt"], **job.get("options", {}))
    _ = ds.header, ds.scenes
    for item in ds.items:
        media = item.media
        if isinstance(media, PointCloudMedia) and _local(media.path):
            media.load()
        for ann in item.annotations:
            mask = ann.mask if isinstance(ann, Segmentation) else None
            if mask is not None and _local(mask.path) and mask.is_local():
                mask.load()


def _local(path: str | None) -> bool:
    return path is None or "://" not in path


def _run_child(job: dict[str, Any], out: int) -> None:
    """In the forked child: cap memory, run the reader, write one outcome, exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # native libraries print before they abort: keep the report readable
    limit = _mapped_bytes() + int(job["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from nucleus_convert.errors import NucleusConvertError

    result: dict[str, Any]
    try:
        _consume(Path(job["root"]), job)
        result = {"status": "ok"}
    except NucleusConvertError as exc:
        text = str(exc)
        status = "error" if "\n" not in text else "multiline"
        result = {"status": status, "type": type(exc).__name__, "message": text[:500]}
    except MemoryError as exc:
        result = {"status": "memory", "type": "MemoryError", "where": _where(exc)}
    except BaseException as exc:
        result = {
            "status": "exception",
            "type": type(exc).__name__,
            "where": _where(exc),
            "message": str(exc)[:300],
        }
    try:
        os.write(out, json.dumps(result).encode())
    finally:
        os._exit(0)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Fork a child for ``job`` and classify how it ended."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        _run_child(job, write_end)
    os.close(write_end)
    deadline = time.monotonic() + float(job["timeout"])
    chunks: list[bytes] = []
    hung = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            hung = True
            break
        ready, _, _ = select.select([read_end], [], [], left)
        if ready:
            data = os.read(read_end, 65536)
            if not data:
                break
            chunks.append(data)
    if hung:
        os.kill(pid, signal.SIGKILL)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if hung:
        return {"status": "hang", "type": "timeout", "where": f"{job['timeout']}s"}
    if chunks:
        parsed: dict[str, Any] = json.loads(b"".join(chunks))
        return parsed
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"status": "signal", "type": name, "where": "native"}
    return {"status": "signal", "type": f"exit {os.waitstatus_to_exitcode(status)}", "where": "?"}


def _preload() -> None:
    """Import the readers and the native libraries once, so each fork starts warm."""
    import nucleus_convert
    from nucleus_convert.plugins import get_registry

    get_registry()
    for module in ("open3d", "pycocotools.mask", "PIL.PngImagePlugin", "lxml.etree", "yaml"):
        with contextlib.suppress(ImportError):
            __import__(module)
    _ = nucleus_convert.read


def main() -> None:
    """Serve jobs from stdin until it closes."""
    _preload()
    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(run_job(json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
