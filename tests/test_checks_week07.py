"""Week 7's exercise checks: each fails on the generated stub (None values) and passes on the solution's answers; a
missing input is "not yet", never a raise."""
import pandas as pd
import pytest

from ai_pm_lab.checks import week07
from ai_pm_lab.exercises import MISSING
from ai_pm_lab.framing import data_strategy, ml_engineers
from ai_pm_lab.framing.canvas import SuccessCriteria, guardrail, success
from ai_pm_lab.platforms import tradeoffs

VOLUMES = [1_000, 10_000, 100_000, 1_000_000, 5_000_000, 10_000_000, 20_000_000]


def _break_even():
    from ai_pm_lab.framing.product_thinking import compare_plans
    total = "total cost over 52 weeks ($)"
    return min(q for q in VOLUMES if (t := compare_plans(52, {"queries_per_day": q})).loc["Custom model", total]
               < t.loc["LLM API, iterate", total])


@pytest.fixture(scope="module")
def curve():
    return ml_engineers.complexity_curve()


@pytest.fixture
def table():
    return pd.DataFrame({"provider": ["local", "openai", "openai"],
                         "status": [tradeoffs.MEASURED, tradeoffs.PROJECTED, tradeoffs.PROJECTED],
                         "quality": [0.25, float("nan"), float("nan")], "median latency (s)": [2.0, float("nan"), float("nan")],
                         "cost per 1,000 queries ($)": [0.0, 0.04, 0.7]}, index=["local-m", "cheap-m", "dear-m"])


def test_break_even_check(capsys):
    assert not week07.break_even_traffic(VOLUMES, 52, None).passed
    assert not week07.break_even_traffic(VOLUMES, 52, VOLUMES[0]).passed
    result = week07.break_even_traffic(VOLUMES, 52, _break_even())
    assert result.passed and "release" in result.message and "cost is one axis" in result.message


def test_router_criteria_check():
    f1 = 0.81
    assert not week07.router_criteria(None, f1).passed
    assert not week07.router_criteria(SuccessCriteria([success("routing F1", 0.5, 0.9), guardrail("g", 1, "lower")]), f1).passed
    assert not week07.router_criteria(SuccessCriteria([success("routing F1", f1, 0.9)]), f1).passed  # no guardrail
    good = week07.router_criteria(SuccessCriteria([success("routing F1", f1, 0.86), guardrail("ms", 50, "lower")]), f1)
    assert good.passed and "0.81" in good.message


def test_approach_check():
    assert not week07.approach_for_data(None, None).passed
    assert not week07.approach_for_data("Train a custom model", "Use a pre-trained LLM").passed
    ok = week07.approach_for_data(data_strategy.plan_data_strategy(400, 5).most_specialised,
                                  data_strategy.plan_data_strategy(30, 1).most_specialised)
    assert ok.passed and "Fine-tune" in ok.message


def test_overfitting_check(curve):
    assert not week07.overfitting_point(curve, None, None).passed
    start, best = ml_engineers.overfitting_starts(curve), ml_engineers.best_setting(curve)
    assert not week07.overfitting_point(curve, curve["C"].min(), best).passed
    ok = week07.overfitting_point(curve, start, best)
    assert ok.passed and "held-out" in ok.message


def test_better_questions_check():
    assert not week07.better_questions(None).passed
    assert not week07.better_questions(["Q1", "Q3", "Q7"]).passed
    assert not week07.better_questions(["Q2", "Q4", "Q6", "Q8"]).passed  # over the three-question budget
    ok = week07.better_questions(["Q2", "Q4", "Q8"])
    assert ok.passed and "trained on" in ok.message


def test_model_choice_check(table):
    assert not week07.model_choice(table, 0.10, 0.6, None, None).passed
    assert not week07.model_choice(table, 0.10, 0.6, "ship candidate", "local-m").passed
    ok = week07.model_choice(table, 0.10, 0.6, "measure next", "cheap-m")
    assert ok.passed and "only a measurement" in ok.message
    assert week07.model_choice(table, 0.10, 0.2, "ship candidate", "local-m").passed


def test_break_even_that_never_comes_is_answered_never_and_can_pass():
    # Before: the right answer was None, which is also the unfinished stub, so the check could never pass.
    cheap_only = VOLUMES[:2]  # the custom model costs more at both volumes
    assert week07.break_even_traffic(cheap_only, 52, week07.NEVER).passed
    assert week07.break_even_traffic(cheap_only, 52, "Never ").passed
    assert not week07.break_even_traffic(cheap_only, 52, None).passed  # the stub
    assert not week07.break_even_traffic(cheap_only, 52, cheap_only[0]).passed
    assert not week07.break_even_traffic(VOLUMES, 52, week07.NEVER).passed


# -- a missing input is "not yet", never a raise ---------------------------------------------------
def test_a_missing_baseline_is_missing_not_a_format_error():
    criteria = SuccessCriteria([success("routing F1", 0.81, 0.86), guardrail("ms", 50, "lower")])
    for f1 in (None, float("nan"), "0.81"):
        result = week07.router_criteria(criteria, f1)
        assert not result.passed and (result.status, result.missing) == (MISSING, "keyword_f1")


def test_skipped_table_cells_are_missing_not_a_raise(table):
    assert week07.overfitting_point(None, 1.0, 1.0).missing == "curve"
    assert week07.model_choice(None, 0.10, 0.6, "nothing fits", None).missing == "table"
    assert week07.model_choice(table, None, 0.6, "measure next", "cheap-m").missing == "budget"
    assert week07.break_even_traffic([], 52, week07.NEVER).missing == "volumes"
