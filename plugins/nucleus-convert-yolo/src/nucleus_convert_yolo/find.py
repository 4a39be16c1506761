"""Finding a YOLO dataset: detection (cheap, never raises) and the layout of a path.

What each layout is: :mod:`.layout`.
"""

from __future__ import annotations

import re
from pathlib import Path

from nucleus_convert import InputError
from nucleus_convert_yolo.darknet import darknet_layout, folder_layout
from nucleus_convert_yolo.layout import Layout
from nucleus_convert_yolo.ultralytics import ultralytics_layout

__all__ = ["CLASS_FILES", "YAML_NAMES", "detect", "find_layout"]

YAML_NAMES = ("data.yaml", "data.yml", "dataset.yaml", "dataset.yml")
CLASS_FILES = ("classes.txt", "obj.names")
_HEAD = 65536
_YAML_NAMES_KEY = re.compile(rb"^(names|nc)\s*:", re.MULTILINE)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_HEAD)
    except OSError:
        return b""


def _yaml_has_names(path: Path) -> bool:
    return bool(_YAML_NAMES_KEY.search(_head(path)))


def _is_darknet_data(path: Path) -> bool:
    head = _head(path)
    return b"=" in head and (b"names" in head or b"classes" in head)


def _dir_config(path: Path) -> tuple[str, Path] | None:
    """The layout kind and config file of a dataset folder, without raising."""
    for name in YAML_NAMES:
        p = path / name
        if p.is_file() and _yaml_has_names(p):
            return "ultralytics", p
    yamls = [
        p
        for p in sorted(path.iterdir())
        if p.suffix.lower() in (".yaml", ".yml") and p.is_file() and _yaml_has_names(p)
    ]
    if len(yamls) == 1:
        return "ultralytics", yamls[0]
    if yamls:
        return "ultralytics", path  # ambiguous: find_layout says so
    if (path / "obj.data").is_file():
        return "darknet", path / "obj.data"
    datas = [p for p in sorted(path.glob("*.data")) if p.is_file() and _is_darknet_data(p)]
    if len(datas) == 1:
        return "darknet", datas[0]
    for name in CLASS_FILES:
        if (path / name).is_file():
            return "folder", path / name
    return None


def detect(path: Path) -> bool:
    """True for a dataset yaml with ``names``, an ``obj.data``, a classes file, or a folder
    holding one of them (and not a Nucleus bundle or a VOC tree). Cheap; never raises."""
    try:
        if path.is_file():
            suffix = path.suffix.lower()
            if suffix in (".yaml", ".yml"):
                return _yaml_has_names(path)
            if suffix == ".data":
                return _is_darknet_data(path)
            return path.name.lower() in CLASS_FILES
        if not path.is_dir():
            return False
        if (path / "items.jsonl").exists() or (path / "annotations.jsonl").exists():
            return False  # a Nucleus bundle
        if any((path / d).is_dir() for d in ("Annotations", "ImageSets", "JPEGImages")):
            return False  # a VOC tree
        return _dir_config(path) is not None
    except OSError:
        return False


def find_layout(src: Path) -> Layout:
    """The layout of the dataset at ``src`` (a folder, a yaml, an obj.data or a classes file)."""
    src = src.absolute()
    if src.is_file():
        suffix = src.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return ultralytics_layout(src)
        if suffix == ".data":
            return darknet_layout(src)
        if src.name.lower() in CLASS_FILES:
            return folder_layout(src)
        raise InputError(
            "not a YOLO dataset: expected a data.yaml, an obj.data, a classes.txt or a folder",
            path=src,
        )
    if not src.is_dir():
        raise InputError("no such file or directory", path=src)
    found = _dir_config(src)
    if found is None:
        raise InputError(
            "not a YOLO dataset: no data.yaml (with names), obj.data, classes.txt or obj.names",
            path=src,
        )
    kind, config = found
    if config.is_dir():
        yamls = ", ".join(
            p.name for p in sorted(src.iterdir()) if p.suffix.lower() in (".yaml", ".yml")
        )
        raise InputError(f"holds several dataset YAML files ({yamls}); name one", path=src)
    if kind == "ultralytics":
        return ultralytics_layout(config)
    if kind == "darknet":
        return darknet_layout(config)
    return folder_layout(config)
