"""Week 3 and 4 decision exercises: the right decision passes; a plausible wrong one gets feedback naming the trade-off.

The checks are called directly with small measured-looking tables (no notebook run, no model call), plus the
package functions they are measured with (conflict rules on plain documents).
"""
from __future__ import annotations

import pandas as pd
import pytest

from ai_pm_lab.checks import week03, week04
from ai_pm_lab.rag.chunking import Chunk
from ai_pm_lab.rag.conflicts import RULES, apply_conflict_rule, right_documents, rule_scores, winners
from ai_pm_lab.rag.documents import Document

WHY = "because of what I measured above"


def _pick(choice):
    return dict(choice=choice, why=WHY)


# -- 3.3 keyword, semantic or both ---------------------------------------------------------------------------------
METHODS = pd.DataFrame({
    "feature": ["admin search for codes", "help chat", "agent search box"],
    "queries": [8, 8, 16],
    "keyword hit@3": [1.0, 0.5, 0.75],
    "semantic hit@3": [0.625, 1.0, 0.81],
    "both hit@3": [1.0, 1.0, 1.0],
})
RIGHT_METHODS = {"admin search for codes": "keyword", "help chat": "semantic", "agent search box": "both"}


def _methods(**changes):
    return week03.search_method_choice(METHODS, {f: _pick(changes.get(f, c)) for f, c in RIGHT_METHODS.items()})


def test_search_method_right_choices_pass():
    result = _methods()
    assert result.passed, result.message


def test_semantic_for_codes_names_exact_identifiers():
    result = _methods(**{"admin search for codes": "semantic"})
    assert not result.passed
    assert "62%" in result.message and "exact" in result.message


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
    picks = {f: _pick(c) for f, c in RIGHT_METHODS.items()}
    assert week03.search_method_choice(semantic_wins_codes, picks).passed  # a tie goes to the cheaper keyword search
    hybrid_weaker = METHODS.assign(**{"both hit@3": [0.9, 0.9, 0.7]})
    assert not week03.search_method_choice(hybrid_weaker, picks).passed
    assert week03.search_method_choice(hybrid_weaker, {**picks, "agent search box": _pick("semantic")}).passed


def test_search_method_needs_a_table_an_option_and_a_why():
    assert not week03.search_method_choice(None, None).passed
    assert not week03.search_method_choice(METHODS, None).passed
    no_why = {f: dict(choice=c, why="") for f, c in RIGHT_METHODS.items()}
    result = week03.search_method_choice(METHODS, no_why)
    assert not result.passed and "why" in result.message
    off_menu = {**{f: _pick(c) for f, c in RIGHT_METHODS.items()}, "help chat": _pick("vector")}
    result = week03.search_method_choice(METHODS, off_menu)
    assert not result.passed and "listed options" in result.message


# -- 4.6 a conflict rule per situation -----------------------------------------------------------------------------
def _doc(doc_id, date, scope="all", topic="refund-policy"):
    return Document(doc_id, doc_id, date, "text", meta={"topic": topic, "scope": scope})


OLD, NEW, EU = _doc("old", "2024-03-01"), _doc("new", "2025-09-15"), _doc("eu", "2025-03-01", "EU region")
DOCS = {d.id: d for d in (OLD, NEW, EU, _doc("sla", "2025-05-10", topic="sla"))}


def _chunk(doc_id):
    return Chunk(f"{doc_id}#0", doc_id, doc_id, DOCS[doc_id].date, "text", 0)


def test_document_scope_defaults_to_all():
    assert Document("a", "a", "2025-01-01", "text").scope == "all" and EU.scope == "EU region"


def test_each_rule_keeps_its_documents():
    assert [d.id for d in winners([OLD, NEW, EU], "newest")] == ["new"]
    assert [d.id for d in winners([OLD, NEW, EU], "most specific")] == ["eu"]
    assert [d.id for d in winners([OLD, NEW, EU], "show both")] == ["new", "eu"]  # the 2024 version is still replaced
    with pytest.raises(ValueError, match="rule must be one of"):
        winners([OLD], "oldest")


def test_apply_conflict_rule_leaves_other_topics_alone():
    hits = [_chunk(i) for i in ("eu", "sla", "old", "new")]
    kept, dropped, notes = apply_conflict_rule(hits, DOCS, "most specific")
    assert [c.doc_id for c in kept] == ["eu", "sla"] and {c.doc_id for c in dropped} == {"old", "new"}
    assert len(notes) == 1 and "EU region" in notes[0]


def test_right_documents_depend_on_who_asks():
    assert right_documents([OLD, NEW, EU], "EU region") == {"eu"}
    assert right_documents([OLD, NEW, EU], "US") == {"new"}
    assert right_documents([OLD, NEW, EU], None) == {"new", "eu"}


def _cases(rows):
    return pd.DataFrame(rows, columns=["situation", "question", "rule", "right policy", "documents"])


SITUATIONS = {"EU customer signed in": "most specific", "US customer signed in": "newest",
              "visitor, region unknown": "show both"}
CASES = _cases([
    (situation, q, rule, right, docs)
    for q in ("q1", "q2")
    for situation, rule_right in SITUATIONS.items()
    for rule, right, docs in (("newest", rule_right == "newest", 1), ("most specific", rule_right == "most specific", 1),
                              ("show both", rule_right == "show both", 2))
])
SCORES = rule_scores(CASES)


def _rules(**changes):
    return week04.conflict_rule_choice(SCORES, {s: _pick(changes.get(s, r)) for s, r in SITUATIONS.items()})


