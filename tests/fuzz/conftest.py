"""The fuzz harness lives at the repository root (``fuzz/``), outside the installed package:
put the root on the import path for these tests (``python -m pytest`` has it already)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
