"""Week 7: the opportunity canvas (success criteria, guardrails, problem statement, one-pager, eval gate)."""
import math

import pytest

from ai_pm_lab.framing.canvas import (
    CanvasError,
    Criterion,
    OpportunityCanvas,
    SuccessCriteria,
    build_problem_statement,
    criterion_from_dict,
    guardrail,
    success,
    write_one_pager,
)

GO = dict(needs_ai=True, has_data=True, tolerates_variability=True, affords_inference=True, has_feedback_loop=True)


def _problem():
    return build_problem_statement("support agents", "tickets wait in the wrong queue", "1,200 re-routes a month",
                                   "a keyword list routes them", "free text in many phrasings", ["two topics in one ticket"])


def _criteria():
    return SuccessCriteria([success("routing F1", 0.55, 0.8), guardrail("wrong-queue rate", 0.15, "lower", baseline=0.12)])


@pytest.mark.parametrize("metric", ["", "   ", None])
def test_empty_metric_is_named(metric):
    problems = Criterion(metric, 0.5, 0.8).problems()
    assert problems and "no metric name" in problems[0]


def test_success_criterion_without_baseline_asks_for_a_measurement():
    problems = success("F1", None, 0.8).problems()
    assert len(problems) == 1 and "baseline is empty" in problems[0] and "measure" in problems[0]


@pytest.mark.parametrize("baseline,target,direction", [(0.8, 0.7, "higher"), (0.8, 0.8, "higher"), (2.0, 3.0, "lower"),
                                                       (2.0, 2.0, "lower")])
def test_target_that_does_not_beat_the_baseline_is_refused(baseline, target, direction):
    with pytest.raises(CanvasError) as err:
        success("metric", baseline, target, direction).validate()
    assert "does not beat the baseline" in str(err.value)
    assert ("above" if direction == "higher" else "below") in str(err.value)


@pytest.mark.parametrize("limit,direction,baseline,fix", [(0.05, "lower", 0.12, "at or above"), (4.5, "higher", 4.2, "at or below")])
def test_guardrail_on_the_wrong_side_of_its_baseline_is_refused(limit, direction, baseline, fix):
    problems = guardrail("g", limit, direction, baseline=baseline).problems()
    assert len(problems) == 1 and "wrong side" in problems[0] and fix in problems[0]


def test_valid_criteria_and_guardrail_without_baseline_pass():
    assert guardrail("cost per query", 0.02, "lower").problems() == []
    assert guardrail("wrong-queue rate", 0.15, "lower", baseline=0.15).problems() == []
    assert _criteria().problems() == []


@pytest.mark.parametrize("bad", ["x", float("nan"), True])
def test_non_numbers_are_refused_with_a_message(bad):
    problems = success("F1", 0.5, bad).problems()
    assert problems and "target" in problems[0]


def test_bad_direction_and_kind_are_named():
    problems = Criterion("F1", 0.5, 0.8, direction="up", kind="goal").problems()
    assert any("direction" in p for p in problems) and any("kind" in p for p in problems)


def test_criteria_need_a_success_line_and_a_guardrail_and_unique_metrics():
    problems = SuccessCriteria([success("F1", 0.5, 0.8), success("f1", 0.5, 0.9)]).problems()
    assert any("no guardrail" in p for p in problems) and any("more than once" in p for p in problems)
    assert any("no success criterion" in p for p in SuccessCriteria([guardrail("cost", 1, "lower")]).problems())
    with pytest.raises(TypeError):
        SuccessCriteria(success("F1", 0.5, 0.8))


def test_gate_passes_and_fails_on_measured_values():
    c = _criteria()
    ok = c.evaluate({"routing F1": 0.82, "wrong-queue rate": 0.10})
    assert ok.passed and ok.failures == [] and "GO" in ok.summary()
    bad = c.evaluate({"routing F1": 0.82, "wrong-queue rate": 0.20})
    assert not bad.passed and [r.metric for r in bad.failures] == ["wrong-queue rate"] and "CROSSED" in bad.summary()
    missed = c.evaluate({"routing F1": 0.79, "wrong-queue rate": 0.10})
    assert not missed.passed and missed.table()["passed"].tolist() == [False, True]


