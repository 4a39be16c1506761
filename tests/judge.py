"""The official scale-nucleus client as the judge of payload lines (shared by tests).

The judge itself is public, in :mod:`nucleus_convert.testing.judge`, so that plugin authors
use the same one; this module keeps the short names the tests import.
"""

from __future__ import annotations

import pytest

nucleus = pytest.importorskip("nucleus", reason="scale-nucleus (the judge) is a test dependency")

from nucleus_convert.testing.judge import judge_nucleus_bundle as judge_bundle  # noqa: E402
from nucleus_convert.testing.judge import payload_lines as lines  # noqa: E402

__all__ = ["judge_bundle", "lines", "nucleus"]
