"""Knowledge checks: the question files, their validator, scoring, feedback, and the learner's local results."""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ai_pm_lab import knowledge
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.testing.honest_numbers import figures

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("week0*_*.ipynb"))


def good_question(**change):
    q = {"id": "w1-sample", "kind": "predict", "prompt": "What happens?", "choices": ["This", "That"],
         "answer": "This", "why": "Because."}
    q.update(change)
    return {k: v for k, v in q.items() if v is not None}


def test_every_week_has_about_five_valid_questions_with_unique_ids():
    weeks = knowledge.all_questions()
    assert set(weeks) == set(knowledge.WEEKS)
    for week, questions in weeks.items():
        assert 4 <= len(questions) <= 6, week
        assert all(q.answer in q.choices and q.why and q.id.startswith(f"w{week}-") for q in questions)
        assert {q.kind for q in questions} >= {"predict", "decision"} or week == 8, week


def test_questions_state_no_figure_a_lesson_does_not_print():
    # The only figures in any question are week 5's 50% and 95%: its sample-size cell prints both.
    found = {(w, f) for w, qs in knowledge.all_questions().items() for q in qs
             for text in (q.prompt, q.why, q.measured, *q.choices) for f in figures(text)}
    assert found == {(5, "50%"), (5, "95%")}


def test_the_answer_is_not_always_shown_first_and_the_order_is_stable():
    questions = [q for qs in knowledge.all_questions().values() for q in qs]
    positions = [knowledge.shown_choices(q).index(q.answer) for q in questions]
    assert len(set(positions)) >= 3 and positions.count(0) < len(questions) / 2
    assert all(knowledge.shown_choices(q) == knowledge.shown_choices(q) for q in questions)


@pytest.mark.parametrize("bad, phrase", [
    (good_question(answer=None), "no answer key"),
    (good_question(answer="Other"), "not among its choices"),
    (good_question(choices=["Only one"], answer="Only one"), "at least two"),
    (good_question(choices=["Same", "Same"], answer="Same"), "same choice twice"),
    (good_question(why=""), "no why"),
    (good_question(kind="guess"), "kind must be"),
    (good_question(id="Sample 1"), "id must look like"),
    (good_question(colour="red"), "unknown field"),
    (good_question(measured="Rate {hit_rate:.2f}"), ":rate or :money"),
])
def test_the_validator_names_each_problem(bad, phrase):
    with pytest.raises(InputError, match=phrase):
        knowledge.parse_questions({"week": 1, "questions": [bad]}, "test.toml")


def test_the_validator_rejects_a_duplicate_id_and_an_empty_week():
    with pytest.raises(InputError, match="duplicate id"):
        knowledge.parse_questions({"week": 1, "questions": [good_question(), good_question()]})
    with pytest.raises(InputError, match="no questions"):
        knowledge.parse_questions({"week": 1, "questions": []})
    with pytest.raises(InputTypeError):
        knowledge.parse_questions(["not", "a", "table"])
    assert len(knowledge.parse_questions({"week": 1, "questions": [good_question()]})) == 1


def test_a_week_without_its_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(knowledge, "data_path", lambda name: tmp_path / name)
    with pytest.raises(InputError, match="week 3 has no knowledge check"):
        knowledge.load_questions(3)
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "lesson03.toml").write_text('week = 4\n[[questions]]\nid = "w3-x"\n', encoding="utf-8")
    with pytest.raises(InputError, match="set week = 3"):
        knowledge.load_questions(3)
    with pytest.raises(InputError, match="from 1 to 8"):
        knowledge.load_questions(9)


def test_every_lesson_runs_both_checks_of_its_week():
    assert len(LESSONS) == len(knowledge.WEEKS)
    for path in LESSONS:
        week = int(re.search(r"week(\d\d)", path.name).group(1))
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        assert knowledge.lesson_phases(code, week) == {"before", "after"}, path.name
        before = next(i for i, c in enumerate(cells) if 'phase="before"' in "".join(c["source"]))
        after = next(i for i, c in enumerate(cells) if 'phase="after"' in "".join(c["source"]))
        assert before < 8 and after > len(cells) - 4, (path.name, before, after)


def test_a_lesson_without_one_of_the_checks_is_caught():
    assert knowledge.lesson_phases(['knowledge_check(week=2, phase="before")'], 2) == {"before"}
    assert knowledge.lesson_phases(['knowledge_check(week=2, phase="after", measured=x)'], 3) == set()
    assert knowledge.lesson_phases(["this is not python ("], 1) == set()


