"""The exceptions nucleus-convert raises on purpose.

Every error about input names where it happened: the file, then the record (a line number, an
annotation id, an XML element) and the field, so that a user can go straight to the culprit.
The CLI prints ``str(error)`` and exits with status 2, without a traceback.
"""

from __future__ import annotations

import reprlib
from pathlib import Path

__all__ = [
    "DatasetConsumedError",
    "DestinationError",
    "FormatError",
    "InputError",
    "NucleusConvertError",
    "OutputError",
    "PluginError",
    "brief",
]


class NucleusConvertError(Exception):
    """Base class: anything the CLI reports as a clean, one-paragraph error."""


class InputError(NucleusConvertError):
    """The input is malformed; says which file, record and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
        parts = [where] if where else []
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(
        self,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> InputError:
        """A copy with the location filled in where this error did not know it."""
        return InputError(
            self.message,
            path=self.path if self.path is not None else path,
            line=self.line if self.line is not None else line,
            record=self.record if self.record is not None else record,
            field=self.field,
        )


class OutputError(NucleusConvertError):
    """The model holds something the target format refuses (for example mixed metadata types)."""


class DestinationError(NucleusConvertError):
    """The destination cannot be written (exists and is not empty, not a directory...)."""


class FormatError(NucleusConvertError):
    """An unknown format name, an undetectable source, or a format that cannot read/write."""


class PluginError(NucleusConvertError):
    """A plugin failed to load or registered something invalid; names the plugin."""


class DatasetConsumedError(NucleusConvertError):
    """A one-shot :class:`~nucleus_convert.model.Dataset` was read again after its items ran
    out; writing it again would silently give an empty output."""


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel = 4
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = _BRIEF.maxset = 8
_BRIEF.maxstring = _BRIEF.maxother = 60
_BRIEF.maxlong = 40


def brief(value: object) -> str:
    """``repr(value)`` for a message: at most 4 levels deep, 8 members a container and 60
    characters a string, so a hostile value (a list nested 1,000 deep, a million numbers)
    gives a short line instead of a ``RecursionError`` or a megabyte of text."""
    return _BRIEF.repr(value)
