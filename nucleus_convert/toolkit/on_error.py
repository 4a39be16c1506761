"""The on-error policy: what a reader does with a malformed source record.

Every reader that can go on past a bad record declares the reader option ``on_error`` with
:func:`on_error_option` (so every format spells it, parses it and documents it the same way),
and builds an :class:`OnError` from its parsed options and the :class:`LossReport` it returns
as ``dataset.losses``:

* ``raise`` (the default): the first malformed record stops the read with its located
  :class:`~nucleus_convert.errors.InputError` (file, line or record, field);
* ``skip``: the record is left out, its error message is kept in ``report.skipped`` and it is
  counted as dropped under the kind the reader names (:meth:`LossReport.skip`), and the read
  goes on.

Three ways to use it, by where the reader finds the error:

* around a whole record, :meth:`OnError.each` (a generator that builds each record and leaves
  out the ones whose build raises :class:`InputError`), or :meth:`OnError.handle` in the
  reader's own ``except InputError`` clause;
* deep inside a record, :meth:`OnError.reject`: it raises the error under ``raise``; under
  ``skip`` it records it and raises :class:`SkipRecord`, which the record loop catches to go
  on with the next record (errors about the whole file are raised as they are, never through
  ``reject``).

Convention: a skipped record is counted once, under the model kind the reader would have made
of it (``item``, ``box``...) or ``record`` when it could not tell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.options import choice
from nucleus_convert.registry import Option

__all__ = ["ON_ERROR_MODES", "OnError", "SkipRecord", "on_error_option"]

ON_ERROR_MODES = ("raise", "skip")
"""The values of the ``on_error`` reader option, the default first."""

_PARSE = choice(*ON_ERROR_MODES)

T = TypeVar("T")
R = TypeVar("R")


def on_error_option(what: str = "malformed records") -> Option:
    """The ``on_error`` reader option, declared the same way by every reader.

    ``what`` says what is skipped, for the help text: ``raise (default) or skip <what>``.
    """
    return Option("on_error", f"raise (default) or skip {what}", _PARSE, "raise")


class SkipRecord(Exception):
    """Raised by :meth:`OnError.reject` under ``skip`` after the error was recorded: the
    reader's record loop catches it and goes on with the next record."""


@dataclass(frozen=True, slots=True)
class OnError:
    """A reader's on-error policy: ``skip`` or not, and the report skipped records go to."""

    skip: bool
    report: LossReport

    @classmethod
    def from_options(cls, options: Mapping[str, Any], report: LossReport) -> OnError:
        """The policy the reader's parsed options ask for (``on_error`` absent: ``raise``).

        ``options`` come parsed by the declared option, so ``on_error`` is one of
        :data:`ON_ERROR_MODES`; a value given some other way is checked here too.
        """
        value = options.get("on_error")
        mode = "raise" if value is None else _PARSE(value)
        return cls(mode == "skip", report)

    def handle(self, error: InputError, kind: str = "record") -> None:
        """Raise ``error`` under ``raise``; under ``skip`` record it under ``kind`` and return,
        so the reader leaves the record out and goes on."""
        if not self.skip:
            raise error
        self.report.skip(error, kind)

    def reject(self, error: InputError, kind: str = "record") -> NoReturn:
        """Give up the record being read: raise ``error`` under ``raise``; under ``skip``
        record it under ``kind`` and raise :class:`SkipRecord` for the record loop."""
        self.handle(error, kind)
        raise SkipRecord(str(error))

    def each(
        self, records: Iterable[T], build: Callable[[T], R], kind: str = "record"
    ) -> Iterator[R]:
        """``build(record)`` for each record, in order, leaving out (under ``skip``) every
        record whose build raises :class:`InputError` or :class:`SkipRecord`."""
        for record in records:
            try:
                yield build(record)
            except SkipRecord:
                continue
            except InputError as error:
                self.handle(error, kind)
