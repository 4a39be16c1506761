"""Transforms between a reader and a writer: label mapping and filtering
(:mod:`.labels`, with the map files of :mod:`.label_files`)."""

from nucleus_convert.transforms.label_files import load_label_map
from nucleus_convert.transforms.labels import LabelMap, relabel

__all__ = ["LabelMap", "load_label_map", "relabel"]
