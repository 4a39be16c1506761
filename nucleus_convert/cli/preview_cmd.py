"""``nucleus-convert preview``: draw a dataset's items (one PNG each) and a contact sheet, to
look at a source, or at a Nucleus bundle before it is uploaded
(:func:`nucleus_convert.drawing.preview`)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from nucleus_convert.cli.common import (
    PathOrUrl,
    cli,
    echo_json,
    read_option,
)
from nucleus_convert.drawing import preview as make_previews
from nucleus_convert.drawing.render import DEFAULT_MAX_SIZE
from nucleus_convert.drawing.run import MIN_MAX_SIZE
from nucleus_convert.toolkit.limits import parse_max_pixels

__all__ = ["preview"]


def _max_pixels(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_max_pixels(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@cli.command()
@click.argument("src", type=PathOrUrl())
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--from", "from_", metavar="FORMAT", help="Source format (detected when omitted).")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Preview the first N items (of those --items picks) and stop reading.",
)
@click.option(
    "--items",
    "items",
    multiple=True,
    metavar="ID",
    help="Preview only the item with this reference id (repeat for several). An id SRC does "
    "not hold is an error.",
)
@click.option("--overwrite", is_flag=True, help="Replace OUT when it exists and is not empty.")
@read_option("Reader option (repeatable; see formats NAME), e.g. -r image_root=DIR for COCO.")
@click.option(
    "--max-size",
    type=click.IntRange(min=MIN_MAX_SIZE),
    default=DEFAULT_MAX_SIZE,
    show_default=True,
    metavar="PIXELS",
    help="Longest side of a preview's picture (larger images are scaled down).",
)
@click.option(
    "--max-pixels",
    callback=_max_pixels,
    default=None,
    metavar="N",
    help="Largest image or mask decoded, in pixels (default Pillow's decompression-bomb limit).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON summary on stdout: files written per item, notes, timings.",
)
def preview(
    src: Path | str,
    out: Path,
    from_: str | None,
    limit: int | None,
    items: tuple[str, ...],
    overwrite: bool,
    read_options: dict[str, str],
    max_size: int,
    max_pixels: int | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Draw every item of SRC (a path, or a URL with the [cloud] extra) into the folder
    OUT: one PNG per item (its image with every annotation, or a bird's-eye view of a point
    cloud) and contact_sheet.png. OUT is written whole or not at all. Where an image is not a
    local file, the item is drawn on a blank canvas of its size and a note says so."""
    start = time.perf_counter()
    result = make_previews(
        src,
        out,
        from_=from_,
        limit=limit,
        items=items or None,
        overwrite=overwrite,
        read_options=read_options,
        max_size=max_size,
        max_pixels=max_pixels,
    )
    elapsed = time.perf_counter() - start
    if as_json:
        echo_json({**result.to_json(), "timings": {"seconds": round(elapsed, 6)}})
        return
    if quiet:
        return
    for line in [*result.item_notes(), *result.notes]:
        click.echo(f"note: {line}", err=True)
    noted = sum(1 for p in result.items if p.notes)
    click.echo(
        f"wrote {result.path}: {len(result.items)} previews and {result.sheet.name}"
        + (f" ({noted} with notes)" if noted else "")
        + f" in {elapsed:.2f} s"
    )
