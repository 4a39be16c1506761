"""Where a payload's locations (``mask_url``, ``pointcloud_url``, ``url``, ``image_url``) are
on this machine, and which of them the reader may open.

Relative locations (and ones under the bundle's ``base_url``) are files in the bundle. A local
mask or point cloud location (files the writer puts in the bundle, and the reader opens) must
resolve (symlinks followed) to a path under the bundle directory unless the reader option
``allow_outside`` is true; an absolute path counts as outside. Image locations are not
confined: the writer references source images where they are (often absolute paths, which the
client uploads from), so a bundle we wrote must read back. Whatever the option, a location
that exists and is not a regular file (a device such as ``/dev/zero``, a FIFO, a socket, a
directory) is refused, image or not: no reader or later writer opens one. A URL is passed on only
when the official client takes it (http, https, s3, gs: see :mod:`.locations`); any other
scheme is refused. Refusals are :class:`InputError` on field ``url`` (the message quotes the
location); the reader adds the file, line and record.

A local file that does not exist yet is let through: loading it later fails with its own
message (masks and point clouds are opened only when an item is converted).
"""

from __future__ import annotations

import stat
from pathlib import Path

from nucleus_convert.converters.nucleus.locations import check_scheme, client_remote
from nucleus_convert.errors import InputError

__all__ = ["BundleResolver"]


def _refuse(message: str) -> InputError:
    return InputError(message, field="url")


class BundleResolver:
    """Maps payload locations to local paths inside the bundle; refuses ones that escape it,
    that are not regular files, or whose URL scheme the client does not take."""

    def __init__(self, root: Path, base_url: str | None, *, allow_outside: bool = False) -> None:
        self.root = root.resolve()
        self.base_url = base_url
        self.allow_outside = allow_outside

    def __call__(self, url: str) -> str:
        """The local path of a mask or point cloud location (a client URL as it is)."""
        rel = url
        if self.base_url and url.startswith(self.base_url):
            rel = url[len(self.base_url) :]
        else:
            reason = check_scheme(url)
            if reason is not None:
                raise _refuse(reason)
            if client_remote(url):
                return url
        return str(self._local(rel, url))

    def check_image(self, url: str) -> str:
        """An image location, returned as written: a client URL, or a local path (anywhere)
        that is missing or a regular file."""
        reason = check_scheme(url)
        if reason is not None:
            raise _refuse(reason)
        if not client_remote(url):
            self._local(url, url, confine=False)
        return url

    def _local(self, rel: str, url: str, *, confine: bool = True) -> Path:
        confine = confine and not self.allow_outside
        if "\x00" in rel:
            raise _refuse(f"location {url!r} holds a NUL byte")
        if confine and Path(rel).is_absolute():
            raise _refuse(
                f"location {url!r} is an absolute path outside the bundle "
                "(reader option allow_outside=true allows it)"
            )
        try:
            target = (self.root / rel).resolve()
        except (OSError, RuntimeError, ValueError) as exc:
            raise _refuse(f"location {url!r} cannot be resolved: {exc}") from None
        if confine and not target.is_relative_to(self.root):
            raise _refuse(
                f"location {url!r} points outside the bundle "
                "(reader option allow_outside=true allows it)"
            )
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            return target
        except (OSError, ValueError) as exc:
            raise _refuse(f"location {url!r} cannot be read: {exc}") from None
        if not stat.S_ISREG(mode):
            raise _refuse(
                f"location {url!r} is not a regular file (a device, FIFO, socket or directory)"
            )
        return target
