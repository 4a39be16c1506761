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
import faulthandler
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
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

    ds = nucleus_convert.read(root / job["entry"], job["fmt"], **job.get("options", {}))
    _ = ds.header, ds.scenes
    for item in ds.items:
        _consume_media(item)


def _consume_media(item: Any) -> None:
    """Load an item's local point cloud and index masks, as a writer would."""
    from nucleus_convert.model import PointCloudMedia, Segmentation

    media = item.media
    if isinstance(media, PointCloudMedia) and _local(media.path):
        media.load()
    for ann in item.annotations:
        mask = ann.mask if isinstance(ann, Segmentation) else None
        if mask is not None and _local(mask.path) and mask.is_local():
            mask.load()


def _local(path: str | None) -> bool:
    return path is None or "://" not in path


def _classify(work: Callable[[], None]) -> dict[str, Any]:
    """Run ``work`` and say how it ended (in the child)."""
    from nucleus_convert.errors import NucleusConvertError

    try:
        work()
    except NucleusConvertError as exc:
        text = str(exc)
        status = "error" if "\n" not in text.strip() else "multiline"
        return {"status": status, "type": type(exc).__name__, "message": text[:500]}
    except MemoryError as exc:
        return {"status": "memory", "type": "MemoryError", "where": _where(exc)}
    except BaseException as exc:
        return {
            "status": "exception",
            "type": type(exc).__name__,
            "where": _where(exc),
            "message": str(exc)[:300],
        }
    return {"status": "ok"}


def _run_child(work: Callable[[], None], memory: int, out: int, fault: int) -> None:
    """In the forked child: silence stderr, cap memory, run, write one outcome, exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # native libraries print before they abort: keep reports readable
        faulthandler.enable(file=fault, all_threads=False)  # the Python frames of a crash
        limit = _mapped_bytes() + memory
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.write(out, json.dumps(_classify(work)).encode())
    finally:
        os._exit(0)


def run_in_child(work: Callable[[], None], timeout: float, memory: int) -> dict[str, Any]:
    """Fork a child that runs ``work`` with ``memory`` bytes of address space above the
    server's and ``timeout`` seconds, and classify how it ended."""
    read_end, write_end = os.pipe()
    fault_read, fault_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        os.close(fault_read)
        _run_child(work, memory, write_end, fault_write)
    os.close(write_end)
    os.close(fault_write)
    deadline = time.monotonic() + timeout
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
        _stop(pid)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    dump = _drain(fault_read)
    if hung:
        return {"status": "hang", "type": "timeout", "where": _fault_where(dump)}
    if chunks:
        parsed: dict[str, Any] = json.loads(b"".join(chunks))
        return parsed
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"status": "signal", "type": name, "where": _fault_where(dump)}
    return {"status": "signal", "type": f"exit {os.waitstatus_to_exitcode(status)}", "where": "?"}


def _stop(pid: int) -> None:
    """Stop a child past its time: SIGABRT first (faulthandler then dumps where it was),
    SIGKILL after a second."""
    os.kill(pid, signal.SIGABRT)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


def _drain(fd: int) -> str:
    """Everything left in a pipe whose writer has exited; the pipe is closed."""
    chunks = []
    while select.select([fd], [], [], 0)[0]:
        data = os.read(fd, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def _fault_where(dump: str) -> str:
    """``module/path.py:function`` of the innermost project frame in a faulthandler dump
    (most recent call first), else of its innermost frame, else ``native``."""
    frames: list[tuple[str, str]] = []
    for line in dump.splitlines():
        line = line.strip()
        if line.startswith('File "') and " in " in line:
            filename = line[len('File "') : line.index('"', len('File "'))]
            frames.append((filename, line.rsplit(" in ", 1)[1]))
    for filename, function in frames:
        for part in _PROJECT_PARTS:
            cut = filename.rfind(f"/{part}/")
            if cut >= 0:
                return f"{filename[cut + 1 :]}:{function}"
    if frames:
        return f"{Path(frames[0][0]).name}:{frames[0][1]}"
    return "native"


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job (see the module docstring) in a child."""
    return run_in_child(
        lambda: _consume(Path(job["root"]), job), float(job["timeout"]), int(job["memory"])
    )


def _preload(native: list[str]) -> None:
    """Import the readers, and the ``native`` libraries, once, so each fork starts warm.

    open3d is preloaded only by servers of point cloud readers: it maps hundreds of MB, which
    makes every fork several times slower."""
    import nucleus_convert
    from nucleus_convert.plugins import get_registry

    get_registry()
    for module in ("pycocotools.mask", "PIL.PngImagePlugin", "lxml.etree", "yaml", *native):
        with contextlib.suppress(ImportError):
            __import__(module)
    _ = nucleus_convert.read
    if "open3d" in native:
        _warm_open3d()


def _warm_open3d() -> None:
    """Read a one-point PCD and PLY once through the reader: the first read initialises
    open3d's readers (0.6 s), which every child would repeat otherwise."""
    import tempfile

    import nucleus_convert

    clouds = {
        "warm.pcd": "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
        "WIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1 2 3\n",
        "warm.ply": "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
        "property float y\nproperty float z\nend_header\n1 2 3\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in clouds.items():
            cloud = Path(tmp) / name
            cloud.write_text(text)
            with contextlib.suppress(Exception):
                for item in nucleus_convert.read(cloud, "pointcloud").items:
                    _consume_media(item)


def main() -> None:
    """Serve jobs from stdin until it closes; the arguments are modules to preload."""
    _preload(sys.argv[1:])
    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(run_job(json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
