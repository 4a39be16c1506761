"""Finding a YOLO dataset's files: the config, the class names, the images and their labels.

Three layouts are understood (conventions as their tools define them):

* **Ultralytics** (``kind="ultralytics"``): a ``data.yaml`` with an optional ``path`` (the
  root: relative to the yaml's folder; absent = the yaml's folder), ``train``/``val``/``test``
  (each an image folder relative to the root, a ``.txt`` list of image paths, or a list of
  those; a relative entry starting with ``../`` that does not exist is retried without it, as
  Ultralytics does for Roboflow exports), ``names`` (a list, or a dict ``{index: name}`` over
  ``0..N-1``) and an optional ``nc`` that must agree. Other keys whose value is an existing
  folder or ``.txt`` list are further subsets (what the writer emits for a subset not named
  ``train``/``val``/``test``). The labels of ``.../images/X/a.jpg`` are at
  ``.../labels/X/a.txt``: the *last* ``images`` component of the path becomes ``labels``
  (beside the image when the path has none). ``kpt_shape`` (a pose dataset) is refused.
* **Darknet / CVAT "YOLO 1.1"** (``kind="darknet"``): an ``obj.data`` of ``key = value`` lines
  (``classes``, ``names``, and one key per subset naming a list file: ``train``, ``valid``...);
  paths are relative to the obj.data's folder, and a path that does not exist there is retried
  without its first component (CVAT writes ``data/train.txt`` for darknet's own ``data/``
  folder). The names file holds one class per line; list files one image path per line. Labels
  are beside the images (same stem, ``.txt``), else found as in the Ultralytics layout.
* **A plain folder** (``kind="folder"``): ``classes.txt`` (or ``obj.names``) with the images
  and their label files side by side, or under ``images/`` and ``labels/``. It has no subsets.

An image's reference id is its path relative to its subset's image folder (for a list file:
the deepest folder holding every listed image), without suffix, with ``/`` separators. The
same id from a second image (another subset, another folder) becomes ``<subset>/<id>``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nucleus_convert import InputError
from nucleus_convert_yolo.images import is_image

__all__ = [
    "CLASS_FILES",
    "YAML_NAMES",
    "Entry",
    "Layout",
    "detect",
    "find_layout",
    "label_candidates",
]

YAML_NAMES = ("data.yaml", "data.yml", "dataset.yaml", "dataset.yml")
CLASS_FILES = ("classes.txt", "obj.names")
RESERVED_YAML_KEYS = frozenset(
    {"path", "names", "nc", "download", "kpt_shape", "flip_idx", "channels", "yaml_file"}
)
RESERVED_DARKNET_KEYS = frozenset({"classes", "names", "backup", "eval", "results"})
NOT_LABELS = frozenset(
    {"classes.txt", "train.txt", "val.txt", "valid.txt", "test.txt", "readme.txt", "license.txt"}
)
"""``.txt`` files that are never label files, even without an image of the same stem."""
_HEAD = 65536
_YAML_NAMES_KEY = re.compile(rb"^(names|nc)\s*:", re.MULTILINE)


@dataclass(slots=True)
class Entry:
    """One image of the dataset, in reading order."""

    image: Path
    ref: str
    subset: str | None
    listed_in: Path | None = None
    line: int | None = None
    renamed_from: str | None = None


@dataclass(slots=True)
class Layout:
    """What :func:`find_layout` found."""

    kind: str
    config: Path
    root: Path
    names: list[str]
    entries: list[Entry] = field(default_factory=list)
    label_roots: list[Path] = field(default_factory=list)
    """Folders holding label files (searched recursively for labels without an image)."""
    own_files: set[Path] = field(default_factory=set)
    """The config, names and list files: ``.txt`` files that are not labels."""


# ---------------------------------------------------------------------- detection


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


# ---------------------------------------------------------------------- helpers


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


def _resolve(text: str, bases: Iterable[Path]) -> Path | None:
    """``text`` as an existing path: absolute, or relative to one of ``bases``, or relative
    to one of them without its first component (CVAT's ``data/`` prefix); else None."""
    p = Path(text)
    if p.is_absolute():
        return p if p.exists() else None
    bases = list(bases)
    for base in bases:
        if (base / p).exists():
            return base / p
    if len(p.parts) > 1:
        rest = Path(*p.parts[1:])
        for base in bases:
            if (base / rest).exists():
                return base / rest
    return None


def _replace_last(path: Path, old: str, new: str) -> Path | None:
    parts = path.parts
    for i in range(len(parts) - 2, -1, -1):  # never the file name itself
        if parts[i] == old:
            return Path(*parts[:i], new, *parts[i + 1 :])
    return None


def label_candidates(image: Path, kind: str) -> list[Path]:
    """Where the label file of ``image`` may be, first choice first."""
    beside = image.with_suffix(".txt")
    mapped = _replace_last(image, "images", "labels")
    mapped = mapped.with_suffix(".txt") if mapped is not None else None
    if kind == "darknet":
        return [beside] if mapped is None else [beside, mapped]
    return [beside] if mapped is None else [mapped]


def _images_under(folder: Path) -> list[Path]:
    found = [
        Path(dirpath) / name
        for dirpath, _, files in os.walk(folder)
        for name in files
        if is_image(Path(name))
    ]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _ref(image: Path, base: Path) -> str:
    return image.relative_to(base).with_suffix("").as_posix()


def _read_list(list_file: Path, bases: list[Path]) -> list[tuple[Path, int, bool]]:
    """``(image, line, exists)`` for each line of an image list file."""
    out: list[tuple[Path, int, bool]] = []
    for lineno, raw in enumerate(_read_text(list_file).splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("./"):
            text = text[2:]
        found = _resolve(text, bases)
        if found is None:
            p = Path(text)
            out.append((p if p.is_absolute() else bases[0] / p, lineno, False))
        else:
            out.append((found, lineno, True))
    return out


class _Collector:
    """Builds the entries, giving a clashing reference id its subset as a prefix."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.refs: set[str] = set()
        self.seen: set[tuple[str | None, Path]] = set()

    def add(self, entry: Entry) -> None:
        key = (entry.subset, entry.image)
        if key in self.seen:  # listed twice in one subset: one item
            return
        self.seen.add(key)
        if entry.ref in self.refs:
            original = entry.ref
            prefix = entry.subset or "dup"
            ref = f"{prefix}/{original}"
            n = 2
            while ref in self.refs:
                ref = f"{prefix}{n}/{original}"
                n += 1
            entry.ref, entry.renamed_from = ref, original
        self.refs.add(entry.ref)
        self.entries.append(entry)

    def add_list(self, subset: str | None, list_file: Path, bases: list[Path]) -> None:
        rows = _read_list(list_file, bases)
        if not rows:
            return
        folders = [str(p.parent) for p, _, _ in rows]
        common = Path(os.path.commonpath(folders))
        for image, line, _ in rows:
            self.add(Entry(image, _ref(image, common), subset, list_file, line))

    def add_folder(self, subset: str | None, folder: Path) -> None:
        for image in _images_under(folder):
            self.add(Entry(image, _ref(image, folder), subset))


# ---------------------------------------------------------------------- Ultralytics


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
    text = _read_text(path)
    try:
        data = yaml.safe_load(text)
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
    return _unique(names, path, line)


def _unique(names: list[str], path: Path, line: int | None) -> list[str]:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"class {i} has the same name as class {seen[name]} ({name!r}); labels are "
                "matched by name, so class names must differ",
                path=path,
                line=line,
            )
        seen[name] = i
    return names


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


def _ultralytics(config: Path) -> Layout:
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
        root = (config.parent / root_text) if not Path(root_text).is_absolute() else Path(root_text)
        if not root.is_dir():
            raise InputError(
                f"path {root_text!r}: no such folder ({root})", path=config, line=lines.get("path")
            )
    layout = Layout("ultralytics", config, root, names, own_files={config})
    collector = _Collector()
    keys: list[str] = [k for k in ("train", "val", "test") if k in data]
    keys += [
        k for k in data if k not in keys and k not in RESERVED_YAML_KEYS and _extra(data[k], root)
    ]
    for key in keys:
        for text in _subset_values(key, data[key], config, lines.get(key)):
            found = _ultralytics_path(text, root)
            if found is None:
                raise InputError(
                    f"{key}: {text!r} not found (looked in {root})",
                    path=config,
                    line=lines.get(key),
                )
            if found.is_dir():
                collector.add_folder(key, found)
                mapped = _replace_last(found / "x", "images", "labels")
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
    """True when a non-standard yaml key names subsets: existing folders or .txt lists."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not texts or not all(isinstance(t, str) and t for t in texts):
        return False
    for text in texts:
        found = _ultralytics_path(text, root)
        if found is None or not (found.is_dir() or found.suffix.lower() == ".txt"):
            return False
    return True


# ---------------------------------------------------------------------- Darknet / CVAT


def _names_file(path: Path) -> list[str]:
    lines = _read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names = []
    for lineno, raw in enumerate(lines, 1):
        name = raw.strip()
        if not name:
            raise InputError("empty class name (one class per line)", path=path, line=lineno)
        names.append(name)
    return _unique(names, path, None)


def _darknet(config: Path) -> Layout:
    base = config.parent
    values: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(_read_text(config).splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        key, eq, value = text.partition("=")
        if not eq or not key.strip():
            raise InputError(f"expected 'key = value', got {text!r}", path=config, line=lineno)
        values[key.strip().lower()] = (value.strip(), lineno)
    if "names" not in values:
        raise InputError("has no 'names = <file>' line (the class names)", path=config)
    names_text, names_line = values["names"]
    names_path = _resolve(names_text, [base])
    if names_path is None or not names_path.is_file():
        raise InputError(
            f"names file {names_text!r} not found (looked in {base})", path=config, line=names_line
        )
    names = _names_file(names_path)
    if "classes" in values:
        classes_text, classes_line = values["classes"]
        if not classes_text.isdigit() or int(classes_text) != len(names):
            raise InputError(
                f"classes = {classes_text} but {names_path.name} lists {len(names)} classes",
                path=config,
                line=classes_line,
            )
    layout = Layout("darknet", config, base, names, own_files={config, names_path})
    collector = _Collector()
    for key, (text, lineno) in values.items():
        if key in RESERVED_DARKNET_KEYS or not text:
            continue
        found = _resolve(text, [base])
        if found is None or not found.is_file():
            raise InputError(
                f"{key} list {text!r} not found (looked in {base})", path=config, line=lineno
            )
        layout.own_files.add(found)
        collector.add_list(key, found, [base, found.parent])
    layout.entries = collector.entries
    return layout


# ---------------------------------------------------------------------- plain folder


def _folder(config: Path) -> Layout:
    root = config.parent
    layout = Layout("folder", config, root, _names_file(config), own_files={config})
    collector = _Collector()
    images = root / "images"
    if images.is_dir():
        collector.add_folder(None, images)
        layout.label_roots.append(root / "labels")
    else:
        collector.add_folder(None, root)
        layout.label_roots.append(root)
    layout.entries = collector.entries
    return layout


# ---------------------------------------------------------------------- entry point


def find_layout(src: Path) -> Layout:
    """The layout of the dataset at ``src`` (a folder, a yaml, an obj.data or a classes file)."""
    src = src.absolute()
    if src.is_file():
        suffix = src.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _ultralytics(src)
        if suffix == ".data":
            return _darknet(src)
        if src.name.lower() in CLASS_FILES:
            return _folder(src)
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
        return _ultralytics(config)
    if kind == "darknet":
        return _darknet(config)
    return _folder(config)


def orphan_labels(layout: Layout, used: set[Path]) -> list[Path]:
    """Label files under the layout's label folders (and beside its images) that belong to no
    image: no image file of the same stem beside them or at the ``images`` path."""
    folders = set(layout.label_roots)
    for entry in layout.entries:
        for candidate in label_candidates(entry.image, layout.kind):
            folders.add(candidate.parent)
    labels: set[Path] = set()
    for folder in folders:
        if folder in layout.label_roots and folder.is_dir():
            labels.update(p for p in folder.rglob("*.txt") if p.is_file())
        elif folder.is_dir():
            labels.update(p for p in folder.glob("*.txt") if p.is_file())
    stems: dict[Path, set[str]] = {}

    def image_stems(folder: Path) -> set[str]:
        if folder not in stems:
            try:
                stems[folder] = {p.stem for p in folder.iterdir() if is_image(p)}
            except OSError:
                stems[folder] = set()
        return stems[folder]

    orphans = []
    for label in sorted(labels):
        if label in used or label in layout.own_files or label.name.lower() in NOT_LABELS:
            continue
        if label.stem in image_stems(label.parent):
            continue
        mapped = _replace_last(label, "labels", "images")
        if mapped is not None and label.stem in image_stems(mapped.parent):
            continue
        orphans.append(label)
    return orphans
