"""Weeks 1-2 additions from the guide: failure kinds of the probe and a measured prompt change (edge cases and
iteration), confidence from token probabilities and how it tracks correctness, and claims of understanding checked
against the task. Scripted model replies, synthetic probe rows; assertions on deterministic computations only."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from ai_pm_lab.limits import confidence, edge_cases, understanding
from ai_pm_lab.limits.capabilities import load_tasks
from ai_pm_lab.llm.backends import generate
from ai_pm_lab.llm.confidence import AnswerConfidence, answer_confidence
from ai_pm_lab.testing.fake_model import ScriptedModel

TASKS = {t["id"]: t for t in load_tasks()}


def probe_rows(rows):
    """Synthetic probe results in run_probe()'s shape."""
    out = []
    for task_id, answer, correct, tokens, error in rows:
        t = TASKS[task_id]
        out.append({"capability": t["capability"], "id": task_id, "prompt": t["prompt"], "answer": answer,
                    "correct": correct, "scorer": t["scorer"], "latency_s": 0.1, "completion_tokens": tokens, "error": error})
    return pd.DataFrame(out)


# ---------- edge cases: failure kinds ----------

def test_failure_kinds_follow_the_written_rules():
    probe = probe_rows([
        ("extraction-01", '{"name": "Maria Lopez", "city": "Denver"}', True, 20, None),
        ("extraction-02", "Order 5521 was placed by", False, 48, None),       # no JSON, used every token: cut off
        ("extraction-03", "The email is priya at example", False, 10, None),  # no JSON, short: wrong format
        ("extraction-04", '{"day": "Monday", "room": "B12"}', False, 20, None),  # JSON, wrong value: wrong content
        ("classification-01", "", False, 0, "ProviderError: down"),             # no answer
        ("classification-02", "positive", False, 1, None),                       # a label, the wrong one
        ("reasoning-01", "I think the shop is nice", False, 12, None),          # no number
    ])
    kinds = edge_cases.failure_kinds(probe).set_index("id")["failure"].to_dict()
    assert kinds == {"extraction-02": "cut off", "extraction-03": "wrong format", "extraction-04": "wrong content",
                     "classification-01": "no answer", "classification-02": "wrong content",
                     "reasoning-01": "wrong format"}
    table = edge_cases.failure_table(probe)
    assert list(table.columns) == ["items", "failed", *edge_cases.KINDS]
    assert table.loc["extraction", "items"] == 4 and table.loc["extraction", "failed"] == 3
    assert table["failed"].sum() == 6 and table.index[0] == "extraction"  # most failures first


def test_before_after_scores_the_same_items_with_the_changed_prompt():
    ids = [f"classification-0{i}" for i in range(1, 4)]
    probe = probe_rows([(i, "I am not sure", False, 5, None) for i in ids])
    expected = {TASKS[i]["prompt"]: TASKS[i]["expected"] for i in ids}
    with ScriptedModel(lambda prompt: expected[prompt.rsplit("\n", 1)[0]]) as model:
        result = edge_cases.before_after(probe, "classification", "One word only.", progress=False)
    assert list(result["id"]) == ids and not result["correct_before"].any() and result["correct_after"].all()
    assert all(p.endswith("\nOne word only.") for p in model.prompts) and len(model.prompts) == 3
    with pytest.raises(ValueError, match="Unknown capability"):
        edge_cases.before_after(probe, "poetry", "x")
    with pytest.raises(ValueError, match="no 'reasoning' items"):
        edge_cases.before_after(probe, "reasoning", "x")
    with pytest.raises(TypeError, match="run_probe"):
        edge_cases.failure_table(pd.DataFrame({"a": [1]}))


# ---------- display confidence ----------

def test_confidence_summaries_are_computed_from_token_probabilities():
    c = AnswerConfidence(2, (0.5, 0.125))
    assert c.first_token == 0.5 and c.mean_logprob == pytest.approx(math.log(0.25)) and c.score == pytest.approx(0.25)
    assert math.isnan(AnswerConfidence(0, ()).score)


