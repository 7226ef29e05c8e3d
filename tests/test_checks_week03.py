"""Week 3's exercise checks: each fails on the stub and passes on the solution; for a decision, a plausible wrong one
gets feedback that names the trade-off and the right answer follows the measured table; a missing input is "not yet".

The checks are called directly with small measured-looking tables (no notebook run, no model call), except 3.2, which
searches the bundled knowledge base's vectors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ai_pm_lab.checks import week03
from ai_pm_lab.exercises import MISSING
from ai_pm_lab.rag import RAGPipeline

WHY = "because of what I measured above"  # quotes no figure: a right choice with it is still "not yet"


def _pick(choice, why=WHY):
    return dict(choice=choice, why=why)


@pytest.fixture(scope="module")
def rag():
    return RAGPipeline()


def test_check_cosine():
    a, b = np.array([1.0, 0.0]), np.array([1.0, 1.0])
    assert not week03.cosine(a, b, None).passed
    assert week03.cosine(a, b, float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))).passed
    assert week03.cosine(a, b, 0.71).passed  # the no-code path: read the pieces, divide, type two decimals
    assert not week03.cosine(a, b, 1.0).passed  # the dot product alone, when the lengths are not 1


def test_check_top3(rag):
    q = rag.vectors[5]
    assert not week03.top3(q, rag.vectors, None).passed
    assert week03.top3(q, rag.vectors, [int(i) for i in np.argsort(-(rag.vectors @ q))[:3]]).passed


def test_check_recall():
    exact = np.array([[4, 9, 2], [7, 1, 3]])
    approx = np.array([[4, 2, 11], [7, 1, 3]])
    assert not week03.recall(approx, exact, None).passed
    assert week03.recall(approx, exact, 5 / 6).passed


def test_check_cheapest_setting():
    sweep = pd.DataFrame({"param": [1, 4, 16, 64], "recall@k": [0.3, 0.8, 0.96, 0.99], "ms/query": [0.01, 0.02, 0.04, 0.1]})
    assert not week03.cheapest_setting(sweep, None).passed
    assert not week03.cheapest_setting(sweep, dict(choice=64, why="more recall is always better: 0.99")).passed
    assert week03.cheapest_setting(sweep, dict(choice=16, why="smallest that reaches the bar: recall 0.96")).passed


# -- 3.3 keyword, semantic or both ---------------------------------------------------------------------------------
METHODS = pd.DataFrame({
    "feature": ["admin search for codes", "help chat", "agent search box"],
    "queries": [8, 8, 16],
    "keyword hit@3": [1.0, 0.5, 0.75],
    "semantic hit@3": [0.625, 1.0, 0.81],
    "both hit@3": [1.0, 1.0, 1.0],
})
RIGHT_METHODS = {"admin search for codes": "keyword", "help chat": "semantic", "agent search box": "both"}


def _cited(table, feature, choice):
    """A why quoting the chosen method's measured rate on that feature's row."""
    rate = float(table.loc[table["feature"] == feature, f"{choice} hit@3"].iloc[0])
    return _pick(choice, f"{choice} found a right page first for {rate:.0%} of these queries")


def _methods(table=METHODS, **changes):
    return week03.search_method_choice(table, {f: _cited(table, f, changes.get(f, c)) for f, c in RIGHT_METHODS.items()})


def test_search_method_right_choices_pass():
    result = _methods()
    assert result.passed, result.message


def test_semantic_for_codes_names_exact_identifiers():
    result = _methods(**{"admin search for codes": "semantic"})
    assert not result.passed
    assert "62%" in result.message and "exact" in result.message
    assert "'keyword'" not in result.message  # the feedback names the trade-off, not the right option


def test_search_method_why_must_quote_the_features_own_figures():
    right = {f: _pick(c) for f, c in RIGHT_METHODS.items()}
    result = week03.search_method_choice(METHODS, right)
    assert not result.passed and "quotes no number" in result.message
    other_row = {**{f: _cited(METHODS, f, c) for f, c in RIGHT_METHODS.items()},
                 "help chat": _pick("semantic", "keyword got 75% on the agent box")}  # a figure, but not this row's
    assert not week03.search_method_choice(METHODS, other_row).passed


def test_keyword_for_paraphrases_names_shared_words():
    result = _methods(**{"help chat": "keyword"})
    assert not result.passed
    assert "50%" in result.message and "shared words" in result.message


def test_both_when_one_method_is_enough_names_the_extra_machinery():
    result = _methods(**{"admin search for codes": "both"})
    assert not result.passed and "for nothing" in result.message


def test_one_method_on_a_mixed_set_names_what_each_misses():
    result = _methods(**{"agent search box": "semantic"})
    assert not result.passed and "misses what the other catches" in result.message


def test_search_method_follows_the_measured_data():
    semantic_wins_codes = METHODS.assign(**{"semantic hit@3": [1.0, 1.0, 0.81]})
    assert _methods(semantic_wins_codes).passed  # a tie goes to the cheaper keyword search
    hybrid_weaker = METHODS.assign(**{"both hit@3": [0.9, 0.9, 0.7]})
    assert not _methods(hybrid_weaker).passed
    assert _methods(hybrid_weaker, **{"agent search box": "semantic"}).passed


def test_search_method_needs_a_table_an_option_and_a_why():
    assert not week03.search_method_choice(None, None).passed
    assert not week03.search_method_choice(METHODS, None).passed
    no_why = {f: dict(choice=c, why="") for f, c in RIGHT_METHODS.items()}
    result = week03.search_method_choice(METHODS, no_why)
    assert not result.passed and "why" in result.message
    off_menu = {**{f: _pick(c) for f, c in RIGHT_METHODS.items()}, "help chat": _pick("vector")}
    result = week03.search_method_choice(METHODS, off_menu)
    assert not result.passed and "listed options" in result.message


# -- 3.6 which chunk size ------------------------------------------------------------------------------------------
SIZES = pd.DataFrame({"chunk size (words)": [20, 30, 60, 120], "overlap (words)": [15] * 4, "hit@3": [1.0, 1.0, 0.98, 0.94],
                      "answer in prompt": [0.875, 0.984, 0.969, 0.94], "prompt words": [70, 98, 170, 283]})


def _size(choice, table=SIZES, bar=0.95):
    row = table[table["chunk size (words)"] == int(choice)] if str(choice).isdigit() else table.iloc[:0]
    why = (f"{int(row['prompt words'].iloc[0])} words per prompt and {row['answer in prompt'].iloc[0]:.0%} of answers"
           if len(row) else "because of the sweep above")
    return week03.chunk_size_choice(table, _pick(choice, why), bar=bar)


def test_chunk_size_right_choice_passes():
    result = _size("30")
    assert result.passed, result.message


def test_too_small_chunks_name_cut_answers():
    result = _size("20")
    assert not result.passed
    assert "88%" in result.message and "cut answers" in result.message


def test_larger_chunks_name_the_words_paid_on_every_question():
    result = _size("60")
    assert not result.passed
    assert "170 words" in result.message and "every question" in result.message
    assert "98 words" not in result.message and " 30 " not in result.message  # no right answer handed over


def test_chunk_size_follows_the_learners_own_bar():
    assert _size("20", bar=0.85).passed and not _size("30", bar=0.85).passed  # a lower bar: the smallest chunks do
    assert _size("30", bar=0.99).passed  # no size reaches 99%: the closest one
    result = _size("30", bar=95)
    assert not result.passed and "between 0 and 1" in result.message


def test_chunk_size_why_must_quote_the_sweep():
    result = week03.chunk_size_choice(SIZES, _pick("30", "it felt like the right size to me"), bar=0.95)
    assert not result.passed and "`sizes`" in result.message


def test_too_large_chunks_below_the_bar_name_blurred_facts():
    result = _size("120")
    assert not result.passed and "blur" in result.message


def test_chunk_size_follows_the_measured_data():
    cut = SIZES.assign(**{"answer in prompt": [0.875, 0.93, 0.969, 0.97]})
    assert _size("60", cut).passed and not _size("30", cut).passed
    none = SIZES.assign(**{"answer in prompt": [0.7, 0.8, 0.9, 0.85]})
    assert _size("60", none).passed
    result = _size("30", none)
    assert not result.passed and "not the closest" in result.message


def test_chunk_size_needs_a_table_an_option_and_a_why():
    assert not week03.chunk_size_choice(None, None).passed
    assert not week03.chunk_size_choice(SIZES, None).passed
    result = week03.chunk_size_choice(SIZES, dict(choice="30", why=""))
    assert not result.passed and "why" in result.message
    assert not week03.chunk_size_choice(SIZES, None, bar=None).passed  # the stub: no decision, no bar
    result = _size("45")
    assert not result.passed and "listed options" in result.message


# -- 3.5 which index setting to ship ------------------------------------------------------------------------------
EF = pd.DataFrame({"param": [4, 8, 16, 32], "recall@k": [0.71, 0.9, 0.96, 0.99], "ms/query": [0.02, 0.03, 0.05, 0.09]})


def ef(choice, why="recall 0.96 at 0.05 ms per query"):
    return dict(choice=choice, why=why)


def test_ef_search_right_choice_passes():
    assert week03.cheapest_setting(EF, ef(16)).passed and week03.cheapest_setting(EF, ef("16")).passed


def test_ef_search_why_must_quote_the_sweep():
    result = week03.cheapest_setting(EF, ef(16, why="the smallest setting that meets the recall bar"))
    assert not result.passed and "`sweep`" in result.message


def test_ef_search_follows_the_learners_own_bar():
    assert week03.cheapest_setting(EF, ef(8, why="recall 0.90 is enough here"), target=0.9).passed
    assert not week03.cheapest_setting(EF, ef(16), target=0.9).passed
    assert week03.cheapest_setting(EF, ef(32, why="it reaches recall 0.99"), target=0.99).passed
    result = week03.cheapest_setting(EF, ef(16), target=1.5)
    assert not result.passed and "between 0 and 1" in result.message
    assert not week03.cheapest_setting(EF, ef(16), target=None).passed  # a bar cell skipped


def test_ef_search_answer_moves_with_the_data():
    faster_index = EF.assign(**{"recall@k": [0.71, 0.95, 0.96, 0.99]})
    assert week03.cheapest_setting(faster_index, ef(8)).passed and not week03.cheapest_setting(faster_index, ef(16)).passed


def test_ef_search_needs_the_decision_form():
    for bad in (16, None, ef(12), ef(16, why="")):
        result = week03.cheapest_setting(EF, bad)
        assert not result.passed and ("dict(choice" in result.message or "listed options" in result.message
                                      or "`why`" in result.message), bad


def test_ef_search_too_high_names_latency():
    result = week03.cheapest_setting(EF, ef(32, why="it reaches recall 0.99"))
    assert not result.passed and "0.09 ms" in result.message and "latency" in result.message
    assert "16" not in result.message  # the right setting is not handed over


def test_ef_search_too_low_names_the_quality_bar():
    result = week03.cheapest_setting(EF, ef(8, why="recall 0.90, fast"))
    assert not result.passed and "0.90" in result.message and "below your bar of 0.95" in result.message


# -- hints on request ----------------------------------------------------------------------------------------------
def test_every_exercise_has_hints_on_request():
    assert sorted(week03.HINTS) == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"]
    assert all(len(steps) >= 2 for steps in week03.HINTS.values())
    week03.hint.reset()
    first, second = week03.hint("3.5"), week03.hint("3.5")
    assert (first.step, second.step) == (1, 2) and first.text == week03.HINTS["3.5"][0]
    week03.hint.reset()


def test_not_yet_messages_on_the_stub_point_to_hints_not_recipes():
    a, b = np.array([1.0, 0.0]), np.array([1.0, 1.0])
    message = week03.cosine(a, b, None).message
    assert 'checks.hint("3.1")' in message and "np." not in message


# -- a missing input is "not yet", never a raise or a pass -----------------------------------------------
def test_a_skipped_vector_cell_is_missing_not_a_raise():
    result = week03.cosine(None, np.array([1.0, 1.0]), 0.7)
    assert not result.passed and (result.status, result.missing) == (MISSING, "a")


def test_a_blank_hit_rate_is_missing():
    blank = METHODS.assign(**{"both hit@3": [1.0, float("nan"), 1.0]})
    result = week03.search_method_choice(blank, {f: _pick(c) for f, c in RIGHT_METHODS.items()})
    assert not result.passed and (result.status, result.missing) == (MISSING, "table")


def test_a_sweep_without_the_recall_column_is_missing():
    result = week03.cheapest_setting(EF.drop(columns="recall@k"), ef(16))
    assert not result.passed and (result.status, result.missing) == (MISSING, "sweep")


def test_an_option_value_is_not_a_measured_figure():
    # "efSearch 1" is within rounding of a measured recall of 0.71: the option must not pass for a figure
    small = EF.assign(param=[1, 2, 16, 32])
    result = week03.cheapest_setting(small, ef(16, why="efSearch 16 rather than 1 or 2"))
    assert not result.passed and "`sweep`" in result.message
    assert week03.cheapest_setting(small, ef(16, why="efSearch 16: recall 0.96")).passed
    from ai_pm_lab.checks.decisions import without_options
    assert without_options("16 beats 1, and 1.5 too", ["1", "16"]).split() == ["beats", ",", "and", "1.5", "too"]