def test_scoring_counts_right_wrong_and_skipped_answers():
    qs = knowledge.load_questions(1)
    answers = {qs[0].id: qs[0].answer, qs[1].id: next(c for c in qs[1].choices if c != qs[1].answer)}
    scored = knowledge.score_answers(qs, answers)
    assert (scored["correct"], scored["answered"], scored["total"]) == (1, 2, len(qs))
    assert scored["score"] == pytest.approx(1 / len(qs))
    assert [r["correct"] for r in scored["rows"]][:3] == [True, False, None]
    with pytest.raises(InputError, match="no question with id"):
        knowledge.score_answers(qs, {"w9-nope": "x"})
    with pytest.raises(InputError, match="not one of its choices"):
        knowledge.score_answers(qs, {qs[0].id: "something else"})
    with pytest.raises(InputTypeError):
        knowledge.score_answers(qs, [qs[0].answer])


def test_feedback_quotes_what_the_lesson_measured_and_falls_back_to_the_why():
    q = knowledge.parse_questions({"questions": [good_question(
        measured="Here {hit_rate:rate} of {n} were right, F1 {model F1}.")]})[0]
    assert q.measured_names == ("hit_rate", "n", "model F1")
    full = knowledge.feedback(q, {"hit_rate": 0.25, "n": 1200, "model F1": 0.4567})
    assert full.startswith(q.why) and "25%" in full and "1,200" in full and "0.46" in full
    assert knowledge.feedback(q, {"hit_rate": 0.25}) == q.why           # a figure missing
    assert knowledge.feedback(q, {"hit_rate": math.nan, "n": 3, "model F1": 1.0}) == q.why
    assert knowledge.feedback(q, None) == q.why


def test_results_are_kept_locally_latest_attempt_wins(tmp_path):
    qs = knowledge.load_questions(2)
    none_right = knowledge.score_answers(qs, {q.id: next(c for c in q.choices if c != q.answer) for q in qs})
    all_right = knowledge.score_answers(qs, {q.id: q.answer for q in qs})
    assert knowledge.progress(tmp_path) == []
    knowledge.record_result(2, "before", all_right, tmp_path)
    knowledge.record_result(2, "before", none_right, tmp_path)       # a second try replaces the first
    rows = knowledge.progress(tmp_path)
    assert rows == [{"week": 2, "before": {"correct": 0, "total": len(qs), "score": 0.0}, "after": None, "gain": None}]
    path = knowledge.record_result(2, "after", all_right, tmp_path)
    assert path.parent == tmp_path and len(knowledge.read_results(tmp_path)) == 3
    (row,) = knowledge.progress(tmp_path)
    assert row["gain"] == pytest.approx(1.0)
    assert "before 0 of 5" in knowledge.progress_line([row], 2) and "+5" in knowledge.progress_line([row], 2)
    with path.open("a", encoding="utf-8") as f:
        f.write("not json\n")
    assert len(knowledge.read_results(tmp_path)) == 3
    with pytest.raises(InputError, match="before' or 'after"):
        knowledge.record_result(2, "during", all_right, tmp_path)


def test_results_go_to_the_course_output_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path))
    assert knowledge.results_path() == tmp_path / "knowledge" / "results.jsonl"


def test_my_progress_shows_one_line_and_one_chart(tmp_path, capsys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    qs = knowledge.load_questions(1)
    knowledge.record_result(1, "before", knowledge.score_answers(qs, {}), tmp_path)
    plt.close("all")
    shown = knowledge.my_progress(folder=tmp_path)
    assert [r["week"] for r in shown] == [1]
    assert capsys.readouterr().out.count("\n") == 1
    ax = knowledge.progress_chart(shown)
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.get_xticklabels()] == ["week 1"]
    plt.close("all")


def test_room_payloads_carry_answers_not_names():
    qs = knowledge.load_questions(1)
    scored = knowledge.score_answers(qs, {qs[0].id: qs[0].answer})
    assert knowledge.room_payloads(1, "after", scored) == [
        {"week": 1, "phase": "after", "question": qs[0].id, "chosen": qs[0].answer, "correct": True}]


def test_the_facilitator_page_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_knowledge_page.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    page = (ROOT / "docs" / "knowledge_checks.md").read_text(encoding="utf-8")
    assert all(q.prompt in page for qs in knowledge.all_questions().values() for q in qs)


def test_feedback_rounds_numpy_figures_like_python_ones():
    import numpy as np

    q = next(q for q in knowledge.load_questions(3) if q.measured and "{within}" in q.measured)
    text = knowledge.feedback(q, {"within": np.float32(0.24300212), "across": np.float64(0.088543616)})
    assert "0.24" in text and "0.089" in text and "0.2430" not in text and "0.0885" not in text
    assert knowledge.feedback(q, {"within": np.float32("nan"), "across": 0.1}) == q.why
