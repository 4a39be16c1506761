"""Point clouds as Nucleus point cloud JSON: ``{"points": [{"x", "y", "z", "i"}, ...]}``.

Convention: points are an ``(N, 4)`` float32 array of x, y, z (metres, the cloud's own frame)
and intensity (0..1). Nucleus stores float32; the writer prints each value with 9 significant
digits, which is enough for a float32 to read back bit-exact, in one vectorised format call
(no per-point Python dict).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from nucleus_convert.errors import InputError, OutputError

__all__ = ["pointcloud_json_bytes", "read_pointcloud_json", "write_pointcloud_json"]

_ROW = '{"x":%.9g,"y":%.9g,"z":%.9g,"i":%.9g}'


def pointcloud_json_bytes(points: npt.NDArray[Any]) -> bytes:
    """Serialise ``(N, 4)`` (or ``(N, 3)``, intensity 0) points to Nucleus JSON bytes."""
    arr = np.asarray(points, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise OutputError(f"point cloud must have shape (N, 3) or (N, 4), got {arr.shape}")
    if arr.shape[1] == 3:
        arr = np.hstack([arr, np.zeros((arr.shape[0], 1), dtype=np.float32)])
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int(np.argwhere(~finite)[0][0])
        raise OutputError(f"point {bad} has a NaN or infinite value: {arr[bad].tolist()}")
    n = arr.shape[0]
    if n == 0:
        return b'{"points":[]}'
    body = ",".join([_ROW] * n) % tuple(arr.ravel().tolist())
    # "%g" prints negative zero as "-0", which JSON parsers read as the integer 0: keep the sign.
    body = body.replace(":-0,", ":-0.0,").replace(":-0}", ":-0.0}")
    return b'{"points":[' + body.encode("ascii") + b"]}"


def write_pointcloud_json(points: npt.NDArray[Any], path: Path) -> None:
    """Write :func:`pointcloud_json_bytes` to ``path``."""
    path.write_bytes(pointcloud_json_bytes(points))


def read_pointcloud_json(path: Path) -> npt.NDArray[np.float32]:
    """Read a Nucleus point cloud JSON file into an ``(N, 4)`` float32 array."""
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read point cloud: {exc.strerror}", path=path) from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", path=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("points"), list):
        raise InputError('expected an object with a "points" list', path=path, field="points")
    pts = doc["points"]
    try:
        rows = [(p["x"], p["y"], p["z"], p.get("i", 0.0)) for p in pts]
        arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _explain_bad_points(pts, path) from None
    if not np.isfinite(arr).all():
        bad = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise InputError("non-finite coordinate", path=path, field=f"points[{bad}]")
    return arr.astype(np.float32)


def _explain_bad_points(pts: list[Any], path: Path) -> InputError:
    """The first malformed point of ``pts``, as an error naming its index and key."""
    for k, p in enumerate(pts):
        if not isinstance(p, dict):
            return InputError("a point must be an object", path=path, field=f"points[{k}]")
        for key in ("x", "y", "z"):
            if key not in p:
                return InputError("missing key", path=path, field=f"points[{k}].{key}")
        for key in ("x", "y", "z", "i"):
            v = p.get(key, 0.0)
            if isinstance(v, bool) or not isinstance(v, int | float):
                return InputError(
                    f"expected a number, got {v!r}", path=path, field=f"points[{k}].{key}"
                )
    return InputError("malformed points", path=path, field="points")
