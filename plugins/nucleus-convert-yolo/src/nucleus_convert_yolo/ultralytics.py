"""The Ultralytics layout: a ``data.yaml`` naming the classes and the subsets' images.

Conventions are those of :mod:`.layout` (Ultralytics section); the YAML's keys are checked by
:mod:`.dataset_yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nucleus_convert import InputError
from nucleus_convert.toolkit import file_name_problem
from nucleus_convert_yolo.dataset_yaml import (
    MAX_CLASSES,
    DatasetYaml,
    extras,
    read_dataset_yaml,
)
from nucleus_convert_yolo.layout import (
    Collector,
    Layout,
    checked_name,
    replace_last,
)

__all__ = ["MAX_CLASSES", "RESERVED_YAML_KEYS", "ultralytics_layout"]

RESERVED_YAML_KEYS = frozenset(
    {
        "path",
        "names",
        "nc",
        "download",
        "kpt_shape",
        "flip_idx",
        "kpt_names",
        "skeleton",
        "task",
        "channels",
        "yaml_file",
    }
)
"""Keys a subset may not be called: the YAML's own keys (the writer renames such a subset)."""


def _subset_values(key: str, value: Any, path: Path, line: int | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(
        f"{key} must be a folder, a .txt list of images, or a list of those; got {value!r}",
        path=path,
        line=line,
    )


def _ultralytics_path(text: str, root: Path) -> Path | None:
    p = Path(text)
    if p.is_absolute():
        return p if p.exists() else None
    if (root / p).exists():
        return root / p
    if text.startswith("../") and (root / text[3:]).exists():
        return root / text[3:]
    return None


def _subsets_found(cfg: DatasetYaml, root: Path) -> bool:
    """True when every ``train``/``val``/``test`` entry of the YAML exists under ``root``."""
    texts = [
        text
        for key in ("train", "val", "test")
        for text in _subset_values(key, cfg.data.get(key), cfg.path, cfg.lines.get(key))
    ]
    return bool(texts) and all(
        file_name_problem(t) is None and _ultralytics_path(t, root) is not None for t in texts
    )


def _root(cfg: DatasetYaml) -> Path:
    """The dataset root: ``path`` (absolute, or relative to the YAML's folder), or the YAML's
    folder when ``path`` is absent, or relative, not a folder, and the subsets are there."""
    root_text = cfg.data.get("path")
    if root_text in (None, ""):
        return cfg.path.parent
    if not isinstance(root_text, str):
        raise cfg.error("path", f"path must be a folder, got {root_text!r}")
    checked_name(root_text, cfg.path, cfg.lines.get("path"), "path")
    absolute = Path(root_text).is_absolute()
    root = Path(root_text) if absolute else cfg.path.parent / root_text
    if root.is_dir():
        return root
    if not absolute and _subsets_found(cfg, cfg.path.parent):
        return cfg.path.parent
    raise cfg.error("path", f"path {root_text!r}: no such folder ({root})")


def _add_subset(cfg: DatasetYaml, layout: Layout, collector: Collector, key: str) -> None:
    root, line = layout.root, cfg.lines.get(key)
    for text in _subset_values(key, cfg.data[key], cfg.path, line):
        checked_name(text, cfg.path, line, key)
        found = _ultralytics_path(text, root)
        if found is None:
            raise cfg.error(key, f"{key}: {text!r} not found (looked in {root})")
        if found.is_dir():
            collector.add_folder(key, found)
            mapped = replace_last(found / "x", "images", "labels")
            layout.label_roots.append(mapped.parent if mapped is not None else found)
        elif found.suffix.lower() == ".txt":
            layout.own_files.add(found)
            collector.add_list(key, found, [found.parent, root])
        else:
            raise cfg.error(
                key, f"{key}: {text!r} is neither a folder of images nor a .txt list of them"
            )


def ultralytics_layout(config: Path) -> Layout:
    """The layout of an Ultralytics dataset YAML (see :mod:`.layout` and
    :mod:`.dataset_yaml`)."""
    cfg = read_dataset_yaml(config)
    root = _root(cfg)
    layout = Layout("ultralytics", config, root, cfg.names, dataset_yaml=cfg, own_files={config})
    collector = Collector()
    data = cfg.data
    keys: list[str] = [k for k in ("train", "val", "test") if k in data]
    keys += [
        k for k in data if k not in keys and k not in RESERVED_YAML_KEYS and _extra(data[k], root)
    ]
    for key in keys:
        _add_subset(cfg, layout, collector, key)
    layout.entries = collector.entries
    layout.extra, layout.dropped_extra = extras(cfg, set(keys))
    return layout


def _extra(value: Any, root: Path) -> bool:
    """True when a non-standard yaml key names subsets: existing folders or .txt lists under
    the dataset root (a guess, so only relative names that stay under it: a key that merely
    holds ``/`` must not make the reader walk the whole file system)."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not texts or not all(
        isinstance(t, str)
        and t
        and file_name_problem(t) is None
        and not Path(t).is_absolute()
        and ".." not in Path(t).parts
        for t in texts
    ):
        return False
    for text in texts:
        found = _ultralytics_path(text, root)
        if found is None or not (found.is_dir() or found.suffix.lower() == ".txt"):
            return False
    return True