def test_gate_boundary_values_count_as_met():
    c = _criteria()
    assert c.evaluate({"routing F1": 0.8, "wrong-queue rate": 0.15}).passed


def test_gate_refuses_missing_and_non_numeric_measurements():
    c = _criteria()
    with pytest.raises(ValueError, match="No measurement"):
        c.evaluate({"routing F1": 0.9})
    with pytest.raises(ValueError, match="measure it first"):
        c.evaluate({"routing F1": float("nan"), "wrong-queue rate": 0.1})
    with pytest.raises(TypeError):
        c.evaluate([0.9, 0.1])


def test_gate_refuses_invalid_criteria():
    with pytest.raises(CanvasError):
        SuccessCriteria([success("F1", 0.9, 0.8), guardrail("g", 1, "lower")]).evaluate({"F1": 0.95, "g": 0.5})


def test_criterion_from_dict():
    c = criterion_from_dict({"metric": "latency", "limit": 2.0, "direction": "lower"})
    assert c.kind == "guardrail" and math.isclose(c.target, 2.0)
    with pytest.raises(ValueError, match="Unknown criterion field"):
        criterion_from_dict({"metric": "x", "goal": 1})


def test_problem_statement_names_every_empty_field_and_missing_edge_cases():
    with pytest.raises(CanvasError) as err:
        build_problem_statement("", "p", "  ", "t", "w")
    text = str(err.value)
    assert "user is empty" in text and "evidence is empty" in text and "no edge cases" in text
    assert len(err.value.problems) == 3


def test_problem_statement_warns_about_solution_words_and_missing_numbers():
    ps = build_problem_statement("agents", "we need an AI chatbot", "agents complain", "email", "language", ["x"])
    warnings = ps.warnings()
    assert any("names a technology" in w for w in warnings) and any("no number" in w for w in warnings)


def test_one_pager_is_written_to_output_dir_and_overwritten(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path / "out"))
    canvas = OpportunityCanvas("Route tickets", GO, _problem(), _criteria(), data_plan="Label 500 more tickets.",
                               open_questions=["How are we measuring accuracy?"])
    path = write_one_pager(canvas)
    assert path.parent == tmp_path / "out" and path.name == "one_pager_route-tickets.md"
    text = path.read_text()
    for part in ("# Route tickets", "## Problem", "**Verdict:** GO", "| routing F1 | 0.55 | ≥ 0.8 | higher |",
                 "| wrong-queue rate | 0.12 | ≤ 0.15 | lower |", "Label 500 more tickets.", "How are we measuring accuracy?"):
        assert part in text, part
    canvas.title = "Route tickets"
    canvas.criteria = SuccessCriteria([success("routing F1", 0.55, 0.9), guardrail("wrong-queue rate", 0.15, "lower")])
    assert write_one_pager(canvas) == path
    assert "≥ 0.9" in path.read_text() and "≥ 0.8" not in path.read_text()
    assert len(list((tmp_path / "out").iterdir())) == 1


def test_one_pager_is_not_written_for_an_unfinished_canvas(tmp_path):
    canvas = OpportunityCanvas("", {"needs_ai": "yes"}, _problem(), SuccessCriteria([success("F1", 0.9, 0.8)]))
    with pytest.raises(CanvasError) as err:
        write_one_pager(canvas, tmp_path / "x.md")
    text = str(err.value)
    assert "title is empty" in text and "decision tree" in text and "does not beat" in text
    assert not (tmp_path / "x.md").exists()
    with pytest.raises(ValueError, match=".md"):
        write_one_pager(OpportunityCanvas("T", GO, _problem(), _criteria()), tmp_path / "x.txt")


def test_stopping_decision_is_a_watch_out_not_a_blocker(tmp_path):
    answers = dict(GO, has_data=False)
    canvas = OpportunityCanvas("T", answers, _problem(), _criteria())
    assert canvas.problems() == [] and any("has_data" in w for w in canvas.warnings())
    assert "**Verdict:** STOP" in write_one_pager(canvas, tmp_path / "t.md").read_text()
