"""Sources and destinations given as fsspec URLs (``s3://``, ``gs://``, ``memory://``...): the
``[cloud]`` extra (fsspec, s3fs, gcsfs).

Conventions:

* A string holding ``scheme://`` is a URL; ``file://`` is a local path. Every other scheme goes
  through fsspec, configured as fsspec is (endpoint and credentials from its configuration and
  environment: ``FSSPEC_S3_ENDPOINT_URL``, the AWS or Google variables...).
* A URL source is copied whole (the file, or the folder with everything under it) into a local
  temporary folder and read from there, so every reader, built-in or plugin, works unchanged and
  keeps its checks; the copy is removed when the conversion ends (after a bare ``read``, when
  the process exits).
* A URL destination is refused up front when it exists and is not empty, unless ``overwrite``.
  The output is written locally first (atomically, as always), then uploaded under a temporary
  sibling ``.<name>.<random>.partial`` and moved into place, so the destination appears only
  when everything was uploaded; on any error the temporary upload is removed and the
  destination is as it was. (On object stores a move is a copy then a delete: the destination
  appears file by file at the very end, but never with a half-written file.)
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeGuard

from nucleus_convert.errors import DestinationError, FormatError
from nucleus_convert.model import Dataset, ImageMedia, Item

__all__ = ["is_url", "local_path", "published", "rebased", "staged", "staged_for_process"]


def is_url(location: str | Path) -> TypeGuard[str]:
    """True for a string with a scheme other than ``file://`` (a ``Path`` is always local)."""
    return isinstance(location, str) and "://" in location and not location.startswith("file://")


def local_path(location: str | Path) -> Path:
    """A local location as a ``Path`` (``file://`` removed)."""
    if isinstance(location, str) and location.startswith("file://"):
        return Path(location[len("file://") :])
    return Path(location)


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec  # type: ignore[import-untyped]
    except ImportError:
        raise FormatError(
            f"{url}: URLs need fsspec: pip install 'nucleus-convert[cloud]'"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise FormatError(f"{url}: {exc}") from None
    return fs, str(path).rstrip("/")


def _name(path: str, url: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise FormatError(f"{url}: the URL must name a file or a folder")
    return name


def _stage(url: str, into: Path) -> Path:
    fs, path = _filesystem(url)
    name = _name(path, url)
    try:
        if fs.isdir(path):
            target = into / name
            target.mkdir()
            for remote in sorted(fs.find(path)):
                rel = remote[len(path) :].lstrip("/")
                local = (target / rel).resolve()
                if not local.is_relative_to(target.resolve()):
                    raise FormatError(f"{url}: {remote!r} would be copied outside the copy")
                local.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(remote, str(local))
            return target
        if not fs.isfile(path):
            raise FormatError(f"{url}: no such file or directory")
        fs.get_file(path, str(into / name))
    except OSError as exc:
        raise FormatError(f"{url}: cannot read: {exc}") from None
    return into / name


@contextlib.contextmanager
def staged(url: str) -> Iterator[Path]:
    """The local copy of source ``url``, removed on leaving the ``with``."""
    folder = Path(tempfile.mkdtemp(prefix="nucleus-convert-src-"))
    try:
        yield _stage(url, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def staged_for_process(url: str) -> Path:
    """The local copy of source ``url``, removed when the process exits (for a bare ``read``,
    whose dataset streams from the copy for as long as the caller keeps it)."""
    folder = Path(tempfile.mkdtemp(prefix="nucleus-convert-src-"))
    atexit.register(shutil.rmtree, folder, True)
    return _stage(url, folder)


@contextlib.contextmanager
def published(url: str, *, overwrite: bool) -> Iterator[Path]:
    """A local path to write the output at; uploaded to ``url`` when the ``with`` ends
    without an error (see the module docstring)."""
    fs, path = _filesystem(url)
    name = _name(path, url)
    if fs.exists(path) and not overwrite and (fs.isfile(path) or fs.ls(path)):
        raise DestinationError(
            f"{url} exists and is not empty (pass --overwrite / overwrite=True to replace it)"
        )
    folder = Path(tempfile.mkdtemp(prefix="nucleus-convert-dst-"))
    try:
        local = folder / name
        yield local
        _upload(fs, local, path, overwrite=overwrite, url=url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _upload(fs: Any, local: Path, path: str, *, overwrite: bool, url: str) -> None:
    parent, _, name = path.rpartition("/")
    partial = f"{parent}/.{name}.{uuid.uuid4().hex[:12]}.partial" if parent else f".{name}.partial"
    try:
        if local.is_dir():
            for file in sorted(p for p in local.rglob("*") if p.is_file()):
                fs.put_file(str(file), f"{partial}/{file.relative_to(local).as_posix()}")
        else:
            fs.put_file(str(local), partial)
        if fs.exists(path):
            if not overwrite:
                raise DestinationError(f"{url} appeared while this conversion ran")
            fs.rm(path, recursive=True)
        _move(fs, partial, path, folder=local.is_dir())
    except BaseException as exc:
        with contextlib.suppress(Exception):
            if fs.exists(partial):
                fs.rm(partial, recursive=True)
        if isinstance(exc, OSError):
            raise DestinationError(f"{url}: cannot upload: {exc}") from None
        raise


def rebased(dataset: Dataset, local: Path, url: str) -> Dataset:
    """``dataset`` read from the local copy ``local`` of ``url``, with the copy's paths stated
    as URLs where they name the source: the header's ``source.path`` and every image's path
    (so a Nucleus bundle references ``s3://.../image.jpg``, which Nucleus fetches). Point cloud
    and mask paths stay local: writers load them while the copy exists."""
    prefix = str(local)
    base = url.rstrip("/")

    def to_url(path: str) -> str:
        if path == prefix or path.startswith(prefix + "/"):
            return base + path[len(prefix) :]
        return path

    source_path = dataset.header.source.get("path")
    if isinstance(source_path, str):
        dataset.header.source["path"] = to_url(source_path)

    def images(items: Iterator[Item]) -> Iterator[Item]:
        for item in items:
            if isinstance(item.media, ImageMedia) and item.media.path:
                item.media.path = to_url(item.media.path)
            yield item

    partition = dataset.partition
    out = Dataset(
        dataset.header, images(dataset.items), dataset.scenes, dataset.losses,
        length=dataset.length,
    )  # fmt: skip
    if partition is not None:
        out.partition = lambda k, n: images(partition(k, n))
    return out


def _move(fs: Any, source: str, target: str, *, folder: bool) -> None:
    """Copy every file under ``source`` (or the file) to ``target``, then remove ``source``:
    a move that object stores without folders (S3: a copy per key) also do."""
    if folder:
        for key in sorted(fs.find(source)):
            fs.copy(key, target + key[len(source) :])
    else:
        fs.copy(source, target)
    fs.rm(source, recursive=folder)
