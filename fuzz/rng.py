"""The source of choices every mutator draws from.

Mutators take an :class:`Rng`: ``random.Random`` in the runner (fast, reproducible from one
integer seed) or :class:`HypothesisRng`, which draws the same choices from a Hypothesis
``data`` object so that Hypothesis can search and shrink them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

__all__ = ["HypothesisRng", "Rng", "pick"]


class Rng(Protocol):
    """The part of ``random.Random`` the mutators use."""

    def randrange(self, start: int, stop: int | None = ..., step: int = ...) -> int: ...

    def random(self) -> float: ...


def pick(rng: Rng, options: Sequence[T]) -> T:
    """One element of a non-empty sequence."""
    return options[rng.randrange(len(options))]


class HypothesisRng:
    """An :class:`Rng` whose choices are drawn from ``hypothesis.strategies.data()``."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """Like ``random.Random.randrange`` with ``step`` 1 (the only step used)."""
        from hypothesis import strategies as st

        lo, hi = (0, start) if stop is None else (start, stop)
        value: int = self._data.draw(st.integers(lo, hi - 1))
        return value

    def random(self) -> float:
        """A float in [0, 1)."""
        from hypothesis import strategies as st

        value: float = self._data.draw(st.floats(0, 1, exclude_max=True))
        return value
