"""``merge``: several datasets into one, categories reconciled by name, clashing ids refused
or renamed, every reconciliation in the loss report.

Conventions:

* Sources are read in the order given (each in its own format, detected, or all in the one
  named), and
  their items streamed one source after the other into one writer: memory holds the
  readers' indexes (each reader's stated bound) and one item.
* Header: categories are one per name, in order of first appearance; the first source to
  declare a name gives its id and supercategory. A later category whose id an earlier one of
  another name holds loses its id (the writer numbers it), counted as ``header``
  ``categories.source_id`` changed. Skeletons: one per label; two different skeletons for one
  label are refused. Taxonomies: their labels joined. Format-specific header fields
  (``Header.extra``, ``source``) come from the first source; other sources' are counted as
  dropped.
* Ids: an item reference id, a scene id or a track id that an earlier source already used is
  refused (``on_clash="error"``, naming both sources) or renamed ``<id>~<n>`` (``n``: the
  source's place, 1-based, then a counter if that is taken too; counted as ``item``/``scene``
  ``reference_id`` or ``<kind>`` ``track_id`` changed). Track ids matter because Nucleus
  tracks are dataset-wide: two sources' ``car-1`` would otherwise become one track. Ids of
  items in scenes are fixed before the first item streams; an item outside scenes whose id a
  scene item of any source holds is renamed, or refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from nucleus_convert import api
from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation, Category, Dataset, Frame, Header, Item, Scene
from nucleus_convert.plugins import get_registry
from nucleus_convert.transforms.split import local_only

__all__ = ["merge", "merge_headers"]


def merge(
    sources: Sequence[str | Path],
    dst: str | Path,
    *,
    from_: str | None = None,
    to: str | None = None,
    on_clash: str = "error",
    overwrite: bool = False,
    read_options: Mapping[str, Any] | None = None,
    write_options: Mapping[str, Any] | None = None,
) -> api.WriteResult:
    """Merge ``sources`` (two or more) into ``dst`` in format ``to`` (the first source's by
    default); see the module docstring for what is reconciled and how."""
    if len(sources) < 2:
        raise InputError("merge needs two or more sources")
    if on_clash not in ("error", "rename"):
        raise InputError(f"on_clash is error or rename, got {on_clash!r}")
    paths = [local_only(s, "source") for s in sources]
    formats = [from_ or get_registry().detect(p).name for p in paths]
    api.get_format(to or formats[0])  # an unknown target fails before the reads
    datasets = [
        api.read(p, f, **dict(read_options or {})) for p, f in zip(paths, formats, strict=True)
    ]
    report = LossReport()
    header = merge_headers([d.header for d in datasets], [str(p) for p in paths], report)
    ids = _Ids(paths, on_clash == "rename", report)
    scenes = [ids.scene(k, s) for k, d in enumerate(datasets) for s in d.scenes]
    target = to or formats[0]
    merged = Dataset(header, _items(datasets, ids, report), scenes, report)
    return api.write(
        merged, local_only(dst, "destination"), target, overwrite=overwrite,
        **dict(write_options or {}),
    )  # fmt: skip


def _items(datasets: list[Dataset], ids: _Ids, report: LossReport) -> Iterator[Item]:
    """Each source's items in turn, renamed where needed; a source is let go (its parse
    freed) once its items are out, and what its reader skipped is added to the report."""
    for k in range(len(datasets)):
        dataset = datasets[k]
        for item in dataset.items:
            yield ids.item(k, item)
        report.merge(dataset.losses)
        datasets[k] = Dataset(Header(), iter(()))


class _Ids:
    """Reference ids given out so far, and each source's renames of its scene items."""

    def __init__(self, paths: list[Path], rename: bool, report: LossReport) -> None:
        self.paths = paths
        self.rename = rename
        self.report = report
        self.taken: dict[str, int] = {}  # item id -> source that holds it
        self.scene_ids: dict[str, int] = {}
        self.renamed: list[dict[str, str]] = [{} for _ in paths]
        self.tracks: dict[str, int] = {}  # track id -> source that uses it
        self.track_names: list[dict[str, str]] = [{} for _ in paths]

    def _new(
        self, k: int, ref: str, taken: Mapping[str, int], kind: str, holder: int, count: bool = True
    ) -> str:
        """A fresh name for ``ref`` (a ``kind`` id of source ``k`` that source ``holder``
        already uses), counted as changed unless ``count`` is false; an error when ids may not
        be renamed."""
        if not self.rename:
            raise InputError(
                f"{kind} {ref!r} of {self.paths[k]} is also in {self.paths[holder]} "
                "(rename it, or merge with --on-clash rename)"
            )
        n, new = 0, f"{ref}~{k + 1}"
        while new in taken:
            n += 1
            new = f"{ref}~{k + 1}.{n}"
        if count:
            self.report.changed(
                kind, "reference_id", reason="renamed: an earlier source holds the id",
                example=f"{self.paths[k]}: {ref} -> {new}",
            )  # fmt: skip
        return new

    def scene(self, k: int, scene: Scene) -> Scene:
        """``scene`` with its id and its items' ids made unique (fixed before streaming)."""
        sid = scene.reference_id
        if sid in self.scene_ids:
            sid = self._new(k, sid, self.scene_ids, "scene", self.scene_ids[sid])
        self.scene_ids[sid] = k
        frames = []
        for frame in scene.frames:
            sensors = {}
            for sensor, ref in frame.sensors.items():
                new = self.renamed[k].get(ref, ref)
                if ref not in self.renamed[k]:
                    if new in self.taken:
                        new = self._new(k, ref, self.taken, "item", self.taken[new])
                    self.renamed[k][ref] = new
                    self.taken[new] = k
                sensors[sensor] = new
            frames.append(Frame(sensors))
        if sid == scene.reference_id and frames == scene.frames:
            return scene
        return replace(scene, reference_id=sid, frames=frames)

    def item(self, k: int, item: Item) -> Item:
        """``item`` with the id its scene gave it, or a fresh one when its id is taken."""
        ref = item.reference_id
        if ref in self.renamed[k]:
            new = self.renamed[k][ref]
        elif ref in self.taken:
            new = self._new(k, ref, self.taken, "item", self.taken[ref])
            self.taken[new] = k
        else:
            new = ref
            self.taken[new] = k
        annotations = self._tracked(k, item)
        if new == ref and annotations is item.annotations:
            return item
        return replace(item, reference_id=new, annotations=annotations)

    def _tracked(self, k: int, item: Item) -> list[Annotation]:
        """The item's annotations with track ids an earlier source uses renamed (Nucleus
        tracks are dataset-wide: two sources' "car-1" would become one track)."""
        out: list[Annotation] | None = None
        for n, ann in enumerate(item.annotations):
            track = ann.track_id
            if track is None:
                continue
            new = self.track_names[k].get(track)
            if new is None:
                holder = self.tracks.get(track, k)
                if holder != k:
                    new = self._new(k, track, self.tracks, "track", holder, count=False)
                else:
                    new = track
                self.track_names[k][track] = new
                self.tracks.setdefault(new, k)
            if new != track:
                self.report.changed(
                    ann.kind, "track_id", reason="renamed: an earlier source uses the track id",
                    example=f"{self.paths[k]}: {track} -> {new}",
                )  # fmt: skip
                out = list(item.annotations) if out is None else out
                out[n] = replace(ann, track_id=new)
        return item.annotations if out is None else out


