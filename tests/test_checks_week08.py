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
    assert week08.canary_decision(stage, 0.1, 5, right).passed
    for wrong in {"proceed", "wait", "roll back"} - {right}:
        assert not week08.canary_decision(stage, 0.1, 5, wrong).passed
    assert not week08.canary_decision(stage, 0.1, 5, None).passed


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
    assert week08.canary_decision(row, 0.1, 20, "roll back").passed


TABLE = pd.DataFrame({"before": [0.2, 0.8], "after": [0.9, 0.78]}, index=["gap questions (5)", "test questions (20)"])


def test_ship_update_reads_the_table_and_never_passes_on_blank_numbers():
    assert week08.ship_update(TABLE, True).passed and not week08.ship_update(TABLE, False).passed
    blank = TABLE.assign(after=[NAN, 0.78])  # before: NaN > before was False, so "hold" (False) passed
    result = week08.ship_update(blank, False)
    assert not result.passed and (result.status, result.missing) == (MISSING, "table")


def test_skipped_set_up_cells_are_missing_not_a_raise():
    report = SimpleNamespace(table=lambda: pd.DataFrame({"id": ["a", "b"], "date from": ["file modified time", "Updated:"]}))
    assert week08.weak_dates(report, ["a"]).passed
    assert week08.weak_dates(None, ["a"]).missing == "report"
    gate = SimpleNamespace(passed=False, results=[SimpleNamespace(metric="wrong answers", passed=False)])
    assert week08.launch_decision(gate, False, ["wrong answers"]).passed
    assert week08.launch_decision(None, False, []).missing == "gate"
    assert week08.fix_first(pd.DataFrame(), "payroll").missing == "labelled_gaps"
    assert week08.ship_update(None, True).missing == "table"
