"""Placing a dataset's image files in a writer's output: copy, symlink or leave them out.

Every writer that lays images beside its labels (VOC ``JPEGImages``, KITTI ``image_2``, KITTI
raw ``image_0k/data``, YOLO ``images/``) takes the same ``images`` option and calls
:func:`place_image`. It reports, rather than raises, why an image could not be placed, so the
writer can count it in the loss report and go on with the labels.

Only regular local files are placed: URLs, missing files, folders, devices, FIFOs and sockets
are refused, so a hostile media path cannot make a writer read ``/dev/zero`` or block on a pipe.
The target must already be confined under the destination (:func:`~.paths.confined`).
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from nucleus_convert.model import ImageMedia
from nucleus_convert.toolkit.files import is_remote, local_image_size

__all__ = ["IMAGE_MODES", "image_size", "place_image", "regular_local_file"]

IMAGE_MODES = ("copy", "symlink", "none")
"""``copy`` the file, ``symlink`` to its absolute resolved path, or write ``none``."""


def image_size(media: object) -> tuple[int, int] | None:
    """``(width, height)`` of image media: the model's when both are set, else from the local
    image's header; ``None`` for other media, or when neither says."""
    if not isinstance(media, ImageMedia):
        return None
    if media.width and media.height:
        return int(media.width), int(media.height)
    return local_image_size(media.path)


def regular_local_file(location: str) -> Path | None:
    """``location`` as a path when it is a regular file on this machine, else ``None``.

    URLs, missing paths, folders, devices, FIFOs and sockets give ``None``; a symlink counts
    by what it points to.
    """
    if not location or is_remote(location) or "\x00" in location:
        return None
    path = Path(location)
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    return path if stat.S_ISREG(mode) else None


def place_image(location: str, target: Path, mode: str) -> str | None:
    """Put the image at ``location`` at ``target`` as ``mode`` says.

    Returns ``None`` when the image was placed (or ``mode`` is ``none``, which places nothing
    on purpose and is the caller's to report), else the reason it was not, for the loss
    report. ``target``'s folder is created; an existing ``target`` is left as it is and
    reported (two items never share an image file).
    """
    if mode not in IMAGE_MODES:
        raise ValueError(f"unknown image placement {mode!r}; expected one of {IMAGE_MODES}")
    if mode == "none":
        return None
    source = regular_local_file(location)
    if source is None:
        return "the image is not a regular local file here"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        return f"another image was already written as {target.name}"
    if mode == "symlink":
        target.symlink_to(source.resolve())
    else:
        shutil.copyfile(source, target)
    return None