def merge_headers(headers: list[Header], names: list[str], report: LossReport) -> Header:
    """One header for ``headers`` (sources named ``names``); see the module docstring."""
    out = Header(source=dict(headers[0].source), extra=dict(headers[0].extra))
    by_name: dict[str, Category] = {}
    by_id: dict[Any, str] = {}
    for k, header in enumerate(headers):
        for c in header.categories:
            _merge_category(out, by_name, by_id, c, f"{names[k]}: {c.name}", report)
        for label, skeleton in header.skeletons.items():
            have = out.skeletons.setdefault(label, skeleton)
            if have != skeleton:
                raise InputError(
                    f"label {label!r} has a different keypoint skeleton in {names[k]} than in "
                    "an earlier source; map one of them to another name first (--map-labels)"
                )
        for name, tax in header.taxonomies.items():
            have_tax = out.taxonomies.setdefault(name, replace(tax, labels=[]))
            if have_tax.type != tax.type:
                raise InputError(
                    f"taxonomy {name!r} is {tax.type} in {names[k]}, not {have_tax.type}"
                )
            have_tax.labels.extend(lb for lb in tax.labels if lb not in have_tax.labels)
        if k and header.extra and header.extra != out.extra:
            report.dropped(
                "header", "extra", reason="only the first source's format-specific header is kept",
                example=names[k],
            )  # fmt: skip
    return out


def _merge_category(
    out: Header,
    by_name: dict[str, Category],
    by_id: dict[Any, str],
    c: Category,
    example: str,
    report: LossReport,
) -> None:
    have = by_name.get(c.name)
    if have is not None:
        if have.supercategory != c.supercategory and c.supercategory is not None:
            report.changed(
                "header", "categories.supercategory",
                reason="the first source's supercategory is kept", example=example,
            )  # fmt: skip
        return
    new = replace(c, attributes=dict(c.attributes))
    if c.source_id is not None and by_id.get(c.source_id, c.name) != c.name:
        report.changed(
            "header", "categories.source_id",
            reason="an earlier source gives that id to another name; the writer numbers it",
            example=example,
        )  # fmt: skip
        new.source_id = None
    if new.source_id is not None:
        by_id[new.source_id] = c.name
    by_name[c.name] = new
    out.categories.append(new)