def test_confidence_bands_auc_and_flags():
    scored = pd.DataFrame({"confidence": [0.9, 0.8, 0.6, 0.3, 0.2, 0.1], "correct": [True, True, False, True, False, False]})
    bands = confidence.by_band(scored)
    assert list(bands["answers"]) == [2, 1, 1, 2] and list(bands["right"]) == [0, 1, 0, 2]
    assert confidence.roc_auc(scored) == pytest.approx(8 / 9)
    assert math.isnan(confidence.roc_auc(scored.assign(correct=True)))
    flags = confidence.flag_low(scored, 0.5)
    assert flags == {"threshold": 0.5, "answers": 6, "flagged": 3, "wrong": 3, "wrong and flagged": 2, "right but flagged": 1}
    with pytest.raises(ValueError, match="increasing"):
        confidence.by_band(scored, bands=(0.5, 0.2))


def test_answer_confidence_reads_the_local_models_own_probabilities():
    likely = answer_confidence("What is the capital of France? Answer in a few words.", "Paris")
    unlikely = answer_confidence("What is the capital of France? Answer in a few words.", "Zebra crossing")
    assert likely.tokens >= 1 and all(0 < p <= 1 for p in likely.token_probs + unlikely.token_probs)
    assert likely.score > unlikely.score  # deterministic: the model's own scores, no sampling
    again = answer_confidence("What is the capital of France? Answer in a few words.", "Paris")
    assert again.token_probs == pytest.approx(likely.token_probs)


def test_reading_confidence_leaves_generation_unchanged():
    prompt = "Name a colour of the sky."
    before = generate(prompt, temperature=0.8, max_tokens=12, seed=5).text
    answer_confidence(prompt, "Blue, on a clear day, and grey when it rains.")
    after = generate(prompt, temperature=0.8, max_tokens=12, seed=5).text
    assert after == before  # the cached prefix stays exact: same seed, same text


def test_add_confidence_keeps_answered_rows():
    probe = probe_rows([("factual_recall-01", "Paris", True, 2, None), ("factual_recall-02", "", False, 0, "X: y"),
                        ("reasoning-01", "8", True, 1, None)])
    scored = confidence.add_confidence(probe, progress=False)  # short-answer capabilities only, answered rows only
    assert list(scored["id"]) == ["factual_recall-01"] and scored["confidence"].between(0, 1).all()
    assert list(confidence.add_confidence(probe, None, progress=False)["id"]) == ["factual_recall-01", "reasoning-01"]


# ---------- don't anthropomorphise ----------

def test_claims_and_checks_are_separate_facts():
    assert understanding.claims_understanding("Sure! The word backwards is tenalp.")
    assert understanding.claims_understanding("I understand. It is 'tnalp'.")
    assert not understanding.claims_understanding("tenalp")
    items = understanding.tasks(["planet"])
    assert [(t["kind"], t["expected"]) for t in items] == [("reverse", "tenalp"), ("count", "6")]
    assert understanding.solved(items[0], "It is tenalp.") and not understanding.solved(items[0], "It is tnalp.")
    assert understanding.solved(items[1], "The word planet has 6 letters.")
    assert not understanding.solved(items[1], "Planet has 7 letters.")
    with pytest.raises(ValueError, match="letters only"):
        understanding.tasks(["a b"])


def test_run_check_counts_claims_and_failures():
    replies = {"planet": "Sure, I can do that! tnalp", "garden": "nedrag"}

    def reply(prompt):
        word = prompt.split("'")[1]
        return replies[word] if "backwards" in prompt else f"Of course. {word} has {len(word)} letters."

    with ScriptedModel(reply):
        rows = understanding.run_check(["planet", "garden"], progress=False)
    assert understanding.counts(rows) == {"tasks": 4, "claimed understanding": 3, "solved": 3, "claimed but failed": 1}
