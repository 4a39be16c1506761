"""Nucleus ``DatasetItem`` payloads to :class:`~nucleus_convert.model.Item` and back.

* ``DatasetItem.from_json`` ignores ``width``/``height`` although the DatasetItem docs list them
  (they are required in privacy mode); we follow the docs and write them.
* For scene items, the client reads camera parameters from ``metadata.camera_params`` and writes
  them at the top level too, so both are written, with the same (normalised) content. Items
  outside scenes keep theirs in ``metadata.camera_params``.
* A scene item is written with ``url`` and ``type``; a top-level item with ``image_url`` (Nucleus
  takes point clouds only in scenes). ``embedding_info`` is kept in the item's ``extra``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nucleus_convert.converters.nucleus.camera import camera_from_payload, camera_to_payload
from nucleus_convert.errors import InputError, OutputError, brief
from nucleus_convert.kinds.values import free_obj, obj, require, text
from nucleus_convert.loss import LossReport
from nucleus_convert.model import CameraParams, ImageMedia, Item, PointCloudMedia

__all__ = ["ITEM_EXTRA", "decode_item", "encode_item"]

ITEM_EXTRA = frozenset({"embedding_info"})
"""The item ``extra`` keys a top-level DatasetItem payload has a place for."""
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_CLIENT_URL_SUFFIXES = {"image": (".jpg", ".png"), "pointcloud": (".json",)}
"""What ``DatasetItem.from_json`` takes a scene frame's bare ``url`` for, by its exact suffix
(``url.split(".")[-1] in ("jpg", "png")``: case-sensitive, no ``.jpeg``)."""
_CLIENT_URL_KEYS = {"image": "image_url", "pointcloud": "pointcloud_url"}


def _camera(p: dict[str, Any], metadata: dict[str, Any]) -> CameraParams | None:
    if metadata.get("camera_params") is not None:
        return camera_from_payload(metadata.pop("camera_params"), "metadata.camera_params")
    if p.get("camera_params") is not None:
        return camera_from_payload(p["camera_params"], "camera_params")
    return None


def _size(p: dict[str, Any], key: str) -> Any:
    value = p.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise InputError(f"expected a positive integer, got {brief(value)}", field=key)
    return value


def _locations(p: dict[str, Any]) -> tuple[Any, Any]:
    """``(image, point cloud)`` locations; a bare ``url`` is told apart by ``type`` or suffix."""
    image = p.get("image_url") or p.get("original_image_url") or p.get("processed_url")
    cloud = p.get("pointcloud_url")
    url = p.get("url")
    kind = p.get("type")
    if url is None or image is not None or cloud is not None:
        return image, cloud
    if kind == "image" or (kind is None and str(url).lower().endswith(_IMAGE_SUFFIXES)):
        return url, cloud
    if kind == "pointcloud" or (kind is None and str(url).lower().endswith(".json")):
        return image, url
    raise InputError(f"cannot tell whether {url!r} is an image or a point cloud", field="type")


def decode_item(
    payload: Any,
    resolve_url: Callable[[str], str],
    check_image: Callable[[str], str] = lambda u: u,
) -> Item:
    """Decode a DatasetItem payload (top-level, a scene frame's item, or an export row's);
    ``resolve_url`` maps a point cloud location to a local path where one exists;
    ``check_image`` refuses an image location the reader may not use and returns it as
    written (see :mod:`.resolve`)."""
    p = obj(payload, "item")
    ref = p.get("reference_id", p.get("ref_id"))
    ref = (
        text(ref, "reference_id") if ref is not None else require(p, "reference_id", "reference_id")
    )
    metadata = dict(free_obj(p.get("metadata"), "metadata"))
    camera = _camera(p, metadata)
    width, height = _size(p, "width"), _size(p, "height")
    image, cloud = _locations(p)
    media: ImageMedia | PointCloudMedia
    if image is not None and cloud is not None:
        raise InputError(
            "an item has either an image or a point cloud, not both", field="image_url"
        )
    if image is not None:
        media = ImageMedia(path=check_image(text(image, "image_url")), width=width, height=height)
    elif cloud is not None:
        media = PointCloudMedia(path=resolve_url(text(cloud, "pointcloud_url")))
    else:
        raise InputError(
            "an item needs image_url (or url with type) or pointcloud_url", field="image_url"
        )
    item = Item(reference_id=ref, media=media, metadata=metadata, camera=camera)
    if p.get("embedding_info") is not None:
        item.extra["embedding_info"] = p["embedding_info"]
    return item


def _extra(item: Item, payload: dict[str, Any], in_scene: bool, report: LossReport) -> None:
    """Write ``embedding_info`` on a top-level item; count every other ``extra`` key (and
    ``embedding_info`` in a scene) as dropped under its own name."""
    where = f"item {item.reference_id!r}"
    for key, value in item.extra.items():
        if key in ITEM_EXTRA and not in_scene and not _embedding_info(value):
            report.dropped(
                "item",
                key,
                reason="not the client's embedding_info ({index_id: text, embedding_vector: "
                "[numbers]})",
                example=where,
            )
        elif key in ITEM_EXTRA and not in_scene:
            payload[key] = value
        elif key in ITEM_EXTRA:
            report.dropped("item", key, reason="scene items carry no embedding", example=where)
        else:
            report.dropped(
                "item", key, reason=f"Nucleus items have no place for {key}", example=where
            )


def _embedding_info(value: Any) -> bool:
    """``value`` has the shape of the client's ``DatasetItemEmbeddingInfo`` payload."""
    if not isinstance(value, dict) or set(value) != {"index_id", "embedding_vector"}:
        return False
    vector = value["embedding_vector"]
    return (
        isinstance(value["index_id"], str)
        and isinstance(vector, list)
        and all(type(v) in (int, float) and math.isfinite(v) for v in vector)
    )


