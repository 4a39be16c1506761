"""The Ultralytics dataset YAML: every key this plugin reads, checked, each error located.

Keys (Ultralytics' own unless said otherwise; docs.ultralytics.com/datasets/):

* ``path``, ``train``, ``val``, ``test`` and further subset keys: the layout's business
  (:mod:`.ultralytics`).
* ``names``: a list (the class index is the position) or a mapping ``{index: name}`` whose
  indexes are integers ``0..2**31-1``, possibly non-contiguous (``{0: a, 5: b}``). Names are
  distinct text (numbers are taken as text).
* ``nc``: optional; it must equal the number of names or, for a non-contiguous mapping, the
  largest index + 1. Without ``names``, ``nc`` alone gives ``class0 .. class<nc-1>`` (what
  Ultralytics does), at most :data:`MAX_CLASSES` of them.
* ``task``: ``detect``, ``segment``, ``obb`` or ``pose``. Not read by Ultralytics (it takes the
  task from the model); this plugin writes it for OBB and pose datasets so that they read back
  as what they are (:mod:`.tasks`). ``classify`` is refused: a classification dataset is a
  folder per class, not YOLO labels.
* ``kpt_shape``: ``[K, D]``, ``K`` keypoints per object (1..:data:`MAX_KEYPOINTS`) and ``D``
  values per keypoint, 2 (``x y``) or 3 (``x y visibility``): a pose dataset.
* ``flip_idx``: ``K`` keypoint indexes (``0..K-1``), the partner of each keypoint under a
  horizontal flip. Kept and written back.
* ``kpt_names``: keypoint names per class: ``{index: [K names]}`` (Ultralytics' form), a list
  of such lists in class order, or one list of ``K`` names for every class. A class without
  names gets the generated ones, ``kpt_0 .. kpt_<K-1>`` (:func:`generated_names`).
* ``skeleton`` (this plugin's key; Ultralytics has none): 0-based keypoint edges
  ``[[a, b], ...]`` for every class, or ``{index: [[a, b], ...]}``.
* Every other key (``download``, ``channels``, anything) is kept, with ``kpt_shape``,
  ``flip_idx`` and ``task``, in ``header.extra["yolo"]`` and written back by the writer. A value
  that JSON (and so a Nucleus manifest) cannot hold is left out and counted as dropped
  ``(header, extra.<key>)``: an integer beyond 64 bits, a non-finite float, a date, binary
  data, a mapping with non-text keys, nesting deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from nucleus_convert import InputError
from nucleus_convert_yolo.layout import read_text

__all__ = [
    "EXTRA_KEY",
    "MAX_CLASSES",
    "MAX_CLASS_INDEX",
    "MAX_DEPTH",
    "MAX_KEYPOINTS",
    "NOT_EXTRA",
    "TASK_NAMES",
    "DatasetYaml",
    "PoseSpec",
    "extras",
    "generated_names",
    "json_problem",
    "read_dataset_yaml",
]

EXTRA_KEY = "yolo"
"""The ``header.extra`` key holding the YAML keys the model has no place for."""
MAX_CLASSES = 1 << 16
"""The most classes ``nc`` may declare without ``names`` (their names are made in memory)."""
MAX_CLASS_INDEX = (1 << 31) - 1
"""The largest class index a ``names`` mapping may use (a 32-bit signed integer)."""
MAX_KEYPOINTS = 4096
"""The most keypoints ``kpt_shape`` may declare per object."""
MAX_DEPTH = 32
"""The deepest nesting of an extra YAML value that is kept."""
TASK_NAMES = ("detect", "segment", "obb", "pose")
NOT_EXTRA = frozenset(
    {"path", "train", "val", "test", "names", "nc", "kpt_names", "skeleton", "yaml_file"}
)
"""Keys the model carries elsewhere (or, ``yaml_file``, that Ultralytics adds at run time)."""


def generated_names(count: int) -> list[str]:
    """The keypoint names of a class the YAML names none for: ``kpt_0 .. kpt_<count-1>``."""
    return [f"kpt_{i}" for i in range(count)]


@dataclass(slots=True)
class PoseSpec:
    """A pose dataset's keypoints: ``keypoints`` per object, ``dims`` values per keypoint,
    names of every class and the skeleton edges of the classes that have one."""

    keypoints: int
    dims: int
    names: dict[int, list[str]] = field(default_factory=dict)
    skeleton: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass(slots=True)
class DatasetYaml:
    """A dataset YAML's checked contents (see the module docstring)."""

    path: Path
    data: dict[str, Any]
    lines: dict[str, int]
    names: dict[int, str] = field(default_factory=dict)
    task: str | None = None
    pose: PoseSpec | None = None

    def error(self, key: str, message: str) -> InputError:
        """An :class:`InputError` naming the YAML file and the line of ``key``."""
        return InputError(message, path=self.path, line=self.lines.get(key))


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


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, where: str, cfg: DatasetYaml, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise cfg.error(key, f"{where}: a name must be text, got {value!r}")
    return str(value)


