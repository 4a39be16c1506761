"""The Darknet / CVAT "YOLO 1.1" layout (``obj.data``) and the plain ``classes.txt`` folder.

Conventions are those of :mod:`.layout` (Darknet and plain folder sections).
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert import InputError
from nucleus_convert_yolo.layout import (
    Collector,
    Layout,
    checked_name,
    read_text,
    resolve,
    unique_names,
)

__all__ = ["RESERVED_DARKNET_KEYS", "darknet_layout", "folder_layout", "names_file"]

RESERVED_DARKNET_KEYS = frozenset({"classes", "names", "backup", "eval", "results"})


def names_file(path: Path) -> list[str]:
    lines = read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names = []
    for lineno, raw in enumerate(lines, 1):
        name = raw.strip()
        if not name:
            raise InputError("empty class name (one class per line)", path=path, line=lineno)
        names.append(name)
    return unique_names(names, path, None)


def darknet_layout(config: Path) -> Layout:
    base = config.parent
    values: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(read_text(config).splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise InputError(f"expected 'key = value', got {text!r}", path=config, line=lineno)
        values[key.strip().lower()] = (checked_name(value.strip(), config, lineno, key), lineno)
    if "names" not in values:
        raise InputError("has no 'names = <file>' line (the class names)", path=config)
    names_text, names_line = values["names"]
    names_path = resolve(names_text, [base])
    if names_path is None or not names_path.is_file():
        raise InputError(
            f"names file {names_text!r} not found (looked in {base})", path=config, line=names_line
        )
    names = names_file(names_path)
    if "classes" in values:
        classes_text, classes_line = values["classes"]
        if not classes_text.isdigit() or int(classes_text) != len(names):
            raise InputError(
                f"classes = {classes_text} but {names_path.name} lists {len(names)} classes",
                path=config,
                line=classes_line,
            )
    layout = Layout("darknet", config, base, dict(enumerate(names)), own_files={config, names_path})
    collector = Collector()
    for key, (text, lineno) in values.items():
        if key in RESERVED_DARKNET_KEYS or not text:
            continue
        found = resolve(text, [base])
        if found is None or not found.is_file():
            raise InputError(
                f"{key} list {text!r} not found (looked in {base})", path=config, line=lineno
            )
        layout.own_files.add(found)
        collector.add_list(key, found, [base, found.parent])
    layout.entries = collector.entries
    return layout


# ---------------------------------------------------------------------- plain folder


def folder_layout(config: Path) -> Layout:
    root = config.parent
    layout = Layout("folder", config, root, dict(enumerate(names_file(config))), own_files={config})
    collector = Collector()
    images = root / "images"
    if images.is_dir():
        collector.add_folder(None, images)
        layout.label_roots.append(root / "labels")
    else:
        collector.add_folder(None, root)
        layout.label_roots.append(root)
    layout.entries = collector.entries
    return layout
