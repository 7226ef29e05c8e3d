"""Week 2's exercise checks: each fails on the stub and passes on the solution; for a decision, a plausible wrong one
gets feedback that names the trade-off and the right answer follows the measured table; a missing input is "not yet".
The checks are called directly with small measured-looking tables (no notebook run, no model call)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from ai_pm_lab.checks import week02
from ai_pm_lab.exercises import MISSING, NOT_YET

WHY = "I measured 10% and 100% in my table, 5 of 5 facts kept, 88% quality"  # quotes a figure of every fixture
NO_FIGURE = "because of what I measured above"


def _d(choice):
    return dict(choice=choice, why=WHY)


# ---------- 2.2 ship, ground or restrict ----------

def _modes(bare, grounded, refused_bare=0.1, refused_grounded=0.4, samples=12):
    return pd.DataFrame([
        {"mode": "no context", "samples": samples, "grounded": 0.2, "refused": refused_bare, "hallucinated": bare},
        {"mode": "context + only-from-context", "samples": samples, "grounded": 0.3, "refused": refused_grounded,
         "hallucinated": grounded},
    ])


RISKY = _modes(0.75, 0.42)      # neither mode within 10%: restrict
GROUNDABLE = _modes(0.58, 0.08)  # only the grounded mode within 10%: ground
SAFE = _modes(0.05, 0.0)        # the bare model already within 10%: ship


def _launch(choice, table=RISKY, tolerance=0.10):
    return week02.launch_choice(table, _d(choice), tolerance=tolerance)


@pytest.mark.parametrize("table,right", [(RISKY, "restrict"), (GROUNDABLE, "ground"), (SAFE, "ship")])
def test_launch_right_choice_passes_and_follows_the_data(table, right):
    assert _launch(right, table).passed, _launch(right, table).message
    for wrong in set(week02.LAUNCH_OPTIONS) - {right}:
        assert not _launch(wrong, table).passed


def test_launch_shipping_a_hallucinating_model_names_trust():
    result = _launch("ship", GROUNDABLE)
    assert "58%" in result.message and "above the 10%" in result.message and "trust" in result.message


def test_launch_grounding_that_is_not_enough_names_the_bar():
    result = _launch("ground", RISKY)
    assert "75% to 42%" in result.message and "still above" in result.message and "bar" in result.message


def test_launch_restricting_a_groundable_feature_names_what_is_given_up():
    result = _launch("restrict", GROUNDABLE)
    assert "8%" in result.message and "within the 10%" in result.message and "gives up a feature" in result.message
    assert "40%" in result.message  # the price of grounding: refusals


def test_launch_grounding_a_safe_model_names_the_cost():
    result = _launch("ground", SAFE)
    assert "retrieval step" in result.message and "40% refused" in result.message


def test_launch_tolerance_is_the_product_decision():
    # The same measurement with a looser bar (an agent reviews every draft) makes grounding enough.
    assert _launch("ground", RISKY, tolerance=0.5).passed and not _launch("restrict", RISKY, tolerance=0.5).passed


def test_launch_needs_a_table_an_option_and_a_why():
    stub = week02.launch_choice(None, None, tolerance=0.1)
    assert not stub.passed and (stub.status, stub.missing) == (MISSING, "by_mode")
    assert not week02.launch_choice(RISKY, None, tolerance=0.1).passed
    assert "why" in week02.launch_choice(RISKY, dict(choice="restrict", why=""), tolerance=0.1).message
    assert "listed options" in _launch("pause").message


# ---------- 2.3 a cut per document ----------

def _kept(rows):
    out = []
    for doc, counts in rows.items():
        for strategy, kept in counts.items():
            out.append({"document": doc, "document tokens": 1000, "strategy": strategy, "kept tokens": 180,
                        "facts kept": kept, "facts needed": 5, "missing": "x" if kept < 5 else ""})
    return pd.DataFrame(out)


KEPT = _kept({"contract": {"head": 0, "tail": 5, "middle-out": 3, "retrieve-relevant": 2},
              "chat": {"head": 0, "tail": 5, "middle-out": 2, "retrieve-relevant": 1},
              "manual": {"head": 5, "tail": 0, "middle-out": 3, "retrieve-relevant": 3}})
RIGHT = dict(contract="tail", chat="tail", manual="head")


def _cuts(table=KEPT, **changes):
    return week02.strategy_per_document(table, {k: _d(v) for k, v in {**RIGHT, **changes}.items()})


def test_cut_right_choices_pass():
    result = _cuts()
    assert result.passed, result.message


def test_cut_tail_on_a_manual_names_what_it_cuts():
    result = _cuts(manual="tail")
    assert not result.passed and "kept 0 of 5" in result.message and "cuts the beginning" in result.message


def test_cut_middle_out_names_the_halved_budget():
    result = _cuts(contract="middle-out")
    assert not result.passed and "kept 3 of 5" in result.message and "only half" in result.message


def test_cut_keyword_retrieval_names_the_wording_gap():
    result = _cuts(chat="retrieve-relevant")
    assert not result.passed and "worded" in result.message


def test_cut_feedback_does_not_give_the_answer_away():
    message = _cuts(manual="tail").message
    assert "Another strategy kept 5" in message and "head" not in message  # names the gap, not the strategy


def test_cut_decision_follows_the_measured_data():
    # If the manual's setup steps were worded like the question, retrieval would keep them all too: either passes.
    wordy = _kept({"contract": {"head": 0, "tail": 5}, "chat": {"head": 0, "tail": 5},
                   "manual": {"head": 5, "tail": 0, "retrieve-relevant": 5}})
    assert _cuts(wordy, manual="retrieve-relevant").passed and _cuts(wordy).passed
    flipped = _kept({"contract": {"head": 5, "tail": 1}, "chat": {"head": 0, "tail": 5}, "manual": {"head": 5, "tail": 0}})
    assert _cuts(flipped, contract="head").passed and not _cuts(flipped).passed


def test_cut_needs_a_table_and_one_decision_per_document():
    assert week02.strategy_per_document(None, None).missing == "kept"
    assert "choices = dict(" in week02.strategy_per_document(KEPT, None).message
    missing = week02.strategy_per_document(KEPT, {"contract": _d("tail"), "chat": _d("tail")})
    assert not missing.passed and "manual" in missing.message


# ---------- 2.4 a model under a budget and a quality floor ----------

BILLS = pd.DataFrame({"model": ["gpt-6-luna", "claude-haiku-5-5", "gemini-3.5-flash-lite", "claude-sonnet-5-5"],
                      "cached_tokens": [2600, 0, 0, 2600], "per_month": [95.0, 290.0, 1040.0, 1650.0],
                      "quality": [0.80, 0.88, 0.86, 0.93]})


def _model(choice, bills=BILLS, budget=500, floor=0.85):
    return week02.model_under_budget_and_floor(bills, _d(choice), budget=budget, floor=floor, prefix_tokens=2650)


def test_model_right_choice_passes():
    result = _model("claude-haiku-5-5")
    assert result.passed, result.message
    assert "4,096" in result.message  # the success line explains the caching minimum it missed


def test_model_cheapest_below_floor_names_quality():
    result = _model("gpt-6-luna")
    assert not result.passed and "80%" in result.message and "below the 85% floor" in result.message


def test_model_over_budget_without_caching_names_the_minimum():
    result = _model("gemini-3.5-flash-lite")
    assert not result.passed and "over the $500 budget" in result.message
    assert "2,650-token shared prefix" in result.message and "4,096" in result.message


def test_model_premium_model_names_budget_even_with_caching():
    result = _model("claude-sonnet-5-5")
    assert not result.passed and "$1,650.00" in result.message and "read from the cache" in result.message


def test_model_pricier_model_that_fits_names_paying_above_the_floor():
    result = _model("claude-sonnet-5-5", budget=2000)
    assert not result.passed and "$1,360.00 less" in result.message and "above the floor" in result.message


def test_model_decision_follows_the_measured_bills():
    pricier = BILLS.assign(per_month=[95.0, 610.0, 1040.0, 1650.0])  # e.g. a longer measured prompt
    assert _model("none", pricier).passed and not _model("claude-haiku-5-5", pricier).passed
    assert _model("gpt-6-luna", floor=0.8).passed
    assert "At least one model" in _model("none").message


def test_model_needs_bills_an_option_and_a_why():
    stub = week02.model_under_budget_and_floor(None, None, budget=500, floor=0.85, prefix_tokens=2650)
    assert not stub.passed and (stub.status, stub.missing) == (MISSING, "bills")
    assert "listed options" in _model("gpt-4o-mini").message
    assert "why" in week02.model_under_budget_and_floor(BILLS, dict(choice="claude-haiku-5-5"), budget=500,
                                                        floor=0.85, prefix_tokens=2650).message


# ---------- the measurements the decisions read ----------

def test_document_kinds_put_the_needed_part_where_their_story_says():
    from ai_pm_lab.limits import context

    table = context.strategy_table(budget_tokens=130, backend="openai")
    assert set(table["document"]) == {"contract", "chat", "manual"}
    assert (table["kept tokens"] <= 130).all() and (table["document tokens"] > 130).all()
    best = table.loc[table.groupby("document")["facts kept"].idxmax()].set_index("document")["strategy"]
    assert best["contract"] == "tail" and best["chat"] == "tail" and best["manual"] == "head"
    full = table[table["facts kept"] == table["facts needed"]]
    assert "middle-out" not in set(full["strategy"])  # the needed part is longer than half the budget


def test_facts_kept_rejects_a_model_strategy_and_a_bare_string():
    from ai_pm_lab.limits import context

    with pytest.raises(ValueError, match="no model call"):
        context.facts_kept("One. Two.", ["One"], 16, question="one?", strategies=["summarise-then-answer"])
    with pytest.raises(TypeError, match="list of phrases"):
        context.facts_kept("One. Two.", "One", 16, question="one?")
    with pytest.raises(ValueError, match="contract"):
        context.kind_document("memo")


def test_rates_by_mode_weights_every_answer_once():
    from ai_pm_lab.limits import hallucination

    grid = pd.DataFrame({"kind": ["answerable"] * 3 + ["made_up"] * 3,
                         "mode": ["no context", "no context", "context + only-from-context"] * 2,
                         "verdict": ["hallucinated", "grounded", "grounded", "hallucinated", "hallucinated", "refused"]})
    by_mode = hallucination.rates_by_mode(grid).set_index("mode")
    assert list(by_mode.index) == ["no context", "context + only-from-context"]
    assert by_mode.loc["no context", "samples"] == 4 and by_mode.loc["no context", "hallucinated"] == pytest.approx(0.75)
    assert by_mode.loc["context + only-from-context", "refused"] == pytest.approx(0.5)


def test_launch_decision_from_a_real_grid_run():
    # A model that makes things up without a passage and copies from the passage (or declines) with one: grounding
    # meets a 10% tolerance, so "ground" passes and "ship" fails, computed from the grid the notebook runs.
    from ai_pm_lab.limits import hallucination
    from ai_pm_lab.testing.fake_model import ScriptedModel

    def reply(prompt):
        if "Answer only from the context" not in prompt:
            return "It is definitely 1999."
        return next((a for q in hallucination.questions() if q["question"] in prompt for a in q["answers"]), "I don't know.")

    with ScriptedModel(reply):
        grid = hallucination.run_grid(n=4, temperature=0, max_tokens=32, modes=["no context", "context + only-from-context"],
                                      progress=False)
    by_mode = hallucination.rates_by_mode(grid)
    assert list(by_mode["samples"]) == [12, 12]
    assert week02.launch_choice(by_mode, _d("ground"), tolerance=0.1).passed
    assert not week02.launch_choice(by_mode, _d("ship"), tolerance=0.1).passed


# ---------- 2.1 and 2.5: fail on the stub, pass on the solution ----------
def numbers_match(answer, expected, tolerance=0.01):
    found = re.findall(r"-?\d[\d,]*(?:\.\d+)?", answer)
    return bool(found) and abs(float(found[-1].replace(",", "")) - expected) <= tolerance


def stub(*args, **kwargs):
    return None


Y_TRUE = ["billing", "billing", "technical", "account", "billing"]
Y_PRED = ["billing", "technical", "billing", "account", "billing"]
BY_MODE = pd.DataFrame([{"mode": "no context", "samples": 4, "grounded": 0.0, "refused": 0.0, "hallucinated": 1.0},
                        {"mode": "context + only-from-context", "samples": 4, "grounded": 1.0, "refused": 0.0,
                         "hallucinated": 0.0}])


@pytest.mark.parametrize("run_check,solution,stub_value", [
    (week02.numeric_scorer, numbers_match, stub),
    (lambda v: week02.precision_recall(*v, Y_TRUE, Y_PRED, "billing"), (2 / 3, 2 / 3), (None, None)),
    (lambda v: week02.launch_choice(*v, tolerance=0.1),
     (BY_MODE,
      dict(choice="ground", why="the grounded mode stayed at 0%, within the tolerance")),
     (None, None)),
])
def test_check_fails_on_stub_and_passes_on_solution(run_check, solution, stub_value):
    assert run_check(stub_value).passed is False
    assert run_check(solution).passed is True


def test_checks_catch_near_misses():
    assert not week02.numeric_scorer(lambda a, e, tolerance=0.01: str(e) in a).passed  # "contains" is not "last number"
    assert not week02.numeric_scorer(lambda a, e, tolerance=0.01: abs(float(re.findall(r"\d+", a)[0]) - e) <= tolerance).passed
    assert not week02.precision_recall(2 / 3, 1.0, Y_TRUE, Y_PRED, "billing").passed  # recall over predictions, not truths


# ---------- a missing input is "not yet", never a raise or a pass ----------
def test_a_blank_hallucination_rate_never_passes():
    # Before: NaN rates met no bar, so "restrict" passed on a table with nothing measured in it.
    blank = _modes(float("nan"), float("nan"))
    result = _launch("restrict", blank)
    assert not result.passed and (result.status, result.missing) == (MISSING, "by_mode")


def test_an_unknown_model_in_the_bills_is_not_yet_not_a_raise():
    typo = BILLS.assign(model=["gpt-6-lunar", "claude-haiku-5-5", "gemini-3.5-flash-lite", "claude-sonnet-5-5"])
    result = _model("claude-haiku-5-5", typo)
    assert not result.passed and result.status == NOT_YET and "'gpt-6-lunar'" in result.message


def test_a_tolerance_left_as_nan_is_missing():
    result = week02.launch_choice(RISKY, _d("restrict"), tolerance=float("nan"))
    assert not result.passed and result.missing == "tolerance"


# ---------- a why must quote the learner's own table (issue 19) ----------
def test_each_decision_why_must_quote_a_measured_figure():
    bare = week02.launch_choice(RISKY, dict(choice="restrict", why=NO_FIGURE), tolerance=0.1)
    assert not bare.passed and "`by_mode`" in bare.message
    assert week02.launch_choice(RISKY, dict(choice="restrict", why="grounding still made up 42%"), tolerance=0.1).passed
    # the figure must be one the table holds, not any number
    assert not week02.launch_choice(RISKY, dict(choice="restrict", why="grounding still made up 37%"), tolerance=0.1).passed

    cuts = week02.strategy_per_document(KEPT, {**{k: _d(v) for k, v in RIGHT.items()},
                                               "chat": dict(choice="tail", why=NO_FIGURE)})
    assert not cuts.passed and "chat" in cuts.message and "`kept`" in cuts.message
    assert week02.strategy_per_document(KEPT, {k: dict(choice=v, why=f"{v} keeps 5 of them") for k, v in RIGHT.items()}).passed

    args = dict(budget=500, floor=0.85, prefix_tokens=2650)
    bill = week02.model_under_budget_and_floor(BILLS, dict(choice="claude-haiku-5-5", why=NO_FIGURE), **args)
    assert not bill.passed and "`bills`" in bill.message
    assert week02.model_under_budget_and_floor(BILLS, dict(choice="claude-haiku-5-5", why="88% for $290 a month"), **args).passed
    assert not week02.model_under_budget_and_floor(BILLS, dict(choice="claude-haiku-5-5", why="cheap at $310 a month"), **args).passed


# ---------- 2.1 without code ----------
def test_the_no_code_path_fails_on_the_stub_and_a_wrong_row_and_passes_when_right():
    table = week02.numeric_cases()
    assert len(table) == 7 and table.loc[1, "numbers in the answer"] == "3, 8, 11"
    right = [numbers_match(a, e) for a, e in zip(table["answer"], table["expected"])]  # the rule, applied row by row
    assert right == [True, True, True, True, False, False, False]
    assert not week02.numeric_scorer(stub, passes=None).passed            # the generated stub: both paths empty
    assert not week02.numeric_scorer(None, passes=None).passed
    wrong = [*right[:4], True, *right[5:]]                                 # "I think 12" for 13 is not within 0.01
    result = week02.numeric_scorer(stub, passes=wrong)
    assert not result.passed and "Row 4" in result.message
    assert not week02.numeric_scorer(stub, passes=right[:3]).passed
    assert week02.numeric_scorer(stub, passes=right).passed
    assert week02.numeric_scorer(numbers_match, passes=None).passed        # the code path still works alone


def test_hints_come_one_step_at_a_time_for_every_exercise():
    assert set(week02.HINTS) == {"2.1", "2.2", "2.3", "2.4", "2.5"}
    week02.hint.reset()
    first, second = week02.hint("2.2"), week02.hint("2.2")
    assert (first.step, second.step) == (1, 2) and first.text != second.text
