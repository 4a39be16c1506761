"""The values the reader's and the writer's ``task`` option accept (parsed by
:func:`nucleus_convert.choice`; what each means: :mod:`.tasks`).

The reader's ``on_error`` and the writer's ``images`` options are the toolkit's own
(:func:`nucleus_convert.toolkit.on_error_option`, :data:`nucleus_convert.toolkit.IMAGE_MODES`).
"""

from __future__ import annotations

__all__ = ["TASKS"]

TASKS = ("auto", "detect", "segment", "obb", "pose")
