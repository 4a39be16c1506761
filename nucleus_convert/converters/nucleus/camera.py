"""Nucleus ``camera_params`` to :class:`~nucleus_convert.model.CameraParams` and back.

``position`` is in the point cloud frame, ``heading`` a Hamilton quaternion ``(x, y, z, w)``
rotating camera axes into it; ``fx``, ``fy``, ``cx``, ``cy`` in pixels; distortion terms
``k1``-``k4``, ``p1``, ``p2`` are top-level keys, and zero terms are omitted as the client does.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.kinds.values import num, obj, opt_text, out, point3, require
from nucleus_convert.model import CameraParams

__all__ = ["CAMERA_MODELS", "DISTORTION_KEYS", "camera_from_payload", "camera_to_payload"]

DISTORTION_KEYS = ("k1", "k2", "k3", "k4", "p1", "p2")
CAMERA_MODELS = ("brown_conrady", "fisheye")


def camera_from_payload(payload: Any, path: str = "camera_params") -> CameraParams:
    """Decode Nucleus ``camera_params``; every required key must be there."""
    cp = obj(payload, path)
    heading = obj(require(cp, "heading", f"{path}.heading"), f"{path}.heading")
    model = opt_text(cp.get("camera_model"), f"{path}.camera_model")
    if model is not None and model not in CAMERA_MODELS:
        raise InputError(
            f"unknown camera model {model!r} (Nucleus knows {', '.join(CAMERA_MODELS)})",
            field=f"{path}.camera_model",
        )
    distortion = {k: num(cp[k], f"{path}.{k}") for k in DISTORTION_KEYS if cp.get(k) is not None}

    def number(d: dict[str, Any], key: str, at: str) -> int | float:
        return num(require(d, key, f"{at}.{key}"), f"{at}.{key}")

    return CameraParams(
        position=point3(require(cp, "position", f"{path}.position"), f"{path}.position"),
        heading=(
            number(heading, "x", f"{path}.heading"),
            number(heading, "y", f"{path}.heading"),
            number(heading, "z", f"{path}.heading"),
            number(heading, "w", f"{path}.heading"),
        ),
        fx=number(cp, "fx", path),
        fy=number(cp, "fy", path),
        cx=number(cp, "cx", path),
        cy=number(cp, "cy", path),
        camera_model=model,
        distortion=distortion,
    )


def camera_to_payload(cam: CameraParams, where: str = "camera") -> dict[str, Any]:
    """Encode camera parameters as the client does (zero distortion terms are omitted)."""
    payload: dict[str, Any] = {
        "position": {
            k: out(v, f"{where}.position") for k, v in zip("xyz", cam.position, strict=True)
        },
        "heading": {
            k: out(v, f"{where}.heading") for k, v in zip("xyzw", cam.heading, strict=True)
        },
        "fx": out(cam.fx, f"{where}.fx"),
        "fy": out(cam.fy, f"{where}.fy"),
        "cx": out(cam.cx, f"{where}.cx"),
        "cy": out(cam.cy, f"{where}.cy"),
    }
    for key in DISTORTION_KEYS:
        value = cam.distortion.get(key)
        if value:
            payload[key] = out(value, f"{where}.{key}")
    unknown = set(cam.distortion) - set(DISTORTION_KEYS)
    if unknown:
        raise OutputError(f"{where}: unknown distortion terms {sorted(unknown)}")
    if cam.camera_model:
        if cam.camera_model not in CAMERA_MODELS:
            raise OutputError(f"{where}: Nucleus knows no camera model {cam.camera_model!r}")
        payload["camera_model"] = cam.camera_model
    return payload
