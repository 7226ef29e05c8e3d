"""Decision exercises: the right decision passes; a plausible wrong one gets feedback that names the trade-off.

The checks are called directly with small measured-looking tables (no notebook run, no model call).
"""
from __future__ import annotations

import pandas as pd
import pytest

from ai_pm_lab.checks import week01


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


from ai_pm_lab.checks import week04  # noqa: E402

TOPK = pd.DataFrame({"top_k": [1, 2, 3, 5], "hit@k": [0.89, 0.95, 0.98, 1.0], "context words": [55, 109, 164, 273]})


def _topk(choice, table=TOPK):
    return week04.top_k_choice(table, dict(choice=choice, why=WHY), bar=0.95)


def test_top_k_right_choice_passes():
    result = _topk("2")
    assert result.passed, result.message


def test_top_k_too_many_chunks_names_the_cost():
    result = _topk("5")
    assert not result.passed
    assert "164 more words" in result.message and "every call" in result.message


def test_top_k_too_few_chunks_names_missing_evidence():
    result = _topk("1")
    assert not result.passed
    assert "89%" in result.message and "never sees" in result.message


def test_top_k_follows_the_measured_data():
    weaker = TOPK.assign(**{"hit@k": [0.7, 0.85, 0.96, 1.0]})
    assert _topk("3", weaker).passed and not _topk("2", weaker).passed


from ai_pm_lab.checks import week03  # noqa: E402

EF = pd.DataFrame({"param": [4, 8, 16, 32], "recall@k": [0.71, 0.9, 0.96, 0.99], "ms/query": [0.02, 0.03, 0.05, 0.09]})


def ef(choice, why="the smallest setting that meets the recall bar"):
    return dict(choice=choice, why=why)


def test_ef_search_right_choice_passes():
    assert week03.cheapest_setting(EF, ef(16)).passed and week03.cheapest_setting(EF, ef("16")).passed


def test_ef_search_answer_moves_with_the_data():
    faster_index = EF.assign(**{"recall@k": [0.71, 0.95, 0.96, 0.99]})
    assert week03.cheapest_setting(faster_index, ef(8)).passed and not week03.cheapest_setting(faster_index, ef(16)).passed


def test_ef_search_needs_the_decision_form():
    for bad in (16, None, ef(12), ef(16, why="")):
        result = week03.cheapest_setting(EF, bad)
        assert not result.passed and ("dict(choice" in result.message or "listed options" in result.message
                                      or "`why`" in result.message), bad


def test_ef_search_too_high_names_latency():
    result = week03.cheapest_setting(EF, ef(32))
    assert not result.passed and "0.09 ms" in result.message and "latency" in result.message


def test_ef_search_too_low_names_the_quality_bar():
    result = week03.cheapest_setting(EF, ef(8))
    assert not result.passed and "0.90" in result.message and "below the 0.95 bar" in result.message


def test_model_check_on_the_unfinished_stub_says_what_to_build():
    result = week01.model_under_budget(None, None, budget=100, min_window=1_000_000)
    assert not result.passed and "`bills`" in result.message
