"""Transforms between readers and writers: label mapping and filtering (:mod:`.labels`, with
the map files of :mod:`.label_files`), and, imported from their modules (they use the API,
which uses this package), ``split`` (:mod:`.split`, :mod:`.split_plan`, :mod:`.fanout`) and
``merge`` (:mod:`.merge`)."""

from nucleus_convert.transforms.label_files import load_label_map
from nucleus_convert.transforms.labels import LabelMap, relabel

__all__ = ["LabelMap", "load_label_map", "relabel"]
