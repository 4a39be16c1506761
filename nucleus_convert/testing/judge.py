"""The official ``scale-nucleus`` client as the judge of Nucleus payloads.

Each payload line of a bundle must be accepted by the client's ``from_json`` and come back
identical from its ``to_payload()``. Where the client and its documentation disagree we follow
the docs, and the code below says where (``width``/``height`` of dataset items, which the
client's ``from_json`` does not read back).

The client is imported on first use, so importing this module costs nothing; without it,
:func:`judge_nucleus_bundle` raises :class:`ConformanceError` saying how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from nucleus_convert.converters.nucleus.parts import part_paths

__all__ = ["ConformanceError", "judge_nucleus_bundle", "payload_lines"]


class ConformanceError(AssertionError):
    """A format (or a payload) does not behave as nucleus-convert requires.

    An ``AssertionError``, so pytest shows it as a plain test failure.
    """


def payload_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a ``.jsonl`` file (none when the file does not exist)."""
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _client() -> Any:
    try:
        import nucleus
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ConformanceError(
            "the official Nucleus client is needed to judge payloads: "
            "pip install 'nucleus-convert[testing]' (or scale-nucleus)"
        ) from exc
    return nucleus


def _same(kind: str, where: str, payload: dict[str, Any], back: dict[str, Any]) -> None:
    if back != payload:
        keys = sorted({*payload, *back})
        diff = [k for k in keys if payload.get(k) != back.get(k)]
        raise ConformanceError(
            f"{where}: the Nucleus client changed this {kind} payload on to_payload() "
            f"(fields {diff}): wrote {payload!r}, client gives {back!r}"
        )


def _judge(kind: str, where: str, payload: dict[str, Any], make: Any) -> None:
    try:
        back = make(payload)
    except Exception as exc:
        raise ConformanceError(
            f"{where}: the Nucleus client refuses this {kind} payload "
            f"({type(exc).__name__}: {exc}): {payload!r}"
        ) from exc
    _same(kind, where, payload, back)


def _item_back(payload: dict[str, Any]) -> dict[str, Any]:
    """A top-level item payload through ``DatasetItem.from_json`` and ``to_payload``."""
    from nucleus import DatasetItem
    from nucleus.dataset_item import DatasetItemEmbeddingInfo

    item = DatasetItem.from_json(payload)
    # The DatasetItem docs list width and height (required in privacy mode) and its
    # to_payload writes embedding_info, but the client's from_json reads none of them back;
    # we follow the docs (embedding_info in the client's own shape).
    item.width = payload.get("width")
    item.height = payload.get("height")
    if "embedding_info" in payload:
        item.embedding_info = DatasetItemEmbeddingInfo(**payload["embedding_info"])
    out: dict[str, Any] = item.to_payload(is_scene=False)
    return out


def _scene_back(payload: dict[str, Any]) -> dict[str, Any]:
    """A scene payload through ``LidarScene.from_json`` and ``to_payload``."""
    from nucleus import LidarScene

    scene = LidarScene.from_json(payload)
    # A frame location whose suffix from_json cannot type (.jpeg, .JPG...) is written under
    # image_url/pointcloud_url, which from_json reads; to_payload sends it as url.
    for frame_payload in payload["frames"]:
        for sensor in frame_payload.values():
            for key in ("image_url", "pointcloud_url"):
                if key in sensor:
                    sensor["url"] = sensor.pop(key)
    for frame_payload, frame in zip(payload["frames"], scene.get_frames(), strict=True):
        for sensor, item in frame.items.items():
            item.width = frame_payload[sensor].get("width")
            item.height = frame_payload[sensor].get("height")
    out: dict[str, Any] = scene.to_payload()
    return out


def judge_nucleus_bundle(bundle: str | Path) -> dict[str, int]:
    """Check every payload line of a Nucleus bundle with the official client; count them.

    Raises :class:`ConformanceError` naming the file and line of the first payload the client
    refuses or does not reproduce unchanged.
    """
    nucleus = _client()
    from nucleus import prediction as nucleus_prediction
    from nucleus.annotation import Annotation as NucleusAnnotation

    bundle = Path(bundle)
    counts: dict[str, int] = {}

    def count(key: str) -> None:
        counts[key] = counts.get(key, 0) + 1

    files: list[tuple[str, Any, Any]] = [
        ("items.jsonl", _item_back, lambda p: "items"),
        (
            "annotations.jsonl",
            lambda p: NucleusAnnotation.from_json(p).to_payload(),
            lambda p: p.get("type", "?"),
        ),
        (
            "predictions.jsonl",
            lambda p: nucleus_prediction.from_json(p).to_payload(),
            lambda p: "pred " + str(p.get("type", "?")),
        ),
        (
            "scene_annotations.jsonl",
            lambda p: nucleus.SceneCategoryAnnotation.from_json(p).to_payload(),
            lambda p: "scene category",
        ),
        (
            "scene_predictions.jsonl",
            lambda p: nucleus.SceneCategoryPrediction.from_json(p).to_payload(),
            lambda p: "pred scene category",
        ),
        ("scenes.jsonl", _scene_back, lambda p: "scenes"),
    ]
    listed = _listed_parts(bundle)
    for name, make, key in files:
        for path in part_paths(bundle, name, listed.get(name)):
            for n, payload in enumerate(payload_lines(path), start=1):
                _judge(key(payload), f"{path}:{n}", payload, make)
                count(key(payload))
    _check_duplicate_ids(bundle, listed)
    return counts


def _listed_parts(bundle: Path) -> dict[str, Any]:
    """The manifest's ``parts`` (file name -> its parts in order), empty when it has none."""
    manifest = bundle / "manifest.json"
    if not manifest.is_file():
        return {}
    parts = orjson.loads(manifest.read_bytes()).get("parts")
    return parts if isinstance(parts, dict) else {}


def _check_duplicate_ids(bundle: Path, listed: dict[str, Any]) -> None:
    """The client's own duplicate-id checks of ``annotate()`` and ``upload_predictions()``,
    run over the whole of ``annotations.jsonl`` and of ``predictions.jsonl`` (all parts: a
    caller may upload them in one call)."""
    from nucleus import prediction as nucleus_prediction
    from nucleus.annotation import Annotation as NucleusAnnotation
    from nucleus.annotation_uploader import AnnotationUploader, PredictionUploader

    checks = [
        ("annotations.jsonl", NucleusAnnotation.from_json, AnnotationUploader("ds_judge", None)),
        (
            "predictions.jsonl",
            nucleus_prediction.from_json,
            PredictionUploader(None, dataset_id="ds_judge", model_id="model_judge"),
        ),
    ]
    for name, from_json, uploader in checks:
        objects = [
            from_json(payload)
            for path in part_paths(bundle, name, listed.get(name))
            for payload in payload_lines(path)
        ]
        try:
            uploader.check_for_duplicate_ids(objects)
        except Exception as exc:
            first = str(exc).splitlines()[:2]
            raise ConformanceError(
                f"{bundle / name}: the Nucleus client's duplicate-id check refuses the "
                f"file ({type(exc).__name__}: {' '.join(first)})"
            ) from exc
