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


def test_setting_to_ship_check(curve):
    best = ml_engineers.best_setting(curve)
    held = curve.loc[curve["C"] == best, "held-out F1"].iloc[0]
    kw = 0.81  # today's keyword router beats the classifier's best held-out score
    good_why = f"held-out F1 peaks at {held:.2f}, below the keyword router's 0.81"
    assert not week07.setting_to_ship(curve, kw, None, None, None).passed                       # the stub
    assert not week07.setting_to_ship(curve, kw, curve["C"].max(), week07.KEEP, good_why).passed  # largest C
    assert not week07.setting_to_ship(curve, kw, best, week07.SHIP, good_why).passed            # wrong decision
    no_figure = week07.setting_to_ship(curve, kw, best, week07.KEEP, "users meet the held-out score")
    assert not no_figure.passed and "quote a figure" in no_figure.message
    assert not week07.setting_to_ship(curve, kw, best, week07.KEEP, "it scores 0.77 somewhere").passed  # not in table
    ok = week07.setting_to_ship(curve, kw, best, week07.KEEP, good_why)
    assert ok.passed and "never saw" in ok.message
    assert week07.setting_to_ship(curve, 0.3, best, week07.SHIP, f"{held:.0%} on new tickets").passed


def test_better_questions_check_needs_a_measured_figure():
    split = {"F1 on tickets it trained on": 1.0, "F1 on held-out tickets": 0.6816}
    why = "it scores 1.00 on tickets it trained on but 0.68 on new ones"
    assert not week07.better_questions(None, split, None).passed
    assert not week07.better_questions(["Q1", "Q3", "Q7"], split, why).passed
    assert not week07.better_questions(["Q2", "Q4", "Q6", "Q8"], split, why).passed  # over the three-question budget
    # the right questions alone no longer pass: trying every option through the check does not pay without the figure
    bare = week07.better_questions(["Q2", "Q4", "Q8"], split, "these ask about data and measurement")
    assert not bare.passed and "quote a figure" in bare.message
    assert not week07.better_questions(["Q2", "Q4", "Q8"], split, "it scores 0.93 somewhere").passed
    ok = week07.better_questions(["Q2", "Q4", "Q8"], split, why)
    assert ok.passed and "trained on" in ok.message


def test_audit_check():
    audit = data_strategy.audit_training_data()
    open_checks = list(audit.loc[audit["status"] != data_strategy.AUDIT_OK, "check"])
    assert not week07.audit_follow_up(audit, None).passed
    assert not week07.audit_follow_up(audit, ["label balance"]).passed
    assert not week07.audit_follow_up(audit, list(audit["check"])).passed
    assert week07.audit_follow_up(audit, open_checks).passed


FAQ = {"questions handled correctly": 0.5, "wrong answers": 0.5, "p95 latency (s)": 0.01, "cost per 1,000 questions ($)": 0.0}


def _capstone(handled_baseline=0.5, metrics=("questions handled correctly", "wrong answers", "p95 latency (s)",
                                             "cost per 1,000 questions ($)")):
    lines = [success(metrics[0], handled_baseline, 0.7)]
    lines += [guardrail(m, limit, "lower") for m, limit in zip(metrics[1:], (0.5, 4.0, 3.0))]
    return SuccessCriteria(lines)


def test_capstone_criteria_check(tmp_path, monkeypatch):
    from ai_pm_lab.framing import save_criteria
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path))
    assert not week07.capstone_criteria(None, FAQ).passed                       # the stub
    assert not week07.capstone_criteria(_capstone(), FAQ).passed                # right, but not saved
    save_criteria(_capstone(0.4))
    assert not week07.capstone_criteria(_capstone(0.4), FAQ).passed             # baseline is not the FAQ's
    three = SuccessCriteria([success("questions handled correctly", 0.5, 0.7), guardrail("wrong answers", 0.5, "lower")])
    save_criteria(three)
    missing = week07.capstone_criteria(three, FAQ)
    assert not missing.passed and "p95 latency" in missing.message
    save_criteria(_capstone())
    assert week07.capstone_criteria(_capstone(), FAQ).passed


def test_worksheet_check(tmp_path):
    from ai_pm_lab.framing import OpportunityCanvas, build_problem_statement, ux_worksheet, write_one_pager
    answers = dict(expectations="The page says replies are drafts an agent must read before sending.",
                   uncertainty="Below our confidence line the draft is not shown and the agent writes from scratch.",
                   errors="A wrong refund promise costs most; agents edit the draft and report it with one click.",
                   feedback="Edits and reports are logged; the PM reads a sample every Monday with support leads.")
    problem = build_problem_statement("agents", "refund emails wait two days", "300 a week", "agents type replies",
                                      "every email is phrased differently", ["angry customer"])
    go = dict(needs_ai=True, has_data=True, tolerates_variability=True, affords_inference=True, has_feedback_loop=True)
    crit = SuccessCriteria([success("first-reply hours", 9, 4, "lower"), guardrail("wrong promises", 0.02, "lower")])
    canvas = OpportunityCanvas("Draft refund replies", go, problem, crit)
    assert not week07.worksheet_on_one_pager(None, None).passed
    path = write_one_pager(canvas, tmp_path / "p.md")
    assert not week07.worksheet_on_one_pager(canvas, path).passed          # no worksheet
    canvas.ux = ux_worksheet(**answers)
    assert not week07.worksheet_on_one_pager(canvas, path).passed          # file written before the worksheet
    path = write_one_pager(canvas, tmp_path / "p.md")
    assert week07.worksheet_on_one_pager(canvas, path).passed


def test_hints_come_on_request():
    week07.hint.reset()
    first = week07.hint("7.4")
    assert "7.4" in str(first) and "best_setting" not in str(first)
    assert set(week07.HINTS) >= {"7.4", "7.5", "7.7", "7.8", "7.9"}


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
    assert week07.setting_to_ship(None, 0.81, 1.0, week07.KEEP, "0.57").missing == "curve"
    assert week07.model_choice(None, 0.10, 0.6, "nothing fits", None).missing == "table"
    assert week07.model_choice(table, None, 0.6, "measure next", "cheap-m").missing == "budget"
    assert week07.break_even_traffic([], 52, week07.NEVER).missing == "volumes"
