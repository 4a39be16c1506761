"""The Ultralytics layout: a ``data.yaml`` naming the classes and the subsets' images.

Conventions are those of :mod:`.layout` (Ultralytics section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nucleus_convert import InputError
from nucleus_convert.toolkit import file_name_problem
from nucleus_convert_yolo.layout import (
    Collector,
    Layout,
    checked_name,
    read_text,
    replace_last,
    unique_names,
)

__all__ = ["MAX_CLASSES", "RESERVED_YAML_KEYS", "ultralytics_layout"]

MAX_CLASSES = 1 << 16
"""The most classes ``nc`` may declare without ``names`` (their names are made in memory)."""

RESERVED_YAML_KEYS = frozenset(
    {"path", "names", "nc", "download", "kpt_shape", "flip_idx", "channels", "yaml_file"}
)


def _yaml_lines(text: str) -> dict[str, int]:
    """1-based line of each top-level key of a YAML mapping (for error messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.Node)}


def _load_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    text = read_text(path)
    try:
        data = yaml.safe_load(text)
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, nesting too deep
        message = " ".join(str(exc).split())[:200]
        raise InputError(f"not a usable YAML value: {message}", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            f"not valid YAML: {problem}", path=path, line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            "a dataset YAML must be a mapping with 'names' and 'train'/'val'/'test' keys",
            path=path,
        )
    return {str(k): v for k, v in data.items()}, _yaml_lines(text)


def _class_name(value: Any, where: str, path: Path, line: int | None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where}: a class name must be text, got {value!r}", path=path, line=line)
    return str(value)


def _yaml_names(data: dict[str, Any], path: Path, lines: dict[str, int]) -> list[str]:
    line = lines.get("names")
    raw = data.get("names")
    nc = data.get("nc")
    if raw is None:
        if isinstance(nc, int) and not isinstance(nc, bool) and nc >= 0:
            if nc > MAX_CLASSES:
                raise InputError(
                    f"nc must be within 0..{MAX_CLASSES}, got {nc}", path=path, line=lines.get("nc")
                )
            return [f"class{i}" for i in range(nc)]  # Ultralytics' names when only nc is given
        raise InputError("has no 'names' (the class names) and no 'nc'", path=path)
    if isinstance(raw, list):
        names = [_class_name(v, f"names[{i}]", path, line) for i, v in enumerate(raw)]
    elif isinstance(raw, dict):
        keys = list(raw)
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in keys) or sorted(
            keys
        ) != list(range(len(keys))):
            raise InputError(
                f"names: the keys must be the class indexes 0..{len(keys) - 1}, got "
                f"{sorted(keys, key=str)!r}",
                path=path,
                line=line,
            )
        names = [_class_name(raw[i], f"names[{i}]", path, line) for i in range(len(keys))]
    else:
        raise InputError(
            f"names must be a list or a mapping {{index: name}}, got {type(raw).__name__}",
            path=path,
            line=line,
        )
    if nc is not None and (isinstance(nc, bool) or nc != len(names)):
        raise InputError(
            f"nc is {nc!r} but names lists {len(names)} classes", path=path, line=lines.get("nc")
        )
    return unique_names(names, path, line)


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


def ultralytics_layout(config: Path) -> Layout:
    data, lines = _load_yaml(config)
    if "kpt_shape" in data:
        raise InputError(
            f"a pose dataset (kpt_shape: {data['kpt_shape']!r}): keypoint labels are not "
            "supported by the yolo format (boxes and polygons only), and reading their lines as "
            "polygons would be wrong",
            path=config,
            line=lines.get("kpt_shape"),
        )
    names = _yaml_names(data, config, lines)
    root_text = data.get("path")
    root = config.parent
    if root_text not in (None, ""):
        if not isinstance(root_text, str):
            raise InputError(
                f"path must be a folder, got {root_text!r}", path=config, line=lines.get("path")
            )
        checked_name(root_text, config, lines.get("path"), "path")
        root = (config.parent / root_text) if not Path(root_text).is_absolute() else Path(root_text)
        if not root.is_dir():
            raise InputError(
                f"path {root_text!r}: no such folder ({root})", path=config, line=lines.get("path")
            )
    layout = Layout("ultralytics", config, root, names, own_files={config})
    collector = Collector()
    keys: list[str] = [k for k in ("train", "val", "test") if k in data]
    keys += [
        k for k in data if k not in keys and k not in RESERVED_YAML_KEYS and _extra(data[k], root)
    ]
    for key in keys:
        for text in _subset_values(key, data[key], config, lines.get(key)):
            checked_name(text, config, lines.get(key), key)
            found = _ultralytics_path(text, root)
            if found is None:
                raise InputError(
                    f"{key}: {text!r} not found (looked in {root})",
                    path=config,
                    line=lines.get(key),
                )
            if found.is_dir():
                collector.add_folder(key, found)
                mapped = replace_last(found / "x", "images", "labels")
                layout.label_roots.append(mapped.parent if mapped is not None else found)
            elif found.suffix.lower() == ".txt":
                layout.own_files.add(found)
                collector.add_list(key, found, [found.parent, root])
            else:
                raise InputError(
                    f"{key}: {text!r} is neither a folder of images nor a .txt list of them",
                    path=config,
                    line=lines.get(key),
                )
    layout.entries = collector.entries
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
