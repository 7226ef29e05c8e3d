"""The re-timing method (tools/time_lessons.py, docs/lesson_timing.md) on a small notebook, and the course's stated
times held to it."""
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import time_lessons  # noqa: E402


def lesson(prose_words: int = 300) -> dict:
    nb = nbformat.v4.new_notebook()
    launch = nbformat.v4.new_markdown_cell("[![Binder](https://x/badge.svg)](https://mybinder.org/v2/gh/x) opens it")
    launch.metadata["tags"] = ["launch-link"]
    check = nbformat.v4.new_code_cell("assert ok")
    check.metadata["tags"] = ["check"]
    nb.cells = [
        launch,
        nbformat.v4.new_markdown_cell(" ".join(["word"] * (prose_words - 2)) + " [a link](https://example.com/long)"),
        nbformat.v4.new_code_cell("view = W.ThresholdWidget(y, scores)\nview"),
        nbformat.v4.new_code_cell("%matplotlib inline\nknowledge_check(5, 'before')"),
        nbformat.v4.new_code_cell("print(len(x))"),
        check,
    ]
    return nb


def test_the_method_on_a_small_lesson():
    t = time_lessons.notebook_time(lesson(300), run_s=120)
    assert t["words"] == 300  # the launch cell and the link's address are not read
    assert (t["reading_min"], t["run_min"]) == (300 / time_lessons.READING_WPM, 2.0)
    assert t["code_cells"] == 3 and t["widgets"] == 2 and t["exercises"] == 0  # the hidden check cell is not read
    minutes = 2.0 + 2.0 + 3 * time_lessons.CODE_CELL_MIN + 2 * time_lessons.WIDGET_MIN
    assert t["minutes"] == round(minutes, 1) and t["total"] == time_lessons.rounded(minutes)


def test_an_exercise_notebook_counts_its_exercises_not_its_cells():
    t = time_lessons.notebook_time(lesson(150), run_s=0, exercises=4)
    assert t["code_cells"] == 0
    assert t["minutes"] == round(1 + 2 * time_lessons.WIDGET_MIN + 4 * time_lessons.EXERCISE_MIN, 1)


@pytest.mark.parametrize("minutes, total", [(0.2, 5), (7.4, 5), (7.5, 10), (12.49, 10), (46.0, 45), (86.6, 85)])
def test_totals_round_to_five_minutes(minutes, total):
    assert time_lessons.rounded(minutes) == total


def test_every_course_widget_counts_as_one():
    makers = time_lessons.widget_makers()
    assert {"ThresholdWidget", "RAGPlayground", "knowledge_check", "interact"} <= makers
    assert "CourseWidget" not in makers and "threshold_view" not in makers  # a plain function is not a widget


def test_check_names_each_place_that_disagrees(tmp_path):
    for folder in ("notebooks", "solutions", "exercises", "docs/facilitator"):
        (tmp_path / folder).mkdir(parents=True)
    nb = lesson()
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(
        "**Time:** about 40 minutes (25 for this lesson, 15 for the exercises in `exercises/week09_exercises.ipynb`)."))
    nbformat.write(nb, tmp_path / "notebooks" / "week09_probe.ipynb")
    ex = nbformat.v4.new_notebook()
    ex.cells = [nbformat.v4.new_markdown_cell("**Time:** about 15 minutes.")]
    nbformat.write(ex, tmp_path / "solutions" / "week09_exercises.ipynb")
    nbformat.write(ex, tmp_path / "exercises" / "week09_exercises.ipynb")
    (tmp_path / "docs/facilitator/week09.md").write_text(
        "**Time:** about 40 minutes (25 for this lesson, 15 for the exercises in `exercises/week09_exercises.ipynb`).")
    row = {"week": "09", "lesson": tmp_path / "notebooks" / "week09_probe.ipynb",
           "lesson_time": {"total": 25}, "exercise_time": {"total": 15}}
    assert time_lessons.disagreements([row], tmp_path) == []
    row["exercise_time"] = {"total": 20}
    problems = time_lessons.disagreements([row], tmp_path)
    assert len(problems) == 4  # the lesson's first cell, both exercise notebooks and the facilitator page
    assert "about 45 minutes (25 for this lesson, 20 for the exercises)" in problems[0]


def test_every_stated_time_agrees_with_the_method():
    problems = time_lessons.disagreements(time_lessons.timings())
    assert not problems, "run: python tools/time_lessons.py --check\n" + "\n".join(problems)
