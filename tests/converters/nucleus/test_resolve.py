"""Bundle locations stay under the bundle and are regular files (issue 17, part 2).

A mask, point cloud or image location in a bundle or a payload file resolves only to a regular
file under the bundle's folder, unless the reader option ``allow_outside`` says otherwise;
devices, FIFOs, sockets and symlinks out of the bundle are never opened; a URL is passed on
only when the official client takes its scheme.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

import nucleus_convert as nc
from nucleus_convert.converters.nucleus.locations import check_scheme, client_remote
from nucleus_convert.errors import InputError


def _mask_bundle(tmp_path: Path, mask_url: str) -> Path:
    bundle = tmp_path / "b"
    bundle.mkdir()
    item = {"reference_id": "a", "metadata": {}, "image_url": "a.jpg"}
    mask = {
        "type": "mask",
        "mask_url": mask_url,
        "reference_id": "a",
        "annotation_id": "m1",
        "annotations": [],
    }
    (bundle / "items.jsonl").write_bytes(orjson.dumps(item) + b"\n")
    (bundle / "annotations.jsonl").write_bytes(orjson.dumps(mask) + b"\n")
    return bundle


def _read_error(bundle: Path, **options: object) -> InputError:
    with pytest.raises(InputError) as info:
        list(nc.read(bundle, "nucleus", **options).items)
    return info.value


def test_mask_url_at_a_device_is_refused_with_file_line_record_and_field(
    tmp_path: Path,
) -> None:
    err = _read_error(_mask_bundle(tmp_path, "/dev/zero"))
    assert err.path is not None and err.path.endswith("annotations.jsonl")
    assert err.line == 1 and err.record == "annotation 'm1'" and err.field == "url"
    assert "/dev/zero" in str(err) and "\n" not in str(err)


def test_device_is_refused_even_when_outside_locations_are_allowed(tmp_path: Path) -> None:
    err = _read_error(_mask_bundle(tmp_path, "/dev/zero"), allow_outside=True)
    assert "not a regular file" in str(err)


def test_fifo_inside_the_bundle_is_refused_without_being_opened(tmp_path: Path) -> None:
    bundle = _mask_bundle(tmp_path, "masks/a.png")
    (bundle / "masks").mkdir()
    os.mkfifo(bundle / "masks" / "a.png")
    err = _read_error(bundle)  # opening the FIFO would block: the test would hang
    assert "not a regular file" in str(err)


def test_symlink_out_of_the_bundle_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    bundle = _mask_bundle(tmp_path, "masks/a.png")
    (bundle / "masks").mkdir()
    (bundle / "masks" / "a.png").symlink_to(secret)
    assert "points outside the bundle" in str(_read_error(bundle))


def test_absolute_path_is_refused_unless_allowed(tmp_path: Path) -> None:
    outside = tmp_path / "m.png"
    outside.write_bytes(b"x")
    bundle = _mask_bundle(tmp_path, str(outside))
    assert "absolute path outside the bundle" in str(_read_error(bundle))
    items = list(nc.read(bundle, "nucleus", allow_outside=True).items)
    assert items[0].annotations[0].mask.path == str(outside)


def test_image_url_at_a_device_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    item = {"reference_id": "a", "metadata": {}, "image_url": "/dev/zero"}
    (bundle / "items.jsonl").write_bytes(orjson.dumps(item) + b"\n")
    err = _read_error(bundle)
    assert err.line == 1 and err.field == "url" and "not a regular file" in str(err)


def test_image_url_outside_the_bundle_is_kept_when_a_regular_file(tmp_path: Path) -> None:
    # Writers reference source images where they are (absolute paths): they must read back.
    image = tmp_path / "a.jpg"
    image.write_bytes(b"jpeg")
    bundle = tmp_path / "b"
    bundle.mkdir()
    item = {"reference_id": "a", "metadata": {}, "image_url": str(image)}
    (bundle / "items.jsonl").write_bytes(orjson.dumps(item) + b"\n")
    (media,) = [i.media for i in nc.read(bundle, "nucleus").items]
    assert media is not None and media.path == str(image)


def test_image_url_inside_the_bundle_is_kept_as_written(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    item = {"reference_id": "a", "metadata": {}, "image_url": "images/a.jpg"}
    (bundle / "items.jsonl").write_bytes(orjson.dumps(item) + b"\n")
    (item_media,) = [i.media for i in nc.read(bundle, "nucleus").items]
    assert item_media is not None and item_media.path == "images/a.jpg"


def test_point_cloud_at_a_device_in_a_payload_file_is_refused(tmp_path: Path) -> None:
    scene = {
        "reference_id": "s",
        "frames": [{"lidar": {"reference_id": "p", "url": "/dev/zero", "type": "pointcloud"}}],
    }
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps(scene) + b"\n")
    err = _read_error(path)
    assert err.line == 1 and err.field == "frames[0].lidar.url"


@pytest.mark.parametrize("url", ["file:///dev/zero", "ftp://host/m.png", "gcs://b/m.png"])
def test_url_scheme_the_client_does_not_take_is_refused(tmp_path: Path, url: str) -> None:
    err = _read_error(_mask_bundle(tmp_path, url))
    assert "URL scheme" in str(err) and err.field == "url"


def test_client_schemes_are_exactly_http_https_s3_and_gs() -> None:
    from nucleus.annotation import is_local_path

    for url in ("http://a/b", "HTTPS://a/b", "s3://a/b", "gs://a/b", "ftp://a/b", "a/b.png"):
        assert client_remote(url) == (not is_local_path(url.lower()))
    assert check_scheme("s3://a/b") is None and check_scheme("masks/a.png") is None
    assert check_scheme("file:///x") is not None
