"""``split``: one dataset into several (``train``, ``val``...), each written whole in a folder
of the destination.

Conventions:

* Two reads of the source: the first lists the items (reference id, scene or group, labels)
  and plans the split (:mod:`.split_plan`: deterministic for a seed, exact in item counts,
  scenes never cut); the second streams the items into one writer per split
  (:mod:`.fanout`), so memory holds the reader's index, the plan (a name per item) and a
  few items per split, never the dataset.
* Every split gets the source's header (all categories, so ids agree across splits) and the
  scenes whose items it holds, with their scene annotations. The destination is written whole
  or not at all: ``DST/<split>`` for every split (``DST/<split>.json`` for a format written
  as one file), in the target format (the source's by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nucleus_convert import api
from nucleus_convert.errors import FormatError, InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Item, Scene
from nucleus_convert.plugins import get_registry
from nucleus_convert.remote import is_url, local_path
from nucleus_convert.toolkit.destination import atomic_destination
from nucleus_convert.transforms.fanout import fan_out
from nucleus_convert.transforms.labels import annotation_labels
from nucleus_convert.transforms.split_plan import parse_ratios, plan_split, units_of

__all__ = ["SplitResult", "local_only", "split"]


@dataclass(slots=True)
class SplitResult:
    """What :func:`split` wrote: one :class:`~nucleus_convert.api.WriteResult` per split."""

    path: Path
    format: str
    splits: dict[str, api.WriteResult]
    counts: dict[str, int] = field(default_factory=dict)
    """Items per split."""
    losses: LossReport = field(default_factory=LossReport)
    """What the reader skipped (``on_error=skip``)."""


def split(
    src: str | Path,
    dst: str | Path,
    ratios: str | Mapping[str, float],
    *,
    seed: int = 0,
    by: str = "item",
    stratify: bool = False,
    from_: str | None = None,
    to: str | None = None,
    overwrite: bool = False,
    read_options: Mapping[str, Any] | None = None,
    write_options: Mapping[str, Any] | None = None,
) -> SplitResult:
    """Split ``src`` into ``dst/<name>`` by ``ratios`` (``"train=0.8,val=0.2"`` or a
    mapping). ``by``: ``item`` (scenes still move whole), ``scene`` (the same, said
    explicitly) or ``metadata.KEY`` (items sharing that metadata value move together);
    ``stratify`` balances each label across the splits."""
    shares = parse_ratios(ratios)
    ro = dict(read_options or {})
    src_path, dst = local_only(src, "source"), local_only(dst, "destination")
    fmt = api.get_format(from_) if from_ else get_registry().detect(src_path)
    target_format = to or fmt.name
    api.get_format(target_format)  # an unknown target fails before the reads
    plan = _plan(api.read(src_path, fmt.name, **ro), by, shares, seed, stratify)
    dataset = api.read(src_path, fmt.name, **ro)
    scenes = _scenes_by_split(dataset.scenes, plan, list(shares))
    counts = dict.fromkeys(shares, 0)
    for name in plan.values():
        counts[name] += 1

    def route(item: Item) -> str:
        name = plan.get(item.reference_id)
        if name is None:
            raise InputError(
                f"item {item.reference_id!r} was not there on the first read (the source "
                "changed while it was being split)",
                path=src_path,
            )
        return name

    with atomic_destination(dst, overwrite=overwrite) as target:
        target.mkdir()
        writers = {
            name: _writer(dataset, scenes[name], target / name, target_format, write_options)
            for name in shares
        }
        results = fan_out(dataset.items, route, writers)
        results = {name: _placed(r, target, dst) for name, r in results.items()}
    return SplitResult(dst, target_format, results, counts, dataset.losses)


def _placed(result: api.WriteResult, target: Path, dst: Path) -> api.WriteResult:
    """``result`` with its path where it will be once ``target`` is published as ``dst``; a
    split written as one file (COCO) gets the format's first extension (``train.json``)."""
    written = Path(result.path)
    name = written.name
    suffixes = api.get_format(result.format).extensions
    if written.is_file() and not written.suffix and suffixes:
        name += suffixes[0]
        written.rename(target / name)
    return replace(result, path=dst / name)


def local_only(path: str | Path, what: str) -> Path:
    """``path`` as a local path; split and merge take no URLs (yet)."""
    if is_url(path):
        raise FormatError(f"{path}: split and merge take a local {what}, not a URL")
    return local_path(path)


def _writer(
    source: Dataset,
    scenes: list[Scene],
    dst: Path,
    fmt: str,
    options: Mapping[str, Any] | None,
) -> Any:
    def write(items: Iterable[Item]) -> api.WriteResult:
        part = Dataset(source.header, iter(items), scenes, LossReport())
        return api.write(part, dst, fmt, **dict(options or {}))

    return write


def _plan(
    dataset: Dataset, by: str, shares: Mapping[str, float], seed: int, stratify: bool
) -> dict[str, str]:
    """The first read: every item's unit and labels, then the plan."""
    scene_of = {
        ref: scene.reference_id
        for scene in dataset.scenes
        for frame in scene.frames
        for ref in frame.sensors.values()
    }
    key = _group_key(by)

    def rows() -> Iterable[tuple[str, str | None, list[str]]]:
        for item in dataset.items:
            scene = scene_of.get(item.reference_id)
            group = f"scene:{scene}" if scene is not None else key(item)
            labels = [lb for ann in item.annotations for lb in annotation_labels(ann)]
            yield item.reference_id, group, labels

    units = units_of(rows())
    if not units:
        raise InputError("the source has no items to split")
    return plan_split(units, shares, seed=seed, stratify=stratify)


def _group_key(by: str) -> Any:
    """The group of an item outside scenes, by ``by`` (see :func:`split`)."""
    if by in ("item", "scene"):
        return lambda item: None
    name = by.removeprefix("metadata.")
    if not by.startswith("metadata.") or not name:
        raise InputError(f"--by takes item, scene or metadata.KEY, got {by!r}")

    def key(item: Item) -> str | None:
        value = item.metadata.get(name)
        return None if value is None else f"metadata:{value!r}"

    return key


def _scenes_by_split(
    scenes: list[Scene], plan: Mapping[str, str], names: list[str]
) -> dict[str, list[Scene]]:
    """Each scene goes where its items went (all to one split, by construction); a scene
    none of whose items streamed goes to the first split."""
    out: dict[str, list[Scene]] = {name: [] for name in names}
    for scene in scenes:
        refs = [ref for frame in scene.frames for ref in frame.sensors.values()]
        name = next((plan[r] for r in refs if r in plan), names[0])
        out[name].append(scene)
    return out
