"""Hosted models answer many requests at once: a bounded number in flight, results in input order and identical to
one-by-one, 429s backed off as before, and the spend cap exact (no timing assertions: benchmarks/hosted.py times it)."""
from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
import pytest
from remote_support import FAST, clean_env, paid_backend, point_sdks_at  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.errors import SpendCapError
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.llm import generate_many, remote
from ai_pm_lab.settings import CONCURRENCY_VAR
from ai_pm_lab.testing.fake_provider import FakeProvider, fake_reply

MODEL = "gpt-6.2-sol"
QUESTIONS = [{"id": i, "question": f"Question {i}: what does clause {i} of the refund policy say about plan {i % 7}"}
             for i in range(45)]


@pytest.fixture(scope="module")
def slow_server():
    """A fake provider whose answers take 0.05 s, so requests sent together are in flight together."""
    with FakeProvider(latency_s=0.05) as fake:
        yield fake


@pytest.fixture
def provider(slow_server, clean_env):
    point_sdks_at(slow_server, clean_env)
    clean_env.setattr(remote, "DEFAULT_RETRY", replace(FAST, timeout_s=10.0))
    paid_backend("openai", MODEL)
    yield slow_server
    slow_server.reset()


def prepare(item):
    return {"prompt": item["question"], "system": "Answer from the policy.", "temperature": 0, "max_tokens": 24}


def finish(item, g):
    return {"answer": g.text, "prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens,
            "cost_usd": g.cost_usd, "backend": g.backend, "model": g.model}


def correct(item, result):
    return {"mentions_clause": f"clause {item['id']}" in result["answer"]}


def evaluate(concurrency):
    return run_harness(QUESTIONS, ModelStep(prepare, finish, backend="openai", model=MODEL, concurrency=concurrency),
                       correct, progress=False)


def test_45_questions_at_once_give_the_one_by_one_results_in_order_with_a_bounded_number_in_flight(provider):
    one_by_one = evaluate(1)
    assert provider.max_in_flight == 1 and len(provider.calls()) == 45
    provider.reset()
    tracker = lab.spend_tracker()
    spent_before = tracker.spent_usd
    together = evaluate(8)
    assert len(provider.calls()) == 45 and provider.max_in_flight <= 8
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["id"].tolist() == list(range(45)) and together["error"].isna().all()
    assert together["mentions_clause"].all()  # each answer belongs to its own question
    # the spend cap's books are exact: what was settled is what the answers cost, nothing left booked
    assert tracker.spent_usd - spent_before == pytest.approx(together["cost_usd"].sum())
    assert tracker.calls == 90 and tracker.reserved_usd == pytest.approx(0.0)


def test_the_default_width_comes_from_the_setting(provider, clean_env):
    clean_env.setenv(CONCURRENCY_VAR, "3")
    threads = []
    results = generate_many([q["question"] for q in QUESTIONS[:12]], backend="openai", model=MODEL, progress=False,
                            on_done=lambda i: threads.append((i, threading.get_ident())))
    assert len(provider.calls()) == 12 and provider.max_in_flight <= 3
    assert [g.text for g in results] == [fake_reply([{"role": "user", "content": q["question"]}], 128)[0]
                                         for q in QUESTIONS[:12]]
    # each request reported once, from the caller's thread (a notebook's progress bar is updated there)
    assert sorted(i for i, _ in threads) == list(range(12)) and {t for _, t in threads} == {threading.get_ident()}
    clean_env.setenv(CONCURRENCY_VAR, "lots")
    with pytest.raises(lab.ConfigurationError, match=CONCURRENCY_VAR):
        generate_many(["a", "b"], backend="openai", model=MODEL, progress=False)


def test_a_cap_that_allows_k_calls_sends_exactly_k_and_refuses_the_rest_in_their_rows(provider):
    engine = lab.get_backend("openai", MODEL)

    def short(item):  # answers cut at max_tokens, so each real cost is close to the worst case booked for it
        return {**prepare(item), "max_tokens": 4}

    request = short(QUESTIONS[0])
    messages = [{"role": "system", "content": request["system"]}, {"role": "user", "content": request["prompt"]}]
    worst = lab.estimate_cost(MODEL, engine.max_prompt_tokens(messages), request["max_tokens"])
    _, p, c, _ = fake_reply(messages, request["max_tokens"])
    real = lab.estimate_cost(MODEL, p, c)
    k = 5
    # k worst cases fit; after k real answers one more worst case does not, however the answers interleave
    cap = k * worst * (1 + 1e-9)
    assert k * real + worst > cap and real < worst
    tracker = lab.set_spend_cap(cap)
    same = [{"id": i, "question": QUESTIONS[0]["question"]} for i in range(20)]
    rows = run_harness(same, ModelStep(short, finish, backend="openai", model=MODEL, concurrency=8), progress=False,
                       warn=False)
    sent = rows["error"].isna()
    assert sent.tolist() == [True] * k + [False] * (20 - k)  # booked in input order as slots free up
    assert rows.loc[~sent, "error"].str.startswith(SpendCapError.__name__).all()
    assert len(provider.calls()) == k  # a refused request never reaches the provider
    assert tracker.spent_usd == pytest.approx(rows["cost_usd"].sum()) and tracker.spent_usd <= cap
    assert tracker.calls == k and tracker.reserved_usd == pytest.approx(0.0)


def test_429s_are_backed_off_while_other_requests_run(provider, clean_env):
    clean_env.setattr(remote, "DEFAULT_RETRY", replace(FAST, attempts=6, timeout_s=10.0))
    expected = evaluate(1)
    provider.reset()
    provider.fail(*["429"] * 5, retry_after=0.01)  # the first five requests to arrive are rate-limited once or more
    together = evaluate(4)
    pd.testing.assert_frame_equal(together, expected)
    calls = provider.calls()
    assert len(calls) == 45 + 5 and sum(c.fault == "429" for c in calls) == 5
    assert provider.max_in_flight <= 4 and provider.pending_faults == 0


def test_anthropic_requests_go_out_together_too(provider):
    paid_backend("anthropic", "claude-opus-5-5")
    requests = [prepare(q) for q in QUESTIONS[:10]]
    one_by_one = generate_many(requests, backend="anthropic", model="claude-opus-5-5", concurrency=1, progress=False)
    provider.reset()
    together = generate_many(requests, backend="anthropic", model="claude-opus-5-5", concurrency=4, progress=False)
    assert len(provider.calls("/v1/messages")) == 10 and provider.max_in_flight <= 4
    assert [(g.text, g.prompt_tokens, g.completion_tokens, g.cost_usd) for g in together] == \
           [(g.text, g.prompt_tokens, g.completion_tokens, g.cost_usd) for g in one_by_one]
    assert all(g.backend == "anthropic" and g.batch_size == 1 for g in together)
