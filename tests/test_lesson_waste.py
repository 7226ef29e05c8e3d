"""The lessons' waste cuts keep every result: work a lesson did twice is done once, with identical numbers.

- next_token_distribution reuses the previous prompt's evaluated start (exactly), so a judge's rubric is evaluated once;
- answer_confidence reads a prompt's rest and the answer in one pass, with the numbers of a from-scratch evaluation;
- the needle grid is asked in a prefix-sharing order on the local model, with its rows in grid order;
- a RAG evaluation asks the model only for the questions the gate lets through, all together, and logs each once;
- a ModelStep whose prepare returns None makes no model call for that item.
"""
from __future__ import annotations

import numpy as np
import pytest

from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.testing.fake_model import ScriptedModel


def _count_evaluated(monkeypatch):
    from ai_pm_lab.llm import local

    seen = []
    orig = local.ExactPrefixLlama.eval

    def counting(self, tokens):
        seen.append(len(tokens))
        return orig(self, tokens)

    monkeypatch.setattr(local.ExactPrefixLlama, "eval", counting)
    orig_rows = local.ExactPrefixLlama.eval_rows

    def counting_rows(self, tokens, first):
        seen.append(len(tokens))
        return orig_rows(self, tokens, first)

    monkeypatch.setattr(local.ExactPrefixLlama, "eval_rows", counting_rows)
    return seen


def test_next_token_reuses_a_shared_start_with_identical_scores(monkeypatch):
    from ai_pm_lab.llm import local, next_token

    shared = "You grade a support assistant's answer against a rubric. " * 6
    first, second = shared + "Answer: yes. Verdict:", shared + "Answer: no. Verdict:"
    next_token.reset_memory()
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")  # compute, never read a stored score
    seen = _count_evaluated(monkeypatch)
    next_token.next_token_distribution(first)
    before = sum(seen)
    reused = next_token.next_token_distribution(second).logits
    evaluated = sum(seen) - before
    n_tokens = len(local.llama().tokenize(second.encode(), add_bos=True, special=False))
    assert evaluated < n_tokens / 2, f"the shared start must not be evaluated again ({evaluated} of {n_tokens})"

    next_token.reset_memory()
    with local.MODEL_LOCK:
        local.llama().reset()  # from scratch
    fresh = next_token.next_token_distribution(second).logits
    assert np.array_equal(reused, fresh), "reusing the start must give the same scores as evaluating from scratch"


def test_answer_confidence_scores_in_one_pass_what_a_from_scratch_evaluation_gives(monkeypatch):
    """The rest of the prompt and the answer go through the model in one pass (not two), and every probability equals
    what plain llama-cpp-python gives evaluating prompt and answer from scratch with every row's scores kept."""
    import llama_cpp

    from ai_pm_lab.llm import confidence, local
    from ai_pm_lab.llm.backends import get_backend
    from ai_pm_lab.llm.base import build_messages

    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")
    prompt = "The Starter plan costs $24 a month.\n\nWrite a question that the sentence above answers."
    answers = ["How much is the Starter plan per month?", "Hi there", "What does the Starter plan cost?", "Why?"]
    prompt_ids = get_backend("local").chat_tokens(build_messages(prompt, None))
    reference = llama_cpp.Llama(**{**local.llama_settings(), "logits_all": True})
    expected = {}
    for answer in answers:
        answer_ids = local.tokenize(answer)
        reference.reset()
        reference.eval(prompt_ids + answer_ids[:-1])
        rows = reference.scores[len(prompt_ids) - 1:len(prompt_ids) + len(answer_ids) - 1]
        probs = []
        for row, token in zip(rows, answer_ids):  # the softmax probability of each answer token, in float64
            z = row.astype(np.float64) - float(row.max())
            probs.append(float(np.exp((z - np.log(np.exp(z).sum()))[token])))
        expected[answer] = tuple(probs)
    del reference

    passes = []
    orig = local.ExactPrefixLlama.eval_rows
    monkeypatch.setattr(local.ExactPrefixLlama, "eval_rows", lambda self, tokens, first: passes.append(len(tokens))
                        or orig(self, tokens, first))
    for answer in answers + answers[::-1]:  # the same prompt again and again: its start is reused, exactly
        assert confidence.answer_confidence(prompt, answer).token_probs == expected[answer], answer
    assert len(passes) == 2 * len(answers), "one pass per answer"
    assert max(passes[1:]) < len(prompt_ids) / 2, f"the prompt must not be evaluated again ({passes})"


