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
WHY = "because of what I measured above"  # quotes no figure: a right choice with it is still "not yet"


def _cite(table, choice):
    """A why quoting the chosen row's measured variety."""
    row = table[table["temperature"] == float(choice)]
    if not len(row):
        return WHY
    return f"{int(row['distinct in 20 draws'].iloc[0])} distinct draws, top-10 share {row['top-10 share'].iloc[0]:.2f}"


def _temps(inv, brain, invoice=INVOICE, brainstorm=BRAINSTORM, share=0.5):
    return week01.temperature_choices(invoice, brainstorm, dict(choice=inv, why=_cite(invoice, inv)),
                                      dict(choice=brain, why=_cite(brainstorm, brain)), sensible_share=share)


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


def test_temperature_why_must_quote_its_own_table():
    result = week01.temperature_choices(INVOICE, BRAINSTORM, dict(choice="0", why=WHY), dict(choice="0.7", why=WHY))
    assert not result.passed and "`invoice_table`" in result.message and "`brainstorm_table`" in result.message
    temperature_only = dict(choice="0", why="temperature 0 and 0.7 and 1.5 are the options")  # not a measurement
    result = week01.temperature_choices(INVOICE, BRAINSTORM, temperature_only, dict(choice="0.7", why="9 distinct"))
    assert not result.passed and "`invoice_table`" in result.message


def test_temperature_follows_the_learners_own_tolerance():
    assert _temps("0", "1.5", share=0.1).passed  # a learner who accepts 12% on the top ten takes the hottest
    assert not _temps("0", "0.7", share=0.1).passed
    assert _temps("0", "0", share=0.9).passed and not _temps("0", "0.7", share=0.9).passed  # 83% on the top ten is too noisy
    result = _temps("0", "0.7", share=50)
    assert not result.passed and "between 0 and 1" in result.message


def test_temperature_decision_needs_an_option_and_a_why():
    assert not week01.temperature_choices(INVOICE, BRAINSTORM, None, None).passed
    missing_why = week01.temperature_choices(INVOICE, BRAINSTORM, dict(choice="0", why=""), dict(choice="0.7", why=WHY))
    assert not missing_why.passed and "why" in missing_why.message
    off_menu = week01.temperature_choices(INVOICE, BRAINSTORM, dict(choice="0.2", why=WHY), dict(choice="0.7", why=WHY))
    assert not off_menu.passed and "listed options" in off_menu.message


BILLS = pd.DataFrame({"model": ["gpt-6-luna", "gpt-4o-mini", "gpt-6.2-sol", "claude-haiku-5-5"],
                      "per month": [54.0, 72.0, 1080.0, 54.0]})


def _model(choice, bills=BILLS, budget=100, why=None):
    cost = bills.loc[bills["model"] == choice, "per month"]
    why = why or (f"about ${cost.iloc[0]:,.0f} a month" if len(cost) else WHY)
    return week01.model_under_budget(bills, dict(choice=choice, why=why), budget=budget, min_window=1_000_000,
                                     launch="2027-03-01")


def test_model_why_must_quote_a_monthly_bill():
    result = _model("gpt-6-luna", why="cheapest current model with a big window")
    assert not result.passed and "`bills`" in result.message


def test_model_follows_the_learners_own_budget():
    assert not _model("gpt-6-luna", budget=50).passed  # $54 is over a $50 budget
    assert _model("gpt-6.2-sol", budget=2000).passed


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


# -- hints on request -------------------------------------------------------------------------------------------
def test_every_exercise_has_hints_on_request():
    assert sorted(week01.HINTS) == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert all(len(steps) >= 2 for steps in week01.HINTS.values())
    week01.hint.reset()
    assert week01.hint("1.5").text == week01.HINTS["1.5"][0] and week01.hint("1.5").step == 2
    week01.hint.reset()


def test_feedback_does_not_state_the_rule():
    result = _temps("0.7", "0.7")
    assert "least variety" not in result.message  # the wrong invoice pick hears the trade-off, not the recipe
