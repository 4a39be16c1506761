"""``preview()``: draw what a dataset holds, one PNG per item and a contact sheet.

The source is read with :func:`nucleus_convert.api.read` (any readable format, detected when
not named; a Nucleus bundle shows what would be uploaded). Items stream: each is drawn,
written and let go before the next is read; ``limit`` stops the stream early and ``items``
picks reference ids (the stream stops once all are found; an id the source does not hold is an
:class:`~nucleus_convert.errors.InputError` naming a few that it does).

Output is all-or-nothing, as for ``convert``: the PNGs are written into a temporary sibling of
``out`` that is renamed into place only when every preview was written
(:func:`~nucleus_convert.toolkit.destination.atomic_destination`). File names come from
reference ids made safe (:class:`~nucleus_convert.toolkit.files.SafeNames`: other characters
than letters, digits, ``.``, ``_``, ``-`` replaced, a short hash where a name changed or
clashes) and confined under ``out`` (:func:`~nucleus_convert.toolkit.paths.confined`); the
contact sheet is ``contact_sheet.png``, a name no item can take.

Drawing conventions are those of :mod:`nucleus_convert.drawing.render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from nucleus_convert import api
from nucleus_convert.drawing.render import DEFAULT_MAX_SIZE, Settings, render_item
from nucleus_convert.drawing.sheet import ContactSheet
from nucleus_convert.errors import DestinationError, InputError
from nucleus_convert.model import Dataset, Item, ItemStream
from nucleus_convert.plugins import get_registry
from nucleus_convert.remote import is_url, local_path
from nucleus_convert.toolkit.destination import atomic_destination
from nucleus_convert.toolkit.files import SafeNames
from nucleus_convert.toolkit.paths import confined

__all__ = [
    "MIN_MAX_SIZE",
    "SHEET_NAME",
    "ItemPreview",
    "PreviewResult",
    "preview",
    "preview_dataset",
]

SHEET_NAME = "contact_sheet.png"
MIN_MAX_SIZE = 64
"""The smallest ``max_size`` accepted."""


@dataclass(frozen=True, slots=True)
class ItemPreview:
    """One item's preview: its reference id, the PNG written (its final place under
    ``out``), the view (``image`` or ``bev``: bird's-eye) and the notes about it."""

    reference_id: str
    path: Path
    view: str
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class PreviewResult:
    """What :func:`preview` wrote: ``path`` (the folder), the source format (``None`` when
    not known), one :class:`ItemPreview` per item, the contact sheet, and notes about the
    run as a whole."""

    path: Path
    format: str | None
    items: list[ItemPreview]
    sheet: Path
    notes: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every PNG written: the items' in stream order, then the contact sheet."""
        return [p.path for p in self.items] + [self.sheet]

    def item_notes(self) -> list[str]:
        """Every item's notes as ``reference id: note`` lines, in stream order."""
        return [f"{p.reference_id}: {note}" for p in self.items for note in p.notes]

    def to_json(self) -> dict[str, Any]:
        """The summary ``preview --json`` prints (timings aside)."""
        return {
            "path": str(self.path),
            "format": self.format,
            "sheet": str(self.sheet),
            "counts": {
                "items": len(self.items),
                "notes": sum(len(p.notes) for p in self.items) + len(self.notes),
            },
            "items": [
                {
                    "reference_id": _text(p.reference_id),
                    "file": str(p.path),
                    "view": p.view,
                    "notes": list(p.notes),
                }
                for p in self.items
            ],
            "notes": list(self.notes),
        }


def _text(value: str) -> str:
    """``value`` with lone surrogates replaced, so that it can be written as JSON."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _format_name(src: str | Path, fmt: str | None) -> str | None:
    """The source's format: the one named, else the one detected (a URL: left to
    :func:`~nucleus_convert.api.read`, ``None``)."""
    if fmt is not None:
        return api.get_format(fmt).name
    if is_url(src):
        return None
    return get_registry().detect(local_path(src)).name


def preview(
    src: str | Path,
    out: str | Path,
    *,
    from_: str | None = None,
    limit: int | None = None,
    items: Iterable[str] | None = None,
    overwrite: bool = False,
    read_options: dict[str, Any] | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    max_pixels: int | None = None,
    on_item: Callable[[ItemPreview], None] | None = None,
) -> PreviewResult:
    """Read ``src`` (format ``from_``, detected when ``None``) and write its previews into the
    folder ``out``: one PNG per item (its image with every annotation drawn; a bird's-eye view
    for a point cloud) and ``contact_sheet.png``. See the module docstring for streaming,
    selection and naming, and :func:`preview_dataset` for the other arguments."""
    fmt = _format_name(src, from_)
    dataset = api.read(src, fmt, **(read_options or {}))
    return preview_dataset(
        dataset,
        out,
        limit=limit,
        items=items,
        overwrite=overwrite,
        max_size=max_size,
        max_pixels=max_pixels,
        on_item=on_item,
        source=str(src),
        format_name=fmt,
    )


def preview_dataset(
    dataset: Dataset,
    out: str | Path,
    *,
    limit: int | None = None,
    items: Iterable[str] | None = None,
    overwrite: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    max_pixels: int | None = None,
    on_item: Callable[[ItemPreview], None] | None = None,
    source: str = "the dataset",
    format_name: str | None = None,
) -> PreviewResult:
    """Write the previews of ``dataset``'s items into the folder ``out`` (whole or not at
    all; an existing non-empty ``out`` only with ``overwrite``).

    ``limit``: at most this many items (the stream stops there); ``items``: only these
    reference ids, in stream order; ``max_size``: the longest side of a preview's picture in
    pixels; ``max_pixels``: the largest image or mask decoded (default Pillow's
    decompression-bomb limit); ``on_item`` hears each preview as it is written; ``source``
    names the dataset in errors.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if max_size < MIN_MAX_SIZE:
        raise ValueError(f"max_size must be at least {MIN_MAX_SIZE} pixels, got {max_size}")
    wanted = None if items is None else list(dict.fromkeys(items))
    if isinstance(dataset.items, ItemStream):
        dataset.items.check_unread()
    settings = Settings(max_size=max_size, max_pixels=max_pixels)
    out = Path(out)
    written: list[ItemPreview] = []
    with atomic_destination(out, overwrite=overwrite) as target:
        target.mkdir()
        names = SafeNames()
        sheet_name = names.name(SHEET_NAME.removesuffix(".png"), ".png")
        sheet = ContactSheet()
        for item in selected(dataset.items, wanted, limit, source):
            rendered = render_item(item, dataset.header, settings)
            name = names.name(item.reference_id, ".png")
            record = f"item {_text(item.reference_id)!r}"
            _save(rendered.image, confined(target, name, record=record))
            sheet.add(item.reference_id, rendered.picture, noted=bool(rendered.notes))
            done = ItemPreview(item.reference_id, out / name, rendered.view, tuple(rendered.notes))
            written.append(done)
            if on_item is not None:
                on_item(done)
        _save(sheet.render(), confined(target, sheet_name))
    notes = []
    if sheet.omitted:
        notes.append(f"the contact sheet shows the first {sheet.limit} of {sheet.total} previews")
    return PreviewResult(out, format_name, written, out / sheet_name, notes)


