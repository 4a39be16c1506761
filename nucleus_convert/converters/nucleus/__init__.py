"""The ``nucleus`` format: a directory of payloads for the official ``scale-nucleus`` client.

Layout written (files with nothing to say are not created)::

    items.jsonl               DatasetItem payloads of items outside scenes (image_url)
    annotations.jsonl         ground-truth annotation payloads, one per line
    predictions.jsonl         prediction payloads (annotations with a score or marked prediction)
    scenes.jsonl              LidarScene payloads; their frames embed the scene items
    scene_annotations.jsonl   SceneCategoryAnnotation payloads
    scene_predictions.jsonl   SceneCategoryPrediction payloads
    not_uploadable_annotations.jsonl, not_uploadable_predictions.jsonl
                              payloads Nucleus will not take (a cuboid on an image item, a
                              second segmentation of an item; each reported not_uploadable):
                              kept for reading back, apart from the files to upload
    masks/*.png               segmentation index masks (8-bit, one per segmentation)
    pointclouds/*.json        point clouds as {"points": [{"x", "y", "z", "i"}]}
    manifest.json             source, counts, categories, taxonomies, skeletons, metadata schema
                              and the loss report; "parts" lists a file's numbered parts
                              (<stem>-00002.jsonl...) when it was split below max_file_bytes

Scene categories have files of their own because their payload type is ``category`` like an
item category's: ``Annotation.from_json`` would read them back as item categories. Local
files are referenced relative to the bundle (``masks/x.png``); the writer option ``base_url``
prefixes them instead (for example ``s3://bucket/bundle/``) once you have copied the bundle
there. A group id (several polygons of one source object) travels as the annotation metadata
key ``group_id`` (writer/reader option ``group_key``).

Point clouds are written as ``pointclouds/<reference id>.json`` from the item's points or its
file (Nucleus JSON, ``.bin``, ``.pcd`` or ``.ply``); the writer option ``workers`` serialises
them in a process pool (0, the default: every core, started at the second point cloud; 1: in
this process; see :mod:`.pointclouds`). The bundle is byte-identical either way.

The reader takes that layout, a single ``.json``/``.jsonl`` file of payloads (items, scenes,
annotations, predictions mixed) and the client's export rows (``{"item": ..., "annotations":
{"box": [...], ...}}`` or the API's raw rows with the types at the top level).

Modules: :mod:`.read` and :mod:`.read_single` (reading), :mod:`.write` (the bundle writer),
:mod:`.payloads` (payload <-> model, dispatching to one codec per annotation kind in
:mod:`nucleus_convert.kinds`), :mod:`.items`, :mod:`.camera`, :mod:`.scenes`,
:mod:`.manifest`, :mod:`.metadata` (Nucleus metadata rules), :mod:`.pointclouds`,
:mod:`.carries` (what the bundle keeps of each model record), :mod:`.schema` (shared names).

Loading a bundle into the official client::

    import json, nucleus
    items = [nucleus.DatasetItem.from_json(json.loads(l)) for l in open("items.jsonl")]
    annotations = [nucleus.Annotation.from_json(json.loads(l)) for l in open("annotations.jsonl")]
"""

from __future__ import annotations

from nucleus_convert.converters.nucleus.ids import DUPLICATE_ID_MODES
from nucleus_convert.converters.nucleus.partitioned import NUCLEUS_PARTITIONS
from nucleus_convert.converters.nucleus.parts import DEFAULT_MAX_FILE_BYTES, parse_max_file_bytes
from nucleus_convert.converters.nucleus.pointclouds import parse_workers
from nucleus_convert.converters.nucleus.read import detect, read_nucleus
from nucleus_convert.converters.nucleus.schema import KINDS
from nucleus_convert.converters.nucleus.write import write_nucleus
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice, flag
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.instance_masks import MASK_MODES

__all__ = ["FORMAT", "read_nucleus", "register_formats", "write_nucleus"]

_GROUP_KEY = Option(
    "group_key", "metadata key that carries an annotation's group id", str, "group_id"
)

FORMAT = Format(
    name="nucleus",
    description="Scale Nucleus payloads (bundle directory, JSON/JSONL payloads, export rows)",
    extensions=(".jsonl", ".json"),
    kinds=KINDS,
    detect=detect,
    read=read_nucleus,
    write=write_nucleus,
    partitions=NUCLEUS_PARTITIONS,
    read_options=(
        _GROUP_KEY,
        Option(
            "allow_outside",
            "let local mask and point cloud locations point outside the bundle (absolute "
            "paths, ../; image locations may anyway); devices, FIFOs and sockets are refused "
            "all the same",
            flag,
            False,
        ),
    ),
    write_options=(
        Option(
            "base_url",
            "prefix for mask and point cloud locations, e.g. s3://bucket/bundle/",
            str,
            "",
        ),
        _GROUP_KEY,
        Option(
            "duplicate_ids",
            "an annotation id repeated on one item (among annotations or among predictions): "
            "error (default; the client refuses the batch) or rename (a -<n> suffix, reported)",
            choice(*DUPLICATE_ID_MODES),
            "error",
        ),
        Option(
            "max_file_bytes",
            "split each JSONL file into numbered parts (<stem>-00002.jsonl...) below this size; "
            "default half the client's request cap (MAX_PAYLOAD_SIZE)",
            parse_max_file_bytes,
            DEFAULT_MAX_FILE_BYTES,
        ),
        Option(
            "masks",
            "instance masks become one segmentation per item (segmentation) or traced "
            "polygons (polygons)",
            choice(*MASK_MODES),
            "segmentation",
        ),
        Option(
            "workers",
            "processes that serialise point cloud JSON files: 0 (default) every core, started "
            "at the second point cloud; 1 in this process",
            parse_workers,
            0,
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``nucleus`` format."""
    register.add(FORMAT)
