"""The facilitator kit and the notebooks agree on time: every lesson's header line, its exercise notebook and its
kit page (docs/facilitator/weekNN.md) state the same minutes, and each kit's plan fills a 90-minute session.

The one machine-readable header line (first markdown cell of each lesson, and the kit page):
    **Time:** about T minutes (L for this lesson, E for the exercises in `exercises/weekNN_exercises.ipynb`).
with T = L + E; the exercise notebook's header says **Time:** about E minutes.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pm_lens  # noqa: E402

KIT = ROOT / "docs" / "facilitator"
SESSION = 90
TIME = re.compile(r"^\*\*Time:\*\* about (\d+) minutes \((\d+) for this lesson, (\d+) for the exercises in "
                  r"`exercises/(week\d\d)_exercises\.ipynb`\)", re.MULTILINE)
EX_TIME = re.compile(r"\*\*Time:\*\* about (\d+) minutes")
ROW = re.compile(r"^\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|\s*(lesson|exercises|wrap-up)\s*\|", re.MULTILINE)
LESSONS = sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb"))


def header(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
             and "launch-link" not in c.get("metadata", {}).get("tags", [])]
    return texts[0] if texts else ""


def timing(text: str, where: str) -> tuple[int, int, int, str]:
    m = TIME.search(text)
    assert m, (f"{where}: no machine-readable time line. Write: **Time:** about T minutes (L for this lesson, "
               f"E for the exercises in `exercises/weekNN_exercises.ipynb`).")
    total, lesson, exercises = map(int, m.groups()[:3])
    assert total == lesson + exercises, f"{where}: {total} != {lesson} + {exercises}"
    return total, lesson, exercises, m.group(4)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_notebook_exercises_and_kit_state_the_same_time(lesson):
    week = lesson.name[:6]
    total, minutes, exercises, named = timing(header(lesson), lesson.name)
    assert named == week, f"{lesson.name}: the time line names {named}_exercises"
    ex = ROOT / "solutions" / f"{week}_exercises.ipynb"
    m = EX_TIME.search(header(ex))
    assert m and int(m.group(1)) == exercises, f"{ex.name} says {m and m.group(0)!r}, the lesson says {exercises} minutes"
    page = KIT / f"{week}.md"
    assert page.exists(), f"write docs/facilitator/{week}.md (copy the structure of week01.md)"
    assert timing(page.read_text(), page.name)[:3] == (total, minutes, exercises), f"{page.name} disagrees with {lesson.name}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_kit_plan_fills_a_90_minute_session(lesson):
    page = KIT / f"{lesson.name[:6]}.md"
    text = page.read_text()
    _, minutes, exercises, _ = timing(text, page.name)
    rows = [(int(a), int(b), part) for a, b, part in ROW.findall(text)]
    assert rows and rows[0][0] == 0 and rows[-1][1] == SESSION, f"{page.name}: the plan must run from 0 to {SESSION}"
    assert all(r[0] == prev[1] for prev, r in zip(rows, rows[1:])), f"{page.name}: gaps or overlaps in the plan"
    spent = {part: sum(b - a for a, b, p in rows if p == part) for part in ("lesson", "exercises", "wrap-up")}
    in_session = min(exercises, SESSION - minutes)
    assert spent["lesson"] == minutes, f"{page.name}: plan gives the lesson {spent['lesson']} min, the header {minutes}"
    assert spent["exercises"] == in_session, f"{page.name}: plan gives exercises {spent['exercises']} min, expected {in_session}"
    if in_session < exercises:
        assert "homework" in text, f"{page.name}: say which exercise minutes become homework"
    for section in ("## Objectives", "## Discussion questions", "## Common learner mistakes", "## Exercises"):
        assert section in text, f"{page.name}: missing '{section}'"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_kit_lists_the_lessons_pm_lens_boxes_in_order(lesson):
    boxes = pm_lens.notebook_boxes(lesson)
    assert len(boxes) >= 2, f"{lesson.name}: give the lesson PM lens boxes (a paragraph starting **PM lens.**) at its key points"
    page = KIT / f"{lesson.name[:6]}.md"
    listed = pm_lens.page_boxes(page.read_text())
    assert listed is not None, f"{page.name}: no '{pm_lens.SECTION}' section; run python tools/pm_lens.py"
    assert listed == boxes, (f"{page.name} lists {listed}, but {lesson.name} has the boxes {boxes}; "
                             "run python tools/pm_lens.py")


def test_pm_lens_sections_parse_and_render_round_trip():
    boxes = ["A model predicts.", 'Sources are "cheap" trust.']
    text = "# Week\n\n" + pm_lens.render(boxes) + "## Discussion questions\n"
    assert pm_lens.page_boxes(text) == boxes and pm_lens.page_boxes("# no section") is None
    assert pm_lens.first_sentence("**PM lens.** Ship small. Then measure.") == "Ship small."


def test_guide_covers_rooms_and_network_loss():
    text = (ROOT / "docs" / "facilitator_guide.md").read_text()
    for needle in ("Binder", "JupyterHub", "laptop", "network", "docs/facilitator/week01.md", "solutions/"):
        assert needle in text, needle