def test_needle_grid_reuses_prefixes_and_keeps_grid_order(monkeypatch):
    from ai_pm_lab.limits import context
    from ai_pm_lab.llm import generate

    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")
    positions, fills = (0.0, 1.0), (0.03, 0.06)
    seen = _count_evaluated(monkeypatch)
    # grid order, one by one: what the lesson asked before
    plain = [generate(context.needle_case(p, f, seed=0)["prompt"], temperature=0.0, max_tokens=8, seed=0).text
             for f in fills for p in positions]
    plain_tokens = sum(seen)
    seen.clear()
    ordered = context.run_needle(positions=positions, fills=fills, n=1, max_tokens=8, progress=False)
    assert list(ordered[["position", "fill"]].itertuples(index=False)) == [(p, f) for f in fills for p in positions]
    assert ordered["answer"].tolist() == plain, "the order of asking must not change an answer"
    assert sum(seen) < plain_tokens, "the prefix-sharing order must evaluate fewer tokens"


def test_model_step_prepare_none_makes_no_call():
    with ScriptedModel("fine") as model:
        rows = run_harness([{"x": 1}, {"x": 2}, {"x": 3}],
                           ModelStep(lambda item: None if item["x"] == 2 else {"prompt": f"q{item['x']}"},
                                     lambda item, g: {"answer": None if g is None else g.text}),
                           progress=False)
    assert [c.prompt for c in model.calls] == ["q1", "q3"]
    assert rows["answer"].fillna("none").tolist() == ["fine", "none", "fine"] and rows["error"].isna().all()


def test_rag_eval_asks_only_what_the_gate_lets_through_and_logs_each_once(tmp_path):
    from ai_pm_lab.evaluation import rag_eval
    from ai_pm_lab.rag import EventLog, RAGPipeline, load_eval

    rows = load_eval()
    sample = [r for r in rows if r["doc_ids"]][:3] + [r for r in rows if not r["doc_ids"]][:3]
    log = EventLog(tmp_path / "events.jsonl")
    rag = RAGPipeline(log=log, progress=False)
    with ScriptedModel("The answer is in the policy [kb-001].") as model:
        out = rag_eval.run_rag_eval(rag, sample, progress=False)
    by_gate = out["refused_by"].isin(["gate", "threshold"]).sum()
    assert len(model.calls) == len(sample) - by_gate, "one model call per question the gate let through"
    assert len(log.read()) == len(sample), "every question is logged exactly once"
    assert out["error"].isna().all() and list(out["id"]) == [r["id"] for r in sample]


@pytest.mark.parametrize("backend", ["local"])
def test_judge_on_the_local_model_scores_without_generating(backend, monkeypatch):
    from ai_pm_lab.evaluation import judge

    rows = judge.load_judge_labels()[:2]  # the local judge reads the real model's scores (two passes), never generates
    monkeypatch.setattr(judge, "generate", lambda *a, **k: pytest.fail("the local judge must not generate text"))
    out = judge.run_judge(rows, backend=backend, progress=False)
    assert np.isfinite(out["score"].astype(float)).all() and out["judge_pass"].isna().all()  # no pass mark: no verdict


@pytest.mark.parametrize("name, batched", [("local", False), ("openai", True)])
def test_sharing_prefixes_goes_one_by_one_only_on_the_local_model(name, batched):
    from ai_pm_lab.evaluation.harness import sharing_prefixes

    step = ModelStep(lambda item: {"prompt": item["q"]}, lambda item, g: {"answer": g.text})
    with ScriptedModel(lambda prompt: prompt.upper(), name=name) as model:
        call = sharing_prefixes(step)
        rows = run_harness([{"q": "a"}, {"q": "b"}], call, progress=False)
    assert (call is step) == batched
    assert rows["answer"].tolist() == ["A", "B"] and [c.prompt for c in model.calls] == ["a", "b"]