def _class_pairs(cfg: DatasetYaml, raw: Any) -> list[tuple[int, Any]]:
    if isinstance(raw, list):
        return list(enumerate(raw))
    if isinstance(raw, dict):
        keys = list(raw)
        if not all(_is_int(k) and 0 <= k <= MAX_CLASS_INDEX for k in keys):
            raise cfg.error(
                "names",
                f"names: the keys must be the class indexes (integers 0..{MAX_CLASS_INDEX}), "
                f"got {sorted(keys, key=str)!r}"[:300],
            )
        return sorted(raw.items())
    raise cfg.error(
        "names", f"names must be a list or a mapping {{index: name}}, got {type(raw).__name__}"
    )


def _names(cfg: DatasetYaml) -> dict[int, str]:
    raw, nc = cfg.data.get("names"), cfg.data.get("nc")
    if raw is None:
        if _is_int(nc) and nc >= 0:
            if nc > MAX_CLASSES:
                raise cfg.error("nc", f"nc must be within 0..{MAX_CLASSES}, got {nc}")
            return {i: f"class{i}" for i in range(nc)}  # Ultralytics' names when only nc is given
        raise InputError("has no 'names' (the class names) and no 'nc'", path=cfg.path)
    names = {i: _text(v, f"names[{i}]", cfg, "names") for i, v in _class_pairs(cfg, raw)}
    if nc is not None and not (
        _is_int(nc) and (nc == len(names) or (names and nc == max(names) + 1))
    ):
        raise cfg.error("nc", f"nc is {nc!r} but names lists {len(names)} classes")
    seen: dict[str, int] = {}
    for index, name in names.items():
        if name in seen:
            raise cfg.error(
                "names",
                f"class {index} has the same name as class {seen[name]} ({name!r}); labels "
                "are matched by name, so class names must differ",
            )
        seen[name] = index
    return names


def _task(cfg: DatasetYaml) -> str | None:
    raw = cfg.data.get("task")
    if raw is None:
        return None
    if raw == "classify":
        raise cfg.error(
            "task", "task: classify is a folder of images per class, not YOLO label files"
        )
    if raw not in TASK_NAMES:
        raise cfg.error("task", f"task must be one of {', '.join(TASK_NAMES)}, got {raw!r}")
    return str(raw)


def _index_list(cfg: DatasetYaml, key: str, value: Any, count: int, length: int) -> list[int]:
    """``value`` as a list of ``length`` integers in ``0..count-1``, else the located error."""
    if (
        not isinstance(value, list)
        or len(value) != length
        or not all(_is_int(v) and 0 <= v < count for v in value)
    ):
        raise cfg.error(
            key, f"{key} must be a list of {length} keypoint indexes 0..{count - 1}, got {value!r}"
        )
    return list(value)


def _per_class(cfg: DatasetYaml, key: str, raw: Any, shared: bool) -> list[tuple[int, Any]]:
    """``(class index, value)`` pairs of a per-class key: a mapping, a list in class order, or
    (``shared``) one value for every class."""
    if isinstance(raw, dict):
        unknown = [k for k in raw if k not in cfg.names]
        if unknown:
            raise cfg.error(key, f"{key}: {unknown[0]!r} is not a class index of names")
        return list(raw.items())
    if isinstance(raw, list):
        if shared:
            return [(c, raw) for c in cfg.names]
        if len(raw) > len(cfg.names):
            raise cfg.error(key, f"{key} lists {len(raw)} classes, names only {len(cfg.names)}")
        return list(zip(sorted(cfg.names), raw, strict=False))
    raise cfg.error(key, f"{key} must be a mapping {{class index: ...}} or a list")


