"""The conformance kit for format plugins, and the official client as the payload judge.

A plugin author calls :func:`check_format` from their own tests::

    from nucleus_convert.testing import check_format

    def test_my_format_conforms(tmp_path):
        check_format("myformat", ["tests/data/sample"], workdir=tmp_path)

or uses the pytest fixtures this package installs (entry point group ``pytest11``):
``nucleus_conformance``, ``nucleus_judge`` and ``nucleus_fresh_plugins``. See
``docs/writing-plugins.md`` for the checks and what each demands.
"""

from __future__ import annotations

from nucleus_convert.testing.conformance import (
    CHECKS,
    Check,
    ConformanceReport,
    check_format,
    record_counts,
)
from nucleus_convert.testing.judge import ConformanceError, judge_nucleus_bundle, payload_lines
from nucleus_convert.testing.kitchen_sink import KITCHEN_SINK_SIZE, kitchen_sink_dataset

__all__ = [
    "CHECKS",
    "KITCHEN_SINK_SIZE",
    "Check",
    "ConformanceError",
    "ConformanceReport",
    "check_format",
    "judge_nucleus_bundle",
    "kitchen_sink_dataset",
    "payload_lines",
    "record_counts",
    "reload_plugins",
]


def reload_plugins() -> None:
    """Forget the loaded plugins so the next lookup reads the entry points again.

    Call it after installing or removing a distribution, or after changing one of the
    ``NUCLEUS_CONVERT_*_PLUGINS`` variables, within one process.
    """
    from nucleus_convert.plugins import reset

    reset()