def selected(
    items: Iterable[Item], wanted: list[str] | None, limit: int | None, source: str
) -> Iterator[Item]:
    """The items to preview, in stream order: all of them, or those whose reference id is in
    ``wanted``; at most ``limit``. Stops reading the stream as soon as it has them all; an id
    of ``wanted`` not in the stream is an :class:`InputError` naming a few ids that are."""
    stream = iter(items)
    remaining = None if wanted is None else set(wanted)
    first: list[str] = []
    count = 0
    while limit is None or count < limit:
        item = next(stream, None)
        if item is None:
            break
        if remaining is None:
            count += 1
            yield item
            continue
        if len(first) < 5:
            first.append(item.reference_id)
        if item.reference_id in remaining:
            remaining.discard(item.reference_id)
            count += 1
            yield item
            if not remaining:
                return
    else:
        return  # the limit was reached
    if remaining:
        raise InputError(_missing_message(wanted or [], remaining, first), path=source)


def _missing_message(wanted: list[str], remaining: set[str], first: list[str]) -> str:
    missing = [_text(ref) for ref in wanted if ref in remaining]
    shown = ", ".join(repr(ref) for ref in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    what = "no item with reference id" if len(missing) == 1 else "no items with reference ids"
    has = (
        "its items include " + ", ".join(repr(_text(ref)) for ref in first)
        if first
        else "it has no items"
    )
    return f"{what} {shown}{more}; {has}"


def _save(image: Image.Image, path: Path) -> None:
    """Write ``image`` as a PNG at ``path``; a failure is a :class:`DestinationError`."""
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise DestinationError(f"{path}: cannot write the preview: {exc}") from None
