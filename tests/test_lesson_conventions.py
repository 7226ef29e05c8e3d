"""Lessons keep test scaffolding out of the learner's sight.

The course convention: an nbval check is a separate code cell tagged ``check``, hidden
(``jupyter.source_hidden``) and starting with ``# Course check (hidden from learners)``.
No visible lesson cell contains an ``assert``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("week*.ipynb"))
FIRST_LINE = "# Course check (hidden from learners)"


def _has_assert(source: str) -> bool:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:  # fall back to text if a cell uses syntax ast cannot read
        return any(line.lstrip().startswith("assert") for line in lines)
    return any(isinstance(node, ast.Assert) for node in ast.walk(tree))


def _is_check(cell) -> bool:
    return "check" in cell.metadata.get("tags", [])


def test_lessons_are_found():
    assert len(LESSONS) >= 4, "expected the weekly lesson notebooks under notebooks/"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_visible_cell_asserts(path):
    nb = nbformat.read(path, as_version=4)
    offenders = [i for i, cell in enumerate(nb.cells)
                 if cell.cell_type == "code" and not _is_check(cell) and _has_assert(cell.source)]
    assert not offenders, f"{path.name}: cells {offenders} show an assert to learners; move it to a hidden check cell"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_check_cells_follow_the_convention(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        hidden = cell.metadata.get("jupyter", {}).get("source_hidden") is True
        marked = cell.source.startswith(FIRST_LINE)
        if not (_is_check(cell) or hidden or marked):
            continue
        where = f"{path.name} cell {i}"
        assert cell.cell_type == "code", f"{where}: a check must be a code cell"
        assert _is_check(cell), f"{where}: a hidden check cell needs the 'check' tag"
        assert hidden, f"{where}: a check cell needs metadata jupyter.source_hidden = true"
        assert marked, f"{where}: a check cell starts with {FIRST_LINE!r}"
        assert i > 0 and nb.cells[i - 1].cell_type == "code", f"{where}: a check follows the code cell it checks"


def test_the_rule_can_fail():
    bad = nbformat.v4.new_code_cell("x = 1\nassert x == 1")
    assert _has_assert(bad.source)
    assert not _has_assert("print('assert nothing')")