def test_rule_scores_summarise_each_situation_and_rule():
    assert len(SCORES) == len(SITUATIONS) * len(RULES)
    assert set(SCORES.columns) >= {"situation", "rule", "right policy", "documents per prompt", "questions"}


def test_conflict_rule_right_choices_pass():
    result = _rules()
    assert result.passed, result.message


def test_newest_for_the_eu_customer_names_the_overridden_exception():
    result = _rules(**{"EU customer signed in": "newest"})
    assert not result.passed
    assert "0%" in result.message and "100%" in result.message and "exception" in result.message


def test_most_specific_for_everyone_names_customers_it_does_not_cover():
    result = _rules(**{"US customer signed in": "most specific"})
    assert not result.passed and "does not cover" in result.message


def test_show_both_when_the_asker_is_known_names_the_cost():
    result = _rules(**{"US customer signed in": "show both"})
    assert not result.passed and "tokens" in result.message and "which one is theirs" in result.message


def test_conflict_rule_follows_the_measured_data():
    picks = {s: _pick(r) for s, r in SITUATIONS.items()}
    # If retrieval never brought the EU version up for the EU customer, no rule helps: the tie goes to fewer documents.
    missed = SCORES.copy()
    missed.loc[missed["situation"] == "EU customer signed in", "right policy"] = 0.0
    assert week04.conflict_rule_choice(missed, {**picks, "EU customer signed in": _pick("newest")}).passed
    assert not week04.conflict_rule_choice(missed, {**picks, "EU customer signed in": _pick("show both")}).passed
    # If the measurement favoured another rule, that rule becomes the right one.
    flipped = SCORES.copy()
    us = flipped["situation"] == "US customer signed in"
    flipped.loc[us, "right policy"] = flipped.loc[us, "rule"].map({"newest": 0.5, "most specific": 1.0, "show both": 0.0})
    assert not week04.conflict_rule_choice(flipped, picks).passed
    assert week04.conflict_rule_choice(flipped, {**picks, "US customer signed in": _pick("most specific")}).passed


def test_conflict_rule_needs_a_table_an_option_and_a_why():
    assert not week04.conflict_rule_choice(None, None).passed
    assert not week04.conflict_rule_choice(SCORES, None).passed
    result = week04.conflict_rule_choice(SCORES, {s: dict(choice=r, why="") for s, r in SITUATIONS.items()})
    assert not result.passed and "why" in result.message
    result = _rules(**{"EU customer signed in": "oldest"})
    assert not result.passed and "listed options" in result.message


# -- 3.6 which chunk size ------------------------------------------------------------------------------------------
SIZES = pd.DataFrame({"chunk size (words)": [20, 30, 60, 120], "overlap (words)": [15] * 4, "hit@3": [1.0, 1.0, 0.98, 0.94],
                      "answer in prompt": [0.875, 0.984, 0.969, 0.94], "prompt words": [70, 98, 170, 283]})


def _size(choice, table=SIZES):
    return week03.chunk_size_choice(table, _pick(choice), bar=0.95)


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


def test_too_large_chunks_below_the_bar_name_blurred_facts():
    result = _size("120")
    assert not result.passed and "blur" in result.message


def test_chunk_size_follows_the_measured_data():
    cut = SIZES.assign(**{"answer in prompt": [0.875, 0.93, 0.969, 0.97]})
    assert _size("60", cut).passed and not _size("30", cut).passed
    none = SIZES.assign(**{"answer in prompt": [0.7, 0.8, 0.9, 0.85]})
    assert _size("60", none).passed
    result = _size("30", none)
    assert not result.passed and "comes closest" in result.message


def test_chunk_size_needs_a_table_an_option_and_a_why():
    assert not week03.chunk_size_choice(None, None).passed
    assert not week03.chunk_size_choice(SIZES, None).passed
    result = week03.chunk_size_choice(SIZES, dict(choice="30", why=""))
    assert not result.passed and "why" in result.message
    result = _size("45")
    assert not result.passed and "listed options" in result.message


# -- the bundled knowledge base: scope in the front matter, the EU policy measured against the general one ------------
def test_refund_policies_carry_a_scope_and_the_eu_edition_stays_out_of_the_main_base():
    from ai_pm_lab.rag.documents import load_folder, load_kb, scoped_folder

    assert {d.id: d.scope for d in load_kb() if d.topic == "refund-policy"} == {"kb-001": "all", "kb-002": "all"}
    (eu,) = load_folder(scoped_folder()).documents
    assert (eu.id, eu.topic, eu.scope) == ("kb-029", "refund-policy", "EU region")


def test_conflict_rules_on_the_real_refund_policies():
    from ai_pm_lab.rag import RAGPipeline, kb_folder
    from ai_pm_lab.rag.conflicts import compare_conflict_rules
    from ai_pm_lab.rag.documents import scoped_folder

    rag = RAGPipeline([kb_folder(), scoped_folder()], resolve_conflicts=False, gate=None, progress=False)
    cases = compare_conflict_rules(rag, ["How long do enterprise customers have to request a refund?"],
                                   {"EU": "EU region", "anyone": None}, top_k=3)
    right = cases.set_index(["situation", "rule"])["right policy"]
    assert right["EU", "most specific"] and not right["EU", "newest"]
    assert right["anyone", "show both"] and not right["anyone", "most specific"]
    with pytest.raises(ValueError, match="two versions"):
        compare_conflict_rules(rag, ["What uptime does Tidewell promise?"], {"anyone": None}, top_k=1)
