"""The knowledge-check widget, headless: set the radio buttons, click Check, read .state."""
import pytest

from ai_pm_lab import knowledge
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.room import client
from ai_pm_lab.widgets.knowledge import KnowledgeCheck, knowledge_check


@pytest.fixture
def out(monkeypatch, tmp_path):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path))
    return tmp_path


def test_one_radio_group_per_question_with_an_accessible_name(out):
    w = knowledge_check(week=3)
    assert list(w.radios) == [q.id for q in w.questions]
    for n, (q, radio) in enumerate(zip(w.questions, w.radios.values()), 1):
        assert radio.value is None and list(radio.options) == knowledge.shown_choices(q)
        assert sorted(radio.options) == sorted(q.choices)
        assert radio.description == f"Question {n}" and radio.tooltip == q.prompt
    assert w.status.value == f"Answered 0 of {len(w.questions)}"


def test_check_scores_the_answers_and_shows_each_why(out):
    w = KnowledgeCheck(1, "before")
    first, second = w.questions[:2]
    w.radios[first.id].value = first.answer
    w.radios[second.id].value = next(c for c in second.choices if c != second.answer)
    assert w.status.value.startswith("Answered 2 of")
    w.button.click()
    s = w.state
    assert s["error"] is None and (s["correct"], s["answered"], s["total"]) == (1, 2, len(w.questions))
    assert s["answers"][first.id] == first.answer and s["sent"] == 0
    assert first.why in w.feedback[first.id].value and "Right." in w.feedback[first.id].value
    assert "Not quite" in w.feedback[second.id].value and "Not answered" in w.feedback[w.questions[2].id].value
    assert w.button.disabled and w.chart.layout.display == "none"   # before the lesson: no chart yet
    assert knowledge.progress(out / "knowledge")[0]["before"]["correct"] == 1


def test_changing_an_answer_clears_the_old_feedback(out):
    w = KnowledgeCheck(2, "before")
    q = w.questions[0]
    w.radios[q.id].value = q.answer
    w.button.click()
    assert w.feedback[q.id].value
    w.radios[q.id].value = q.choices[-1]
    assert w.feedback[q.id].value == "" and not w.button.disabled


def test_the_after_check_quotes_the_lesson_and_draws_before_and_after(out):
    before = KnowledgeCheck(1, "before")
    before.button.click()
    after = KnowledgeCheck(1, "after", measured={"solved": 3, "tasks": 8})
    for q in after.questions:
        after.radios[q.id].value = q.answer
    after.button.click()
    s = after.state
    assert s["error"] is None and s["correct"] == s["total"]
    row = next(r for r in s["rows"] if r["id"] == "w1-says-it-understands")
    assert "3 of 8" in row["feedback"]
    assert s["progress"][0]["gain"] == pytest.approx(1.0)
    assert after.chart.layout.display is None and after.chart.value.startswith("<img") and 'alt="Chart' in after.chart.value


def test_an_error_while_checking_is_shown_not_raised(out, monkeypatch):
    w = KnowledgeCheck(1, "before")

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(knowledge, "record_result", broken)
    w.button.click()
    assert w.state["error"] == "OSError: disk full" and "disk full" in w.summary.value


def test_bad_arguments_raise_course_errors():
    with pytest.raises(InputError):
        KnowledgeCheck(9)
    with pytest.raises(InputTypeError):
        KnowledgeCheck("one")
    with pytest.raises(InputError):
        KnowledgeCheck(1, "middle")
    with pytest.raises(InputTypeError):
        KnowledgeCheck(1, "after", measured=[1, 2])


def test_outside_a_room_nothing_is_sent_or_queued(out, monkeypatch):
    for var in ("AI_PM_LAB_ROOM", "AI_PM_LAB_ROOM_URL", "AI_PM_LAB_ROOM_CODE"):
        monkeypatch.delenv(var, raising=False)
    client.reset_room()
    w = KnowledgeCheck(4, "before")
    q = w.questions[0]
    w.radios[q.id].value = q.answer
    w.button.click()
    assert w.state["error"] is None and w.state["sent"] == 0
    assert not (out / "room" / "queue").exists() or not any((out / "room" / "queue").iterdir())


def test_in_a_room_each_answered_question_is_sent_once(out, monkeypatch):
    sent = []
    monkeypatch.setattr(client, "send", lambda kind, payload: sent.append((kind, payload)) or True)
    w = KnowledgeCheck(5, "after", measured={"kappa": 0.4, "n": 30})
    right, wrong = w.questions[:2]
    w.radios[right.id].value = right.answer
    w.radios[wrong.id].value = next(c for c in wrong.choices if c != wrong.answer)
    w.button.click()
    assert w.state["sent"] == 2
    assert sent == [("knowledge", {"week": 5, "phase": "after", "question": right.id, "chosen": right.answer, "correct": True}),
                    ("knowledge", {"week": 5, "phase": "after", "question": wrong.id, "chosen": w.radios[wrong.id].value,
                                   "correct": False})]
