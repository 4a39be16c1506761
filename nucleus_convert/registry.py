"""Format records and the registry that looks them up by name or detects them from a path."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nucleus_convert.errors import FormatError, PluginError
from nucleus_convert.model import ANNOTATION_KINDS

if TYPE_CHECKING:
    from nucleus_convert.loss import LossReport
    from nucleus_convert.model import Dataset, Header, Scene

__all__ = [
    "Format",
    "FormatRegistry",
    "Option",
    "PartitionedWrite",
    "Reader",
    "Registrar",
    "WriteSummary",
    "Writer",
]


@dataclass(slots=True)
class WriteSummary:
    """What a writer produced: counts by record type and the files it wrote (relative)."""

    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add another summary's counts (a partition's, when parts are merged)."""
        for what, n in counts.items():
            self.add(what, n)

    def describe(self) -> str:
        if not self.counts:
            return "nothing"
        return ", ".join(f"{n} {what}" for what, n in self.counts.items())


Reader = Callable[[Path, Mapping[str, Any]], "Dataset"]
"""``read(src, options) -> Dataset``; ``options`` holds only names the format declared."""

Writer = Callable[["Dataset", Path, Mapping[str, Any], "LossReport"], WriteSummary]
"""``write(dataset, dst, options, report) -> WriteSummary``.

``dst`` does not exist yet: the writer creates it (a file or a directory, its choice). The
caller writes into a temporary sibling and renames it into place, so a writer that raises
leaves nothing behind. Whatever the format cannot carry goes into ``report``.
"""


@dataclass(frozen=True, slots=True)
class PartitionedWrite:
    """How a writer runs in partitions of the items, in worker processes
    (:mod:`nucleus_convert.execution.partitions`), with output byte-identical to one process.

    ``write_part(dataset, dst, options, report) -> state`` writes one partition's items into
    ``dst`` (a new folder) as the writer would, records its losses in ``report``, and returns a
    picklable ``state``: what only the merge can reconcile (names taken, ids seen, counts). It
    must not raise on what only the end of the whole stream decides (an error of the first
    part is the conversion's error): that is the merge's work.

    ``merge(states, part_dirs, dst, header, scenes, options, report) -> WriteSummary | None``
    creates the output at ``dst`` (a file or a folder, as the writer does) from the parts, in
    partition order, once ``report``
    holds every part's losses and ``header`` every category the reader added; it returns
    ``None`` when the parts interact in a way one process would have seen (a file name or an
    id in two parts, conflicting metadata types): the caller then removes ``dst`` and runs
    the writer in one process, so errors and output are those of one process.
    """

    write_part: Callable[[Dataset, Path, Mapping[str, Any], LossReport], Any]
    merge: Callable[
        [list[Any], list[Path], Path, Header, list[Scene], Mapping[str, Any], LossReport],
        WriteSummary | None,
    ]
    scenes: bool = False
    """The merge writes the dataset's scenes (each part gets the scenes, to know which of its
    items they hold, and writes none); without it a dataset with scenes runs in one process."""


@dataclass(frozen=True, slots=True)
class Option:
    """A named reader or writer option, settable from the CLI with ``-r``/``-w KEY=VALUE``.

    ``type`` parses every value given (CLI strings and Python values alike) and raises
    ``ValueError`` to refuse one: ``str``, ``int``, or :func:`nucleus_convert.options.flag` and
    :func:`nucleus_convert.options.choice` for yes/no and one-of options. Defaults are not
    parsed.
    """

    name: str
    help: str
    type: Callable[[str], Any] = str
    default: Any = None


