"""Where a payload's locations (``mask_url``, ``pointcloud_url``, ``url``) are on this machine.

Relative locations (and ones under the bundle's ``base_url``) are files in the bundle; remote
URLs and absolute paths are left as they are.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.files import is_remote

__all__ = ["BundleResolver"]


class BundleResolver:
    """Maps payload locations to local paths inside the bundle; refuses ones that escape it."""

    def __init__(self, root: Path, base_url: str | None) -> None:
        self.root = root.resolve()
        self.base_url = base_url

    def __call__(self, url: str) -> str:
        rel = url
        if self.base_url and url.startswith(self.base_url):
            rel = url[len(self.base_url) :]
        elif is_remote(url) or Path(url).is_absolute():
            return url
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root):
            raise InputError(f"location {url!r} points outside the bundle", field="url")
        return str(target)
