"""The local model reuses the cached prompt prefix, and that changes no number: same seed → same text in any call order,
and the next-token scores the sampler draws from equal a from-scratch evaluation exactly (bit for bit)."""
from __future__ import annotations

import llama_cpp
import numpy as np
import pytest

import ai_pm_lab as lab
from ai_pm_lab.llm import local

CONTEXT = " ".join(
    f"Policy {i}: orders of type {chr(65 + i)} can be returned within {10 + 3 * i} days and are refunded to the original card."
    for i in range(6)
)
SYSTEM = "You are the support assistant of an online shop. Answer from the policies below in one sentence.\n\n" + CONTEXT
QUESTIONS = ["How long do I have to return an order of type C?", "Is a refund paid in cash?", "What is policy 7 about?"]


@pytest.fixture(scope="module")
def reference():
    """A second, unmodified llama_cpp.Llama built with the package's exact settings: the from-scratch baseline."""
    return llama_cpp.Llama(**local.llama_settings())


@pytest.fixture()
def model():
    with local.MODEL_LOCK:
        llm = local.llama()
        llm.reset()
        yield llm
        llm.reset()


def first_step_scores(llm, **call):
    """(prompt token ids, raw logits the sampler starts from) for one call of create_chat_completion/create_completion."""
    seen = []

    def capture(input_ids, scores):
        if not seen:
            seen.append((np.array(input_ids, dtype=np.intc), np.array(scores, dtype=np.float32)))
        return scores

    method = llm.create_chat_completion if "messages" in call else llm.create_completion
    out = method(logits_processor=llama_cpp.LogitsProcessorList([capture]), **call)
    return seen[0][0], seen[0][1], out


def fresh_scores(reference, prompt_ids) -> np.ndarray:
    """Logits after evaluating ``prompt_ids`` from an empty cache on the unmodified llama_cpp.Llama."""
    reference.reset()
    reference.eval([int(t) for t in prompt_ids])
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(reference.ctx, -1), shape=(reference.n_vocab(),)).copy()


def test_fresh_chunks_never_leave_a_token_alone_except_where_a_fresh_evaluation_does():
    edges = [0, 1, 2, 3, 509, 510, 511, 512, 513, 514, 1022, 1023, 1024, 1025, 1026]
    cases = [(b, s, n) for b in (4, 7) for s in range(2 * b + 3) for n in range(1, 3 * b + 3)]
    cases += [(512, s, n) for s in edges for n in [e for e in edges if e] + [700, 1100]]
    for n_batch, start, n in cases:
        tokens = list(range(start, start + n))
        chunks = local.fresh_chunks(start, tokens, n_batch)
        assert [t for c in chunks for t in c] == tokens, "chunks must cover the tokens in order"
        assert all(1 <= len(c) <= n_batch for c in chunks), "a chunk is one decode call of at most n_batch"
        lone = [c for c in chunks if len(c) == 1]
        fresh_lone = (start + n) % n_batch == 1  # evaluation from 0 puts the last token alone exactly then
        if n == 1:
            continue  # a single token is alone whatever we do; reusable_prefix never asks for this
        if n == 2 and fresh_lone:
            continue  # reusable_prefix backs off instead (body of one token)
        assert lone == ([[tokens[-1]]] if fresh_lone else []), (start, n, [len(c) for c in chunks])


def test_same_seed_same_text_in_any_call_order(model):
    a, b = QUESTIONS[:2]

    def ask(q):
        return lab.generate(q, system=SYSTEM, backend="local", temperature=0.9, seed=11, max_tokens=12).text

    first_a = ask(a)
    then_b = ask(b)  # reuses the shared system + context prefix that A left in the cache
    reused = model.last_reuse
    assert reused[0] > 60, f"the shared prefix should be reused (reused, prompt tokens) = {reused}"
    a_after_b = ask(a)
    a_twice = ask(a)  # the same prompt twice in a row: all of it is cached
    model.reset()
    fresh_a = ask(a)
    model.reset()
    fresh_b = ask(b)
    assert first_a == a_after_b == a_twice == fresh_a, "same seed must give the same text whatever was asked before"
    assert then_b == fresh_b, "a prompt that reuses another's prefix must give the text it gives from scratch"


def test_next_token_scores_equal_a_fresh_evaluation_exactly(model, reference):
    for q in QUESTIONS + QUESTIONS[:1]:  # the last one repeats the first prompt: a fully cached prompt
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]
        ids, scores, _ = first_step_scores(model, messages=messages, temperature=0.7, seed=3, max_tokens=1)
        kept, total = model.last_reuse
        assert total == len(ids)
        expected = fresh_scores(reference, ids)
        assert np.array_equal(scores, expected), (
            f"scores after reusing {kept} of {total} cached tokens differ from a fresh evaluation by up to "
            f"{np.abs(scores - expected).max():.3g}"
        )


def test_five_turn_chat_scores_and_text_equal_fresh(model, reference):
    history, turns = [], ["Hi! I want to return a jacket.", "It was order type B.", "How many days do I have?",
                          "Will the money go back to my card?", "Thanks. Anything else I should know?"]
    for turn, user in enumerate(turns):
        messages = [{"role": "system", "content": SYSTEM}, *history, {"role": "user", "content": user}]
        ids, scores, out = first_step_scores(model, messages=messages, temperature=0.8, seed=5, max_tokens=10)
        kept, total = model.last_reuse
        if turn:
            assert kept > 60, f"turn {turn + 1} should reuse the earlier turns (reused {kept} of {total})"
        text = out["choices"][0]["message"]["content"]
        expected = fresh_scores(reference, ids)
        assert np.array_equal(scores, expected), f"turn {turn + 1}: scores differ from a fresh evaluation"
        reference.reset()
        fresh = reference.create_chat_completion(messages=messages, temperature=0.8, seed=5, max_tokens=10)
        assert fresh["choices"][0]["message"]["content"] == text, f"turn {turn + 1}: same seed, different text"
        history += [{"role": "user", "content": user}, {"role": "assistant", "content": text}]


def test_long_prompts_across_batch_boundaries_equal_fresh(model, reference):
    """Prompts up to and past one decode batch (512 tokens), including 513 tokens, where a fresh evaluation decodes
    the last token on its own; each prompt shares a prefix with the one before."""
    lengths = (300, 299, 513, 520, 700, 514)
    base = model.tokenize((CONTEXT + " ").encode() * 6, add_bos=True)
    assert len(base) > max(lengths) + 2
    for n in lengths:
        prompt = base[:n]
        _, scores, _ = first_step_scores(model, prompt=prompt, temperature=0.7, seed=1, max_tokens=2)
        kept, total = model.last_reuse
        expected = fresh_scores(reference, prompt)
        assert np.array_equal(scores, expected), f"{n} tokens after reusing {kept}: differ from a fresh evaluation"
        _, again, _ = first_step_scores(model, prompt=prompt, temperature=0.7, seed=1, max_tokens=2)  # all cached now
        assert np.array_equal(again, expected), f"{n} tokens asked twice in a row: differ from a fresh evaluation"