@dataclass(frozen=True, slots=True)
class Format:
    """A format as a plugin declares it.

    ``kinds`` lists the annotation kinds (keys of :data:`~nucleus_convert.model.ANNOTATION_KINDS`)
    the format can carry both ways; ``roundtrip`` treats loss of any other kind as expected.
    ``detect(path)`` answers whether ``path`` looks like this format; it must be cheap and must
    not raise.
    """

    name: str
    description: str
    extensions: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    detect: Callable[[Path], bool] | None = None
    read: Reader | None = None
    write: Writer | None = None
    read_options: tuple[Option, ...] = ()
    write_options: tuple[Option, ...] = ()
    plugin: str = ""
    partitions: PartitionedWrite | None = None
    """Set when the writer can run in partitions (``convert --workers N``); others run in
    one process."""

    def validate(self) -> None:
        """Raise ``ValueError`` when the declaration is incomplete or names unknown kinds."""
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"format name {self.name!r} must be letters, digits, '-' or '_'")
        if self.read is None and self.write is None:
            raise ValueError(f"format {self.name!r} can neither read nor write")
        unknown = set(self.kinds) - set(ANNOTATION_KINDS)
        if unknown:
            raise ValueError(f"format {self.name!r} declares unknown kinds {sorted(unknown)}")

    def parse_options(self, raw: Mapping[str, Any], *, for_write: bool) -> dict[str, Any]:
        """Check ``raw`` against the declared options, convert strings, add defaults."""
        declared = {o.name: o for o in (self.write_options if for_write else self.read_options)}
        direction = "write" if for_write else "read"
        out: dict[str, Any] = {}
        for key, value in raw.items():
            opt = declared.get(key)
            if opt is None:
                known = ", ".join(sorted(declared)) or "none"
                raise FormatError(
                    f"format {self.name!r} has no {direction} option {key!r} (it has: {known})"
                )
            try:
                # Python callers pass any value: the parser checks it as it checks CLI strings.
                out[key] = opt.type(value)
            except (TypeError, ValueError) as exc:
                raise FormatError(
                    f"{direction} option {key!r} of format {self.name!r}: {exc}"
                ) from None
        for name, opt in declared.items():
            out.setdefault(name, opt.default)
        return out


class Registrar(Protocol):
    """What a ``register_formats`` hook receives."""

    def add(self, fmt: Format) -> None: ...


class FormatRegistry:
    """All formats the loaded plugins registered, by name."""

    def __init__(self) -> None:
        self._formats: dict[str, Format] = {}

    def registrar(self, plugin: str) -> Registrar:
        """A registrar that stamps ``plugin`` on every format it adds."""
        return _PluginRegistrar(self, plugin)

    def add(self, fmt: Format) -> None:
        try:
            fmt.validate()
        except ValueError as exc:
            raise PluginError(f"plugin {fmt.plugin or '?'!r}: {exc}") from None
        other = self._formats.get(fmt.name)
        if other is not None:
            raise PluginError(
                f"format {fmt.name!r} is registered twice: by plugin {other.plugin!r} and by "
                f"plugin {fmt.plugin!r}; uninstall or disable one of them "
                "(NUCLEUS_CONVERT_DISABLE_PLUGINS=name)"
            )
        self._formats[fmt.name] = fmt

    def get(self, name: str) -> Format:
        try:
            return self._formats[name]
        except KeyError:
            known = ", ".join(sorted(self._formats)) or "none"
            raise FormatError(f"unknown format {name!r} (known formats: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._formats)

    def __iter__(self) -> Iterator[Format]:
        return iter(sorted(self._formats.values(), key=lambda f: f.name))

    def __len__(self) -> int:
        return len(self._formats)

    def detect(self, path: Path) -> Format:
        """The one readable format whose ``detect`` accepts ``path``."""
        if not path.exists():
            raise FormatError(f"{path}: no such file or directory")
        hits = []
        for fmt in self:
            if fmt.read is None or fmt.detect is None:
                continue
            try:
                if fmt.detect(path):
                    hits.append(fmt)
            except Exception as exc:  # a plugin's detect must not take the CLI down
                raise PluginError(
                    f"plugin {fmt.plugin!r}: detect() of format {fmt.name!r} raised "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        if not hits:
            raise FormatError(f"{path}: cannot tell its format; name it with --from")
        if len(hits) > 1:
            names = ", ".join(f.name for f in hits)
            raise FormatError(f"{path}: looks like several formats ({names}); name one with --from")
        return hits[0]


class _PluginRegistrar:
    __slots__ = ("_plugin", "_registry")

    def __init__(self, registry: FormatRegistry, plugin: str) -> None:
        self._registry = registry
        self._plugin = plugin

    def add(self, fmt: Format) -> None:
        if not isinstance(fmt, Format):
            raise PluginError(
                f"plugin {self._plugin!r} passed {type(fmt).__name__} to register.add(); "
                "expected nucleus_convert.Format"
            )
        from dataclasses import replace

        self._registry.add(replace(fmt, plugin=self._plugin))
