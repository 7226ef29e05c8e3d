"""Week 1's exercise checks: the right decision passes; a plausible wrong one gets feedback that names the trade-off;
a missing input is "not yet" (never a raise, never a pass).

The checks are called directly with small measured-looking tables (no notebook run, no model call).
"""
from __future__ import annotations

import pandas as pd
import pytest

from ai_pm_lab.checks import week01
from ai_pm_lab.exercises import ERROR, MISSING, NOT_YET


def _variety(rows):
    return pd.DataFrame(rows, columns=["temperature", "distinct in 20 draws", "entropy (bits)", "top-10 share"])


INVOICE = _variety([(0.0, 1, 0.0, 1.0), (0.7, 6, 2.6, 0.94), (1.5, 17, 9.3, 0.29)])
BRAINSTORM = _variety([(0.0, 1, 0.0, 1.0), (0.7, 9, 3.8, 0.83), (1.5, 19, 12.1, 0.12)])
WHY = "because of what I measured above"


def _temps(inv, brain, invoice=INVOICE, brainstorm=BRAINSTORM):
    return week01.temperature_choices(invoice, brainstorm, dict(choice=inv, why=WHY), dict(choice=brain, why=WHY))


def test_temperature_right_choice_passes():
    result = _temps("0", "0.7")
    assert result.passed, result.message


def test_temperature_variety_on_invoices_names_repeatability():
    result = _temps("0.7", "0.7")
    assert not result.passed
    assert "6 different next tokens" in result.message and "repeatability" in result.message


def test_temperature_too_hot_brainstorm_names_noise():
    result = _temps("0", "1.5")
    assert not result.passed
    assert "12%" in result.message and "noise" in result.message


def test_temperature_cold_brainstorm_names_lost_variety():
    result = _temps("0", "0")
    assert not result.passed and "variety is the point" in result.message


def test_temperature_decision_follows_the_measured_data():
    # If the measurement showed 1.5 still sensible, 1.5 becomes the right brainstorm temperature.
    sensible_hot = _variety([(0.0, 1, 0.0, 1.0), (0.7, 5, 2.0, 0.95), (1.5, 11, 4.0, 0.7)])
    assert _temps("0", "1.5", brainstorm=sensible_hot).passed
    assert not _temps("0", "0.7", brainstorm=sensible_hot).passed


def test_temperature_decision_needs_an_option_and_a_why():
    assert not week01.temperature_choices(INVOICE, BRAINSTORM, None, None).passed
    missing_why = week01.temperature_choices(INVOICE, BRAINSTORM, dict(choice="0", why=""), dict(choice="0.7", why=WHY))
    assert not missing_why.passed and "why" in missing_why.message
    off_menu = week01.temperature_choices(INVOICE, BRAINSTORM, dict(choice="0.2", why=WHY), dict(choice="0.7", why=WHY))
    assert not off_menu.passed and "listed options" in off_menu.message


BILLS = pd.DataFrame({"model": ["gpt-6-luna", "gpt-4o-mini", "gpt-6.2-sol", "claude-haiku-5-5"],
                      "per month": [54.0, 72.0, 1080.0, 54.0]})


def _model(choice, bills=BILLS):
    return week01.model_under_budget(bills, dict(choice=choice, why=WHY), budget=100, min_window=1_000_000,
                                     launch="2027-03-01")


@pytest.mark.parametrize("choice", ["gpt-6-luna", "claude-haiku-5-5"])
def test_model_right_choice_passes(choice):
    result = _model(choice)
    assert result.passed, result.message


def test_model_deprecated_cheap_model_names_migration():
    result = _model("gpt-4o-mini")
    assert not result.passed
    assert "shuts down on 2027-01-14" in result.message and "migrate" in result.message


def test_model_premium_model_names_budget():
    result = _model("gpt-6.2-sol")
    assert not result.passed
    assert "$1,080.00" in result.message and "over the $100 budget" in result.message


def test_model_budget_is_read_from_the_learners_bills():
    pricier = BILLS.assign(**{"per month": [154.0, 72.0, 1080.0, 54.0]})
    result = _model("gpt-6-luna", pricier)
    assert not result.passed and "over the $100 budget" in result.message


def test_model_check_on_the_unfinished_stub_says_what_to_build():
    result = week01.model_under_budget(None, None, budget=100, min_window=1_000_000)
    assert not result.passed and (result.status, result.missing) == (MISSING, "bills")


# -- a missing input is "not yet", never a raise ---------------------------------------------------
def test_a_budget_left_as_none_is_missing_not_a_format_error():
    result = week01.model_under_budget(BILLS, dict(choice="gpt-6-luna", why=WHY), budget=None, min_window=1_000_000)
    assert not result.passed and (result.status, result.missing) == (MISSING, "budget")
    assert "run the cell that makes `budget`" in result.message


def test_an_unknown_model_id_in_the_bills_is_not_yet_not_a_raise():
    typo = BILLS.assign(model=["gpt-6-lunar", "gpt-4o-mini", "gpt-6.2-sol", "claude-haiku-5-5"])
    result = _model("claude-haiku-5-5", typo)
    assert not result.passed and result.status == NOT_YET and "'gpt-6-lunar'" in result.message


def test_a_skipped_prompt_cell_is_missing_without_calling_the_model():
    result = week01.top_token(None, " Paris")
    assert not result.passed and (result.status, result.missing) == (MISSING, "prompt")


def test_a_temperature_table_with_a_blank_rate_is_missing():
    blank = BRAINSTORM.assign(**{"top-10 share": [1.0, float("nan"), 0.12]})
    result = _temps("0", "0", brainstorm=blank)
    assert not result.passed and (result.status, result.missing) == (MISSING, "brainstorm_table")


def test_a_check_called_with_the_wrong_arguments_is_not_yet():
    result = week01.temperature_choices(INVOICE)
    assert not result.passed and result.status == ERROR
