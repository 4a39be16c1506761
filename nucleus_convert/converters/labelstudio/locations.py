"""Where a task's image is: which ``data`` key, its file name, and a local path for it.

Label Studio serves its own files under ``/data/``: uploads as ``/data/upload/<project>/<name>``
(the files of its media folder's ``upload/``) and local storage as
``/data/local-files/?d=<path>`` (a path under its local-files document root, URL-encoded).
Cloud storage keeps ``s3://``, ``gs://``, ``azure-blob://`` URLs; imported tasks may hold any
URL or path. A location is kept as it is, unless the reader option ``image_root`` is given:
then ``/data/upload/<rest>`` becomes ``<image_root>/upload/<rest>``,
``/data/local-files/?d=<path>`` becomes ``<image_root>/<path>`` and a relative path
``<image_root>/<path>``; URLs and other absolute paths stay as they are.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from nucleus_convert.converters.labelstudio.schema import IMAGE_SUFFIXES
from nucleus_convert.toolkit.files import is_remote, join_location

__all__ = ["find_image_key", "image_name", "resolve"]

_UPLOAD = "/data/upload/"
_LOCAL_FILES = "/data/local-files/"


def _local_files_path(location: str) -> str | None:
    """The ``d`` path of a ``/data/local-files/?d=...`` location."""
    if not location.startswith(_LOCAL_FILES):
        return None
    values = parse_qs(urlsplit(location).query).get("d")
    return values[0] if values else None


def image_name(location: str) -> str:
    """The file name of an image location (``""`` when it has none)."""
    local = _local_files_path(location)
    if local is not None:
        return PurePosixPath(local).name
    if is_remote(location):
        return PurePosixPath(unquote(urlsplit(location).path)).name
    return PurePosixPath(location.split("?", 1)[0]).name


def _looks_like_image(value: Any) -> bool:
    return isinstance(value, str) and image_name(value).lower().endswith(IMAGE_SUFFIXES)


def find_image_key(data: dict[str, Any], wanted: str) -> str | None:
    """The ``data`` key holding the image: ``wanted`` when given (even if absent), else
    ``image``, else the first key whose value names an image file."""
    if wanted:
        return wanted
    if "image" in data:
        return "image"
    return next((key for key, value in data.items() if _looks_like_image(value)), None)


def resolve(location: str, root: str) -> str:
    """``location`` under ``root`` as the module docstring says (unchanged without a root)."""
    if not root or is_remote(location):
        return location
    local = _local_files_path(location)
    if local is not None:
        return join_location(root, local)
    if location.startswith(_UPLOAD):
        return join_location(root, location[len("/data/") :])
    if location.startswith("/"):
        return location
    return join_location(root, location)