def test_rag_eval_asks_a_wrapping_pipeline_through_its_own_answer():
    """A stand-in that records each answer (week 7's trade-off explorer) must see every question."""
    from ai_pm_lab.evaluation import rag_eval
    from ai_pm_lab.rag import RAGPipeline, load_eval

    class Recorder:
        def __init__(self, pipeline):
            self.pipeline, self.seen = pipeline, []

        def __getattr__(self, name):
            return getattr(self.pipeline, name)

        def answer(self, question, **kwargs):
            self.seen.append(question)
            return self.pipeline.answer(question, **kwargs)

    rows = load_eval()[:3]
    recorder = Recorder(RAGPipeline(progress=False))
    with ScriptedModel("From the policy."):
        out = rag_eval.run_rag_eval(recorder, rows, progress=False)
    assert recorder.seen == [r["question"] for r in rows] and out["error"].isna().all()


def test_extractive_answers_scored_together_read_each_candidate_once_with_the_same_picks(monkeypatch, tmp_path):
    from ai_pm_lab.rag import EventLog, RAGPipeline, load_eval

    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")  # compute every score, never read a stored one
    rows = [r for r in load_eval() if r["doc_ids"]][:4] + [r for r in load_eval() if not r["doc_ids"]][:2]
    questions = [r["question"] for r in rows]
    log = EventLog(tmp_path / "events.jsonl")
    rag = RAGPipeline(log=log, progress=False)
    seen = _count_evaluated(monkeypatch)
    alone = [rag.answer(q, answer_mode="extractive") for q in questions]
    evaluated_alone = sum(seen)
    together = rag.extract_many(questions)
    evaluated_together = sum(seen) - evaluated_alone
    assert [a.text for a in together] == [a.text for a in alone]
    assert [a.pick.scores if a.pick else None for a in together] == [a.pick.scores if a.pick else None for a in alone]
    assert [a.abstained for a in together] == [a.abstained for a in alone]
    print(f"tokens evaluated: {evaluated_alone} one question at a time, {evaluated_together} together")
    assert evaluated_together < 0.8 * evaluated_alone, (evaluated_together, evaluated_alone)
    assert len(log.read()) == 2 * len(questions), "each answer is logged once per run"


def test_judge_scores_answers_on_one_context_together_with_the_same_lifts(monkeypatch):
    """run_judge on the local model scores every pass first, in prompt order, so answers judged on the same context
    reuse it: the same grounding lifts as one answer at a time, fewer tokens evaluated."""
    from ai_pm_lab.evaluation import judge

    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")  # compute every score, never read a stored one
    rows = [r for r in judge.load_heldout_labels()]
    by_context = {}
    for r in rows:
        by_context.setdefault(r["context"], []).append(r)
    rows = [r for group in by_context.values() if len(group) > 1 for r in group][:6]  # answers sharing a context
    rows = rows[::2] + rows[1::2]  # interleaved: one at a time, each answer's context is read again
    assert len(rows) == 6
    seen = _count_evaluated(monkeypatch)
    alone = [judge.grounding_lift(r["question"], r["answer"], r["context"]) for r in rows]
    evaluated_alone = sum(seen)
    out = judge.run_judge(rows, backend="local", progress=False)
    evaluated_together = sum(seen) - evaluated_alone
    assert out["score"].tolist() == alone
    print(f"tokens evaluated: {evaluated_alone} one answer at a time, {evaluated_together} together")
    assert evaluated_together < 0.8 * evaluated_alone, (evaluated_together, evaluated_alone)


def test_judge_records_a_bad_row_in_its_own_row():
    from ai_pm_lab.evaluation import judge

    rows = judge.load_judge_labels()[:2]
    rows[1] = {**rows[1], "answer": 42}
    with pytest.warns(Warning, match="1 of 2 items failed.*answer"):
        out = judge.run_judge(rows, backend="local", progress=False, threshold=0.0)
    assert out["id"].tolist() == [rows[0]["id"]] and out["judge_pass"].notna().all()  # the good row is still judged