def _kpt_names(cfg: DatasetYaml, count: int) -> dict[int, list[str]]:
    names = {c: generated_names(count) for c in cfg.names}
    raw = cfg.data.get("kpt_names")
    if raw in (None, [], {}):
        return names
    shared = isinstance(raw, list) and all(not isinstance(v, list) for v in raw)
    for c, value in _per_class(cfg, "kpt_names", raw, shared):
        if not isinstance(value, list) or len(value) != count:
            raise cfg.error(
                "kpt_names", f"kpt_names of class {c} must list {count} names, got {value!r}"
            )
        texts = [_text(v, f"kpt_names[{c}][{i}]", cfg, "kpt_names") for i, v in enumerate(value)]
        if len(set(texts)) != count:
            raise cfg.error("kpt_names", f"kpt_names of class {c}: a name appears twice")
        names[c] = texts
    return names


def _edges(cfg: DatasetYaml, c: int, value: Any, count: int) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise cfg.error("skeleton", f"skeleton of class {c} must be a list of [a, b] edges")
    return [
        (edge[0], edge[1]) for edge in (_index_list(cfg, "skeleton", e, count, 2) for e in value)
    ]


def _skeleton(cfg: DatasetYaml, count: int) -> dict[int, list[tuple[int, int]]]:
    raw = cfg.data.get("skeleton")
    if raw is None:
        return {}
    shared = isinstance(raw, list) and all(
        isinstance(e, list) and len(e) == 2 and all(_is_int(v) for v in e) for e in raw
    )
    return {
        c: _edges(cfg, c, value, count) for c, value in _per_class(cfg, "skeleton", raw, shared)
    }


def _pose(cfg: DatasetYaml) -> PoseSpec | None:
    raw = cfg.data.get("kpt_shape")
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(_is_int(v) for v in raw)
        or not 1 <= raw[0] <= MAX_KEYPOINTS
        or raw[1] not in (2, 3)
    ):
        raise cfg.error(
            "kpt_shape",
            f"kpt_shape must be [K, D]: K keypoints (1..{MAX_KEYPOINTS}) and D = 2 (x y) or 3 "
            f"(x y visibility) values per keypoint, got {raw!r}",
        )
    count, dims = raw
    if cfg.data.get("flip_idx") is not None:
        _index_list(cfg, "flip_idx", cfg.data["flip_idx"], count, count)
    return PoseSpec(count, dims, _kpt_names(cfg, count), _skeleton(cfg, count))


def read_dataset_yaml(path: Path) -> DatasetYaml:
    """Load and check a dataset YAML (the subsets are checked by the layout)."""
    data, lines = _load_yaml(path)
    cfg = DatasetYaml(path, data, lines)
    cfg.names = _names(cfg)
    cfg.task = _task(cfg)
    cfg.pose = _pose(cfg)
    if cfg.task == "pose" and cfg.pose is None:
        raise cfg.error("task", "task: pose needs kpt_shape: [K, D] (the keypoints per object)")
    return cfg


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` cannot be kept in ``header.extra`` (JSON, for a Nucleus manifest), or
    ``None`` when it can."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, int):
        return None if -(1 << 63) <= value < (1 << 63) else "an integer beyond 64 bits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "a number that is not finite"
    if isinstance(value, list):
        return next((p for v in value if (p := json_problem(v, depth + 1))), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "a mapping whose keys are not all text"
        return next((p for v in value.values() if (p := json_problem(v, depth + 1))), None)
    return f"a {type(value).__name__} value"


def extras(cfg: DatasetYaml, subsets: set[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The YAML keys kept for ``header.extra["yolo"]`` (every key but :data:`NOT_EXTRA` and
    the ``subsets``), in file order, and ``(key, reason)`` of those left out
    (:func:`json_problem`)."""
    kept: dict[str, Any] = {}
    dropped: list[tuple[str, str]] = []
    for key, value in cfg.data.items():
        if key in NOT_EXTRA or key in subsets:
            continue
        problem = json_problem(value)
        if problem is None:
            kept[key] = value
        else:
            dropped.append((key, problem))
    return kept, dropped
