"""The size and complexity limits of the style guide hold for the whole package.

No module over 600 lines, no function over 80 lines, and no block that radon grades D or worse
(cyclomatic complexity above 20) anywhere in ``nucleus_convert/`` or the example plugin.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from paths import ROOT
from radon.complexity import cc_rank, cc_visit

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
WORST_RANK = "C"

SOURCES = sorted(
    [
        *(ROOT / "nucleus_convert").rglob("*.py"),
        *(ROOT / "plugins" / "nucleus-convert-yolo" / "src").rglob("*.py"),
    ]
)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_module_is_at_most_600_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_functions_are_at_most_80_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_name(path)}: {', '.join(long)}"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_block_is_graded_d_or_worse_by_radon(path: Path) -> None:
    blocks = cc_visit(path.read_text(encoding="utf-8"))
    bad = [
        f"{b.fullname} {cc_rank(b.complexity)} ({b.complexity})"
        for b in blocks
        if cc_rank(b.complexity) > WORST_RANK
    ]
    assert not bad, f"{_name(path)}: {', '.join(bad)}"


def test_the_limits_see_every_module() -> None:
    assert len(SOURCES) > 60
    assert any(p.name == "model.py" for p in SOURCES)
