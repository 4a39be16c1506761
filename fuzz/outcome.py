"""Outcomes of one input and what makes two crashes the same class.

``status`` is ``ok``, ``error`` (the project's own error, one line), or a crash: ``multiline``
(the project's error spread over several lines), ``exception`` (any other exception type),
``memory`` (``MemoryError`` under the cap), ``signal`` (the child died: segfault, abort, or an
unexpected exit) or ``hang`` (killed at the time limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CRASH_STATUSES", "Outcome"]

CRASH_STATUSES = frozenset({"multiline", "exception", "memory", "signal", "hang"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one input ended (as the fork server reported it)."""

    status: str
    type: str = ""
    where: str = ""
    message: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        """From the fork server's outcome line."""
        return cls(
            status=str(data.get("status", "?")),
            type=str(data.get("type", "")),
            where=str(data.get("where", "")),
            message=str(data.get("message", "")),
        )

    @property
    def is_crash(self) -> bool:
        """Anything but ``ok`` and a one-line project error."""
        return self.status in CRASH_STATUSES

    @property
    def crash_class(self) -> tuple[str, str]:
        """(exception type or signal, where): the identity of a crash class. A hang is
        ``("hang", where it was stopped)``; a multi-line project error is one class per type."""
        if self.status == "hang":
            return ("hang", self.where)
        if self.status == "multiline":
            return (f"multiline {self.type}", "")
        return (self.type, self.where)

    def describe(self) -> str:
        """One line for reports."""
        kind, where = self.crash_class
        text = f"{self.status}: {kind}" + (f" at {where}" if where else "")
        if self.message:
            text += f": {self.message.splitlines()[0][:160]}"
        return text
