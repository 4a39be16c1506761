"""KITTI calibration files: the object-detection ``calib/*.txt`` and the raw dataset's
``calib_cam_to_cam.txt`` / ``calib_velo_to_cam.txt`` (``calib_imu_to_velo.txt``), parsed into a
:class:`Calibration` of checked matrices, formatted back, and held as JSON lists.

The frames and the 3D geometry these matrices define are documented in
:mod:`nucleus_convert.geometry.kitti`, which re-exports everything public here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import InputError

__all__ = [
    "Array",
    "Calibration",
    "calibration_from_lists",
    "calibration_to_lists",
    "format_calib",
    "parse_calib",
    "parse_raw_calib",
]

Array = npt.NDArray[np.float64]

_MATRIX_ORDER = ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo")
_OBJECT_SHAPES: dict[str, tuple[int, ...]] = {
    "P0": (3, 4),
    "P1": (3, 4),
    "P2": (3, 4),
    "P3": (3, 4),
    "R0_rect": (3, 3),
    "Tr_velo_to_cam": (3, 4),
    "Tr_imu_to_velo": (3, 4),
}
# KITTI's tracking benchmark writes these three keys without a colon and with shorter names.
_TRACKING_ALIASES = {
    "R_rect": "R0_rect",
    "Tr_velo_cam": "Tr_velo_to_cam",
    "Tr_imu_velo": "Tr_imu_to_velo",
}
_RAW_CAM_SHAPES: dict[str, tuple[int, ...]] = {
    "R_rect_00": (3, 3),
    "P_rect_00": (3, 4),
    "P_rect_01": (3, 4),
    "P_rect_02": (3, 4),
    "P_rect_03": (3, 4),
}
_RAW_RT_SHAPES: dict[str, tuple[int, ...]] = {"R": (3, 3), "T": (3,)}
_MAX_CONDITION = 1e10
"""A rotation whose condition number exceeds this is treated as singular."""


# --------------------------------------------------------------------------- calibration


def _frozen(value: Any, name: str, shape: tuple[int, ...]) -> Array:
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False, kw_only=True)
class Calibration:
    """One KITTI frame's calibration, as float64 read-only arrays.

    ``P0``..``P3`` are the rectified 3x4 projections of cameras 0..3 (``P2`` is the left colour
    camera the object labels refer to; the others may be absent), ``R0_rect`` the 3x3
    rectifying rotation, ``Tr_velo_to_cam`` the 3x4 velodyne -> camera 0 transform and
    ``Tr_imu_to_velo`` the optional 3x4 IMU -> velodyne transform.
    """

    P0: Array | None = None
    P1: Array | None = None
    P2: Array
    P3: Array | None = None
    R0_rect: Array
    Tr_velo_to_cam: Array
    Tr_imu_to_velo: Array | None = None

    def __post_init__(self) -> None:
        for name in _MATRIX_ORDER:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _frozen(value, name, _OBJECT_SHAPES[name]))

    def projection(self, camera: int) -> Array:
        """``P0``..``P3`` by camera number; ValueError when that camera is not calibrated."""
        if camera not in (0, 1, 2, 3):
            raise ValueError(f"KITTI cameras are numbered 0..3, not {camera}")
        p: Array | None = getattr(self, f"P{camera}")
        if p is None:
            raise ValueError(f"the calibration has no P{camera}")
        return p


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read calibration: {exc.strerror}", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"calibration is not UTF-8 text: {exc.reason}", path=path) from None


def _read_entries(
    path: Path,
    shapes: dict[str, tuple[int, ...]],
    aliases: dict[str, str],
) -> dict[str, tuple[Array, int]]:
    """``KEY: numbers`` lines -> {key: (array of ``shapes[key]``, line number)}.

    Keys not in ``shapes`` are skipped without reading their values (dates, other sensors);
    a key that appears twice is an error whatever it is. A line without a colon is accepted
    only for an alias key (KITTI tracking's ``R_rect ...``).
    """
    entries: dict[str, tuple[Array, int]] = {}
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if ":" in line:
            key, _, rest = line.partition(":")
            key = key.strip()
        else:
            key, *others = line.split(None, 1)
            rest = others[0] if others else ""
            if key not in aliases:
                raise InputError("expected 'KEY: numbers'", path=path, line=lineno)
        key = aliases.get(key, key)
        if not key:
            raise InputError("empty key before ':'", path=path, line=lineno)
        if key in seen:
            raise InputError(
                f"duplicate key {key} (first on line {seen[key]})",
                path=path,
                line=lineno,
                field=key,
            )
        seen[key] = lineno
        if key not in shapes:
            continue
        shape = shapes[key]
        tokens = rest.split()
        expected = math.prod(shape)
        if len(tokens) != expected:
            raise InputError(
                f"{key} needs {expected} numbers, found {len(tokens)}",
                path=path,
                line=lineno,
                field=key,
            )
        values: list[float] = []
        for token in tokens:
            try:
                value = float(token)
            except ValueError:
                raise InputError(
                    f"not a number: {token!r}", path=path, line=lineno, field=key
                ) from None
            if not math.isfinite(value):
                raise InputError(
                    f"not a finite number: {token!r}", path=path, line=lineno, field=key
                )
            values.append(value)
        entries[key] = (np.array(values, dtype=np.float64).reshape(shape), lineno)
    return entries


def _require(entries: dict[str, tuple[Array, int]], key: str, path: Path) -> tuple[Array, int]:
    if key not in entries:
        raise InputError(f"missing {key}", path=path, field=key)
    return entries[key]


def _optional(entries: dict[str, tuple[Array, int]], key: str) -> Array | None:
    entry = entries.get(key)
    return None if entry is None else entry[0]


def _check_rotation(matrix: Array, key: str, path: Path, line: int) -> None:
    cond = float(np.linalg.cond(matrix))
    if not math.isfinite(cond) or cond > _MAX_CONDITION:
        raise InputError(
            f"{key} rotation is singular (condition number {cond:.3g})",
            path=path,
            line=line,
            field=key,
        )


def parse_calib(path: Path) -> Calibration:
    """Read a KITTI object-detection ``calib/*.txt``.

    Lines are ``KEY: numbers`` (blank lines allowed): ``P0``..``P3`` (12 numbers, row-major
    3x4), ``R0_rect`` (9), ``Tr_velo_to_cam`` (12), ``Tr_imu_to_velo`` (12). ``P2``,
    ``R0_rect`` and ``Tr_velo_to_cam`` are required; the tracking benchmark's spellings
    ``R_rect``, ``Tr_velo_cam``, ``Tr_imu_velo`` (without colon) are accepted. Unknown keys
    are ignored. Raises :class:`InputError` naming the file, line and key.
    """
    entries = _read_entries(path, _OBJECT_SHAPES, _TRACKING_ALIASES)
    p2, _ = _require(entries, "P2", path)
    r0, r0_line = _require(entries, "R0_rect", path)
    tr, tr_line = _require(entries, "Tr_velo_to_cam", path)
    _check_rotation(r0, "R0_rect", path, r0_line)
    _check_rotation(tr[:, :3], "Tr_velo_to_cam", path, tr_line)
    return Calibration(
        P0=_optional(entries, "P0"),
        P1=_optional(entries, "P1"),
        P2=p2,
        P3=_optional(entries, "P3"),
        R0_rect=r0,
        Tr_velo_to_cam=tr,
        Tr_imu_to_velo=_optional(entries, "Tr_imu_to_velo"),
    )


def _read_rt(path: Path) -> Array:
    """``R: 9`` and ``T: 3`` of a raw-dataset ``calib_*_to_*.txt`` as a 3x4 ``[R | T]``."""
    entries = _read_entries(path, _RAW_RT_SHAPES, {})
    r, r_line = _require(entries, "R", path)
    t, _ = _require(entries, "T", path)
    _check_rotation(r, "R", path, r_line)
    return np.hstack([r, t.reshape(3, 1)])


def parse_raw_calib(
    cam_to_cam: Path, velo_to_cam: Path, imu_to_velo: Path | None = None
) -> Calibration:
    """Read the KITTI raw dataset's calibration into the object-detection layout.

    ``calib_cam_to_cam.txt`` gives ``R_rect_00`` (-> ``R0_rect``) and ``P_rect_00``..``03``
    (-> ``P0``..``P3``; ``P_rect_02`` required); ``calib_velo_to_cam.txt`` gives ``R`` (9)
    and ``T`` (3) (-> ``Tr_velo_to_cam = [R | T]``); the optional ``calib_imu_to_velo.txt``
    has the same layout (-> ``Tr_imu_to_velo``). Other keys (``calib_time``, ``S_xx``,
    ``K_xx``, ``D_xx``, ``R_xx``, ``T_xx``, ``S_rect_xx``, ``delta_f``, ``delta_c``...) are
    ignored.
    """
    cam = _read_entries(cam_to_cam, _RAW_CAM_SHAPES, {})
    p2, _ = _require(cam, "P_rect_02", cam_to_cam)
    r0, r0_line = _require(cam, "R_rect_00", cam_to_cam)
    _check_rotation(r0, "R_rect_00", cam_to_cam, r0_line)
    return Calibration(
        P0=_optional(cam, "P_rect_00"),
        P1=_optional(cam, "P_rect_01"),
        P2=p2,
        P3=_optional(cam, "P_rect_03"),
        R0_rect=r0,
        Tr_velo_to_cam=_read_rt(velo_to_cam),
        Tr_imu_to_velo=None if imu_to_velo is None else _read_rt(imu_to_velo),
    )


def format_calib(calib: Calibration) -> str:
    """The object-detection ``calib/*.txt`` text: one ``KEY: numbers`` line per matrix present.

    Values are ``repr(float)``, so :func:`parse_calib` reads back the very same floats.
    Absent optional matrices are left out (tools that read ``Tr_imu_to_velo`` by line number
    need the caller to supply one).
    """
    lines = []
    for name in _MATRIX_ORDER:
        value: Array | None = getattr(calib, name)
        if value is not None:
            lines.append(f"{name}: " + " ".join(repr(float(v)) for v in value.ravel()))
    return "\n".join(lines) + "\n"


def calibration_to_lists(calib: Calibration) -> dict[str, list[float]]:
    """Each matrix present, row-major, as plain floats: JSON-ready, exact
    (:func:`calibration_from_lists` gives back the same arrays)."""
    out: dict[str, list[float]] = {}
    for name in _MATRIX_ORDER:
        value: Array | None = getattr(calib, name)
        if value is not None:
            out[name] = [float(v) for v in value.ravel()]
    return out


def calibration_from_lists(value: Any) -> Calibration:
    """The inverse of :func:`calibration_to_lists`; ValueError naming the bad key."""
    if not isinstance(value, dict):
        raise ValueError("a calibration is an object of matrices")
    matrices: dict[str, Array] = {}
    for name in _MATRIX_ORDER:
        raw = value.get(name)
        if raw is None:
            continue
        shape = _OBJECT_SHAPES[name]
        size = shape[0] * shape[1]
        ok = isinstance(raw, list) and len(raw) == size
        ok = ok and all(type(v) in (int, float) and math.isfinite(v) for v in raw)
        if not ok:
            raise ValueError(f"{name} must be {size} finite numbers")
        matrices[name] = np.array(raw, dtype=np.float64).reshape(shape)
    missing = [k for k in ("P2", "R0_rect", "Tr_velo_to_cam") if k not in matrices]
    if missing:
        raise ValueError(f"it lacks {', '.join(missing)}")
    return Calibration(**matrices)
