"""The writer's annotation tables: ``sample_annotation``, ``instance``, ``category``,
``attribute`` and ``visibility``, and what the header keeps of them.

Cuboids come in with their frame's :class:`~.write_tables.Rig` (the model's frame) and leave
as global boxes (:func:`~.write_tables.box_record`). Tracks become instances: one per scene,
track and label (nuScenes instances are not tracked across scenes and have one category); a
cuboid without a track is an instance of its own. Attributes become the visibility token, the
attribute tokens and the point counts; what reads back otherwise is counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.nuscenes.carries import HANDLED_CUBOID, NO_PLACE
from nucleus_convert.converters.nuscenes.schema import (
    ATTRIBUTES_KEY,
    EXTRA_KEY,
    NUM_LIDAR_KEY,
    NUM_RADAR_KEY,
    STANDARD_VISIBILITY,
    VISIBILITY_KEY,
    cuboid_attributes,
    is_token,
)
from nucleus_convert.converters.nuscenes.write_tables import (
    Rig,
    TokenTable,
    box_record,
    diff_fields,
    link,
    points_in_box,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Cuboid, Header, ImageMedia, Item
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["Annotations"]

_HEADER_HANDLED = frozenset({"categories", "extra"})


def _records(value: Any, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """The records of a table kept in ``Header.extra`` that have a token and string fields."""
    if not isinstance(value, list):
        return []
    return [
        {k: v[k] for k in ("token", *keys)}
        for v in value
        if isinstance(v, dict)
        and is_token(v.get("token"))
        and all(isinstance(v.get(k), str) for k in keys)
    ]


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class Annotations:
    """Collects the annotation tables while items stream; :meth:`dump` writes them."""

    def __init__(self, report: LossReport, ledger: FieldLedger, header: Header) -> None:
        self.report = report
        self.ledger = ledger
        self.header = header
        self.points: dict[str, npt.NDArray[np.float32]] = {}
        """reference id -> the points of a LiDAR item (frame coordinates), for point counts"""
        self.anns = TokenTable("sample_annotation")
        self.instances = TokenTable("instance")
        self.instance_of: dict[tuple[str, str, str], str] = {}
        self.categories = TokenTable("category")
        self.category_of: dict[str, str] = {}
        self.attributes = TokenTable("attribute", merge=True)
        self.visibility = TokenTable("visibility", merge=True)
        extra = header.extra.get(EXTRA_KEY)
        extra = extra if isinstance(extra, dict) else {}
        for rec in _records(extra.get("attribute"), ("name", "description")):
            self.attributes.add(
                rec["token"], {"name": rec["name"], "description": rec["description"]}, rec["name"]
            )
        levels = _records(extra.get("visibility"), ("level", "description")) or list(
            STANDARD_VISIBILITY
        )
        for rec in levels:
            self.visibility.add(
                rec["token"],
                {"description": rec["description"], "level": rec["level"]},
                rec["level"],
            )
        self._header_categories()

    # -- header

    def _header_categories(self) -> None:
        for cat in self.header.categories:
            where = f"category {cat.name!r}"
            record: dict[str, Any] = {"name": cat.name, "description": ""}
            attributes = dict(cat.attributes)
            if isinstance(attributes.get("description"), str):
                record["description"] = attributes.pop("description")
            if _count(attributes.get("index")) is not None:
                record["index"] = attributes.pop("index")
            token = self.categories.add(cat.source_id, record, cat.name)
            self.category_of.setdefault(cat.name, token)
            if cat.source_id is not None and token != cat.source_id:
                self.report.approximated(
                    "header",
                    "categories.source_id",
                    reason="a category's id is its token: ids that are not tokens are replaced",
                    example=where,
                )
            if cat.supercategory:
                self.report.dropped(
                    "header", "categories.supercategory", reason=NO_PLACE, example=where
                )
            if attributes:
                self.report.dropped(
                    "header", "categories.attributes", reason=NO_PLACE, example=where
                )
        self.ledger.fields(self.header, "header", handled=_HEADER_HANDLED)
        for key in sorted(k for k in self.header.extra if k != EXTRA_KEY):
            self.report.dropped("header", f"extra.{key}", reason=NO_PLACE, example="header")

    def _category(self, label: str) -> str:
        token = self.category_of.get(label)
        if token is None:
            token = self.categories.add(None, {"name": label, "description": ""}, label)
            self.category_of[label] = token
        return token

    # -- cuboids

    def take(self, item: Item, sample: str, scene: str, rig: Rig, first: bool, where: str) -> None:
        """Take the annotations of one item of a frame written as ``sample``."""
        if isinstance(item.media, ImageMedia):
            for ann in item.annotations:
                self.ledger.drop(
                    ann, where, "nuScenes keeps 3D boxes on samples, no labels on images"
                )
            return
        for n, ann in enumerate(item.annotations):
            if not self.ledger.take(ann, where):
                continue
            assert isinstance(ann, Cuboid), "CARRIES declares cuboids only"
            if ann.prediction:
                self.report.dropped(
                    "cuboid", reason="predictions: the tables hold ground truth only", example=where
                )
                continue
            if not first:
                self.report.approximated(
                    "cuboid",
                    reason="boxes belong to the sample: they read back on its reference LiDAR",
                    example=where,
                )
            self.ledger.fields(ann, where, handled=HANDLED_CUBOID)
            self._cuboid(ann, item, sample, scene, rig, f"{item.reference_id}/{n}", where)

    def _cuboid(
        self, ann: Cuboid, item: Item, sample: str, scene: str, rig: Rig, stable: str, where: str
    ) -> None:
        box = box_record(ann, rig)
        for name in box.inexact:
            self.report.approximated(
                "cuboid",
                name,
                reason="reads back within rounding through the model's frame",
                example=where,
            )
        token = self.anns.add(ann.id, {}, stable)
        if ann.id is not None and token != ann.id:
            self.report.approximated(
                "cuboid", "id", reason="an id is a token: replaced", example=where
            )
        track = ann.track_id or f"#{token}"
        key = (scene, track, ann.label)
        instance = self.instance_of.get(key)
        if instance is None:
            instance = self.instances.add(
                ann.track_id,
                {"category_token": self._category(ann.label), "annotations": []},
                "/".join(key),
            )
            self.instance_of[key] = instance
        if instance != ann.track_id:
            self.report.approximated(
                "cuboid",
                "track_id",
                reason="a track is an instance per scene and label; a lone cuboid gets its own",
                example=where,
            )
        self.instances.records[instance]["annotations"].append(token)
        attributes = self._attributes(ann, item, where)
        record = self.anns.records[token]
        record.update({"sample_token": sample, "instance_token": instance, **attributes})
        record.update({"translation": box.translation, "size": box.size, "rotation": box.rotation})
        record["num_lidar_pts"] = record.pop("num_lidar_pts")
        record["num_radar_pts"] = record.pop("num_radar_pts")

    def _attributes(self, ann: Cuboid, item: Item, where: str) -> dict[str, Any]:
        given = ann.attributes
        level = given.get(VISIBILITY_KEY) if isinstance(given.get(VISIBILITY_KEY), str) else None
        names = given.get(ATTRIBUTES_KEY)
        names = (
            list(names)
            if isinstance(names, list) and all(isinstance(v, str) for v in names)
            else []
        )
        lidar = _count(given.get(NUM_LIDAR_KEY))
        if lidar is None:
            lidar = points_in_box(self.points.get(item.reference_id), ann)
        radar = _count(given.get(NUM_RADAR_KEY))
        predicted = cuboid_attributes(level, names, lidar, 0 if radar is None else radar)
        diff_fields(self.report, "cuboid", "attributes", given, predicted, where)
        visibility = ""
        if level is not None:
            visibility = next(
                (t for t, r in self.visibility.records.items() if r["level"] == level), None
            ) or self.visibility.add(None, {"description": "", "level": level}, level)
        tokens = [
            next((t for t, r in self.attributes.records.items() if r["name"] == name), None)
            or self.attributes.add(None, {"name": name, "description": ""}, name)
            for name in names
        ]
        return {
            "visibility_token": visibility,
            "attribute_tokens": tokens,
            "num_lidar_pts": lidar,
            "num_radar_pts": predicted[NUM_RADAR_KEY],
        }

    # -- tables

    def dump(self, folder: Path) -> None:
        """Link each instance's annotations and write the five tables."""
        for token, inst in self.instances.records.items():
            chain = [self.anns.records[t] for t in inst.pop("annotations")]
            link(chain)
            inst.update(
                {
                    "nbr_annotations": len(chain),
                    "first_annotation_token": chain[0]["token"],
                    "last_annotation_token": chain[-1]["token"],
                }
            )
            assert inst["token"] == token
        for table in (self.categories, self.attributes, self.visibility, self.instances, self.anns):
            table.dump(folder)
