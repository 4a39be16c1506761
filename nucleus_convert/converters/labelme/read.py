"""Reading LabelMe files: one file, or a folder of them (see :mod:`.files`).

Per file (one item):

* ``imagePath`` is resolved as LabelMe resolves it: Windows separators become ``/``, and a
  relative path is taken from the JSON file's folder (an absolute one or a URL as it is). That
  is the item's image, unless the file is missing (or is the JSON itself, as some old files
  say) and ``imageData`` holds the image: then, with the reader option ``extract_images=DIR``,
  the embedded image is written to ``DIR/<reference id><.png|.jpg|...>`` and the item points
  there; without it the item keeps the missing location and the report counts
  ``(item, media.image_data)`` as dropped.
* ``imageData`` (when not ``null``) is checked whether it is used or not: bounded base64, an
  image whose header is within ``max_pixels`` and, when ``imageWidth``/``imageHeight`` are
  given, of that size (see :mod:`.embedded`). No pixel of it is decoded.
* The image size is ``imageWidth`` x ``imageHeight`` (positive integers, both or neither), else
  the embedded image's, else the local image file's header, else unknown.
* Image-level ``flags`` (name -> boolean): each true flag is an image category of taxonomy
  ``labelme_flags``; every flag name seen, true or false, is a label of that taxonomy in the
  header (a flag missing from a file reads as false).
* ``shapes``: one annotation each (:mod:`.shapes`). The label of every annotation (shapes and
  true flags) is a header category, in order of first appearance (added as the items stream).
* Any other top-level key (3.x ``lineColor``/``fillColor``, a tool's own keys) is item metadata
  under its name. ``version`` is not kept: the writer states its own.

Bad input is an :class:`~nucleus_convert.errors.InputError` naming the file, the record
(``shapes[3] ('person')``) and the field. With ``on_error=skip`` a bad file is left out (counted
as a dropped item) and a bad shape is left out of its file (counted as a dropped record).

Memory: the file list, and the file being streamed (parsed whole, one at a time).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path, PureWindowsPath
from typing import Any

from nucleus_convert.converters.labelme.embedded import Embedded, Place, image_data
from nucleus_convert.converters.labelme.files import find_label_files, reference_id
from nucleus_convert.converters.labelme.schema import FLAGS_TAXONOMY, SUFFIX, TOP_KEYS
from nucleus_convert.converters.labelme.shapes import ShapeSite, read_shape
from nucleus_convert.errors import InputError, brief
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Category,
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    Taxonomy,
)
from nucleus_convert.toolkit.files import is_remote, load_json, local_image_size
from nucleus_convert.toolkit.limits import file_name_problem, json_value_problem
from nucleus_convert.toolkit.on_error import OnError
from nucleus_convert.toolkit.paths import confined

__all__ = ["LabelmeReader", "read_labelme"]

_NOT_EXTRACTED = (
    "the image is embedded (imageData) and its imagePath file is not there: read with "
    "-r extract_images=FOLDER to write it out"
)


def _declared_size(data: dict[str, Any], path: Path) -> tuple[int, int] | None:
    width, height = data.get("imageWidth"), data.get("imageHeight")
    if width is None and height is None:
        return None
    dims = []
    for key, value in (("imageWidth", width), ("imageHeight", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InputError(
                f"expected a positive integer, got {brief(value)}", path=path, field=key
            )
        dims.append(value)
    return dims[0], dims[1]


def _image_name(data: dict[str, Any], path: Path) -> str:
    """``imagePath`` with Windows separators made ``/`` (``""`` when missing or null)."""
    value = data.get("imagePath")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {brief(value)}", path=path, field="imagePath")
    return PureWindowsPath(value).as_posix() if "\\" in value else value


class LabelmeReader:
    """Reads one file or folder; :meth:`dataset` streams its items (see the module docstring).

    The header's categories and flags taxonomy grow as the items stream."""

    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.src = src
        self.root, self.files = find_label_files(src)
        self.max_pixels: int | None = options.get("max_pixels")
        extract = str(options.get("extract_images") or "")
        self.extract_to = Path(extract) if extract else None
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        self.header = Header(source={"format": "labelme", "path": str(src)})
        self.labels: set[str] = set()
        self.flag_names: set[str] = set()
        refs: dict[str, Path] = {}
        for path in self.files:
            other = refs.setdefault(reference_id(self.root, path), path)
            if other is not path:
                raise InputError(
                    f"names the same image as {other} (suffixes differ in case)", path=path
                )

    def dataset(self) -> Dataset:
        return Dataset(
            header=self.header, items=self._items(), losses=self.losses, length=len(self.files)
        )

    def _items(self) -> Iterator[Item]:
        for path in self.files:
            try:
                yield self._item(path)
            except InputError as err:
                self.on_error.handle(err, "item")

    def _item(self, path: Path) -> Item:
        data = load_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            raise InputError(
                "not a LabelMe file: expected a JSON object with a 'shapes' list", path=path
            )
        ref = reference_id(self.root, path)
        embedded = self._embedded(data, path)
        size = _declared_size(data, path)
        if embedded is not None:
            found = (embedded.width, embedded.height)
            if size is not None and size != found:
                raise InputError(
                    f"the embedded image is {found[0]}x{found[1]} but imageWidth x imageHeight "
                    f"say {size[0]}x{size[1]}",
                    path=path,
                    field="imageData",
                )
            size = size or found
        location = self._location(data, path, ref, embedded)
        if size is None:
            size = local_image_size(location)
        annotations = self._shapes(data["shapes"], path, size)
        annotations.extend(self._flags(data, path))
        width, height = size if size is not None else (None, None)
        return Item(
            reference_id=ref,
            media=ImageMedia(location, width, height),
            metadata=self._metadata(data, path),
            annotations=annotations,
        )

    def _embedded(self, data: dict[str, Any], path: Path) -> Embedded | None:
        value = data.get("imageData")
        if value is None:
            return None
        return image_data(value, Place(path, None, "imageData"), self.max_pixels)

    def _location(
        self, data: dict[str, Any], path: Path, ref: str, embedded: Embedded | None
    ) -> str:
        name = _image_name(data, path)
        if is_remote(name):
            return name
        problem = file_name_problem(name)
        if problem is not None:
            raise InputError(f"cannot name an image file: {problem}", path=path, field="imagePath")
        location = path.parent / name if name else None
        if location is not None and location.suffix.lower() != SUFFIX and location.is_file():
            return str(location)
        if embedded is None:
            if location is None:
                raise InputError(
                    "names no image: imagePath is empty and there is no imageData",
                    path=path,
                    field="imagePath",
                )
            return str(location)
        if self.extract_to is not None:
            target = confined(self.extract_to, ref + embedded.suffix, record=str(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(embedded.data)
            return str(target)
        self.losses.dropped("item", "media.image_data", reason=_NOT_EXTRACTED, example=str(path))
        return str(location if location is not None else path.with_suffix(embedded.suffix))

    def _shapes(
        self, shapes: list[Any], path: Path, size: tuple[int, int] | None
    ) -> list[Annotation]:
        site = ShapeSite(path, size, self.max_pixels, self.losses)
        out: list[Annotation] = []
        for index, raw in enumerate(shapes):
            try:
                ann = read_shape(raw, index, site)
            except InputError as err:
                self.on_error.handle(err)
                continue
            out.append(ann)
            self._declare(ann.label)
        return out

    def _declare(self, label: str) -> None:
        """A label first seen joins the header's categories."""
        if label not in self.labels:
            self.labels.add(label)
            self.header.categories.append(Category(label))

    def _flags(self, data: dict[str, Any], path: Path) -> list[Annotation]:
        flags = data.get("flags")
        if flags is None:
            return []
        if not isinstance(flags, dict):
            raise InputError(
                f"expected an object of booleans, got {brief(flags)}", path=path, field="flags"
            )
        out: list[Annotation] = []
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise InputError(
                    f"expected true or false, got {brief(value)}", path=path, field=f"flags.{name}"
                )
            if name not in self.flag_names:
                self.flag_names.add(name)
                taxonomy = self.header.taxonomies.setdefault(
                    FLAGS_TAXONOMY, Taxonomy(FLAGS_TAXONOMY)
                )
                taxonomy.labels.append(name)
            if value:
                out.append(ImageCategory(label=name, taxonomy=FLAGS_TAXONOMY))
                self._declare(name)
        return out

    def _metadata(self, data: dict[str, Any], path: Path) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for key, value in data.items():
            if key in TOP_KEYS:
                continue
            problem = json_value_problem(value)
            if problem is not None:
                raise InputError(problem, path=path, field=key)
            metadata[key] = value
        return metadata


def read_labelme(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read one LabelMe file or a folder of them (nested)."""
    return LabelmeReader(src, options).dataset()
