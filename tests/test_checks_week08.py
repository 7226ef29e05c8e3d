"""Week 8's exercise checks on small hand-made inputs: a missing input is "not yet", never a raise, and a canary stage or
content update without measured numbers never passes. (The stub-fails / solution-passes test on a real capstone run
lives in test_week8_capstone.py.)"""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from ai_pm_lab.checks import week08
from ai_pm_lab.exercises import MISSING

NAN = float("nan")


def _stage(requests, wrong):
    return {"requests on AI": requests, "wrong answers": wrong}


@pytest.mark.parametrize("stage,right", [(_stage(12, 0.25), "roll back"), (_stage(12, 0.05), "proceed"),
                                         (_stage(3, 0.5), "wait")])
def test_canary_call_right_and_wrong(stage, right):
    why = f"{stage['requests on AI']} requests reached the AI"
    assert week08.canary_decision(stage, 0.1, 5, right, why).passed
    for wrong in {"proceed", "wait", "roll back"} - {right}:
        assert not week08.canary_decision(stage, 0.1, 5, wrong, why).passed
    assert not week08.canary_decision(stage, 0.1, 5, None, why).passed
    # trying each option stops paying: the right option without a figure from the stage is not yet
    assert not week08.canary_decision(stage, 0.1, 5, right).passed
    assert not week08.canary_decision(stage, 0.1, 5, right, "the table says so").passed


def test_a_canary_stage_without_a_wrong_answer_rate_never_passes():
    # Before: NaN was not over the limit, so "proceed" passed with "a wrong-answer rate of nan, within the limit".
    for decision in ("proceed", "wait", "roll back"):
        result = week08.canary_decision(_stage(100, NAN), 0.1, 20, decision)
        assert not result.passed and (result.status, result.missing) == (MISSING, "stage")
    row = pd.DataFrame([{"stage": "25%", "requests on AI": 100, "wrong answers": None}]).iloc[0]  # a canary table row
    assert week08.canary_decision(row, 0.1, 20, "proceed").missing == "stage"
    assert week08.canary_decision(_stage(NAN, 0.0), 0.1, 20, "proceed").missing == "stage"
    assert week08.canary_decision(_stage(100, 0.0), NAN, 20, "proceed").missing == "limit"


def test_a_canary_table_row_is_read_like_a_dict():
    row = pd.DataFrame([{"stage": "25%", "requests on AI": 40, "wrong answers": 0.2}]).iloc[0]
    assert week08.canary_decision(row, 0.1, 20, "roll back", "wrong answers at 20%").passed


ROWS = ["gap questions handled correctly (n=5)", "gap questions answered wrong (n=5)",
        "test questions handled correctly (n=20)", "test questions answered wrong (n=20)"]
TABLE = pd.DataFrame({"before": [0.2, 0.2, 0.8, 0.1], "after": [0.9, 0.1, 0.78, 0.1]}, index=ROWS)
# The gap questions were declined less and got more right, but the declines mostly became wrong answers: the old rule
# (gap improved, test held) said ship; judged on wrong answers too, it is a hold.
DECLINES_TURNED_WRONG = pd.DataFrame({"before": [0.2, 0.0, 0.8, 0.1], "after": [0.3, 0.6, 0.8, 0.1]}, index=ROWS)


def test_ship_update_reads_the_table_and_never_passes_on_blank_numbers():
    why = "gap questions 0.90 after, 0.20 before"
    assert week08.ship_update(TABLE, True, why).passed and not week08.ship_update(TABLE, False, why).passed
    assert not week08.ship_update(TABLE, True, None).passed and not week08.ship_update(TABLE, True, "it improved").passed
    blank = TABLE.assign(after=[NAN, 0.1, 0.78, 0.1])  # before: NaN > before was False, so "hold" (False) passed
    result = week08.ship_update(blank, False, why)
    assert not result.passed and (result.status, result.missing) == (MISSING, "table")
    declines_only = TABLE.loc[[ROWS[0], ROWS[2]]]  # a table without the wrong-answer rows cannot be judged
    assert week08.ship_update(declines_only, True, why).missing == "table"


def test_fewer_declines_that_became_wrong_answers_do_not_ship():
    why = "wrong answers on the gap questions went from 0% to 60%"
    assert week08.ship_update(DECLINES_TURNED_WRONG, False, why).passed
    assert not week08.ship_update(DECLINES_TURNED_WRONG, True, why).passed
    # a learner who tolerates more wrong answers gets their own verdict
    assert week08.ship_update(DECLINES_TURNED_WRONG, True, why, max_more_wrong=0.6).passed


def test_the_tolerances_are_the_learners():
    regressed = TABLE.assign(after=[0.9, 0.1, 0.70, 0.1])  # test questions 0.80 -> 0.70
    why = "test questions 0.70 after"
    assert week08.ship_update(regressed, False, why, max_drop=0.05).passed
    assert week08.ship_update(regressed, True, why, max_drop=0.15).passed


def test_hints_come_on_request_and_the_first_step_states_no_rule():
    assert set(week08.HINTS) == {"8.1", "8.2", "8.3", "8.4", "8.5"}
    assert all(len(steps) >= 2 for steps in week08.HINTS.values())
    first = " ".join(steps[0] for steps in week08.HINTS.values())
    for rule_word in ("adversarial", "malformed", "min_requests", "> limit", "gap 'after' >", "iloc", "isin"):
        assert rule_word not in first
    week08.hint.reset()
    assert week08.hint("8.3").step == 1 and week08.hint("8.3").step == 2


def test_skipped_set_up_cells_are_missing_not_a_raise():
    report = SimpleNamespace(table=lambda: pd.DataFrame({"id": ["a", "b"], "date from": ["file modified time", "Updated:"]}))
    assert week08.weak_dates(report, ["a"]).passed
    assert week08.weak_dates(None, ["a"]).missing == "report"
    gate = SimpleNamespace(passed=False, results=[SimpleNamespace(metric="wrong answers", passed=False, measured=0.6)])
    assert not week08.launch_decision(gate, False, ["wrong answers"]).passed  # no why quoting a figure
    assert week08.launch_decision(gate, False, ["wrong answers"], "wrong answers measured 0.60").passed
    assert week08.launch_decision(None, False, []).missing == "gate"
    assert week08.fix_first(pd.DataFrame(), "payroll").missing == "labelled_gaps"
    labelled = pd.DataFrame({"gap": ["attacks", "payroll"], "requests": [9, 6],
                             "kind (simulation label)": ["adversarial", "new_product"]})
    assert week08.fix_first(labelled, "payroll", "6 customers asked about payroll").passed
    assert not week08.fix_first(labelled, "payroll", "customers asked about payroll").passed  # no count quoted
    assert not week08.fix_first(labelled, "payroll", "7 customers asked").passed  # a count not in the table
    assert week08.ship_update(None, True).missing == "table"