def _scene_url_key(location: str, media_type: str, where: str, report: LossReport) -> str:
    """``url`` where the client's ``from_json`` tells the media type from the suffix;
    otherwise (``.jpeg``, ``.JPG``, ...) ``image_url``/``pointcloud_url``, which it reads
    whatever the suffix (its ``to_payload`` then sends ``url`` and ``type`` as usual)."""
    if location.endswith(_CLIENT_URL_SUFFIXES[media_type]):
        return "url"
    key = _CLIENT_URL_KEYS[media_type]
    report.approximated(
        "item",
        "media",
        reason=f"scene frame location written under {key} rather than url: the Nucleus "
        "client reads a bare url as an image only when it ends in .jpg or .png, as a point "
        "cloud only when it ends in .json",
        example=where,
    )
    return key


def encode_item(
    item: Item, report: LossReport, *, in_scene: bool, url: str | None = None
) -> dict[str, Any]:
    """Encode an item: top-level (``image_url``) or in a scene frame (``url``, ``type``).

    ``url`` is where the writer put the item's media (a point cloud's JSON file), if it did.
    """
    where = f"item {item.reference_id!r}"
    metadata = dict(item.metadata)
    camera_payload = None
    if item.camera is not None:
        if "camera_params" in metadata:
            raise OutputError(f"{where}: metadata key 'camera_params' is reserved for the camera")
        camera_payload = camera_to_payload(item.camera, f"{where}: camera")
        metadata["camera_params"] = camera_payload
    payload: dict[str, Any] = {"metadata": metadata, "reference_id": item.reference_id}
    media = item.media
    if isinstance(media, ImageMedia):
        if media.width:
            payload["width"] = int(media.width)
        if media.height:
            payload["height"] = int(media.height)
        location = url or media.path
    elif isinstance(media, PointCloudMedia):
        if url is None:
            raise OutputError(f"{where}: point cloud has no location")
        location = url
    else:
        raise OutputError(f"{where}: has no image or point cloud")
    if item.extra:
        _extra(item, payload, in_scene, report)
    if in_scene:
        media_type = "image" if isinstance(media, ImageMedia) else "pointcloud"
        payload[_scene_url_key(location, media_type, where, report)] = location
        payload["type"] = media_type
        if camera_payload is not None:
            payload["camera_params"] = camera_payload
    elif not isinstance(media, ImageMedia):
        raise OutputError(f"{where}: a point cloud item must belong to a scene")
    else:
        payload["image_url"] = location
    return payload
