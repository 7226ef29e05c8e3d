"""Batched decoding on the local model: many requests decoded together give the text each gets one by one (greedy
and seeded), in input order, with per-request errors, stop rules and max_tokens; every difference is printed."""
from __future__ import annotations

import pytest

from ai_pm_lab.errors import ContextWindowError
from ai_pm_lab.llm import local
from ai_pm_lab.llm.backends import check_request, generate_many
from benchmarks.local_llm import course_requests


@pytest.fixture(autouse=True)
def live_answers(monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")  # every answer is computed, none comes from the cache


@pytest.fixture(scope="module")
def backend():
    return local.LocalBackend()


def one_by_one(backend, requests):
    return [backend._complete(r["messages"], temperature=r["temperature"], max_tokens=r["max_tokens"], seed=r["seed"],
                              stop=r["stop"]) for r in requests]


def test_batched_text_equals_one_by_one_on_course_prompts(backend):
    # probe, hallucination grid (greedy and seeded), RAG, and the same questions with no documents (week 4's batches)
    sample = course_requests(per_capability=2, halluc=3, rag=4, closed_book=4)
    names, requests = [n for n, _ in sample], [r for _, r in sample]
    assert len(requests) >= 30 and any(r["temperature"] > 0 for r in requests)
    alone = one_by_one(backend, requests)
    done = []
    reused = local.batch_engine().reused
    batched = backend._complete_many(requests, on_done=done.append)
    assert local.batch_engine().reused > reused  # later requests took their shared start from a slot's kept prompt
    assert sorted(done) == list(range(len(requests)))
    differ = [(n, a, b) for n, a, b in zip(names, alone, batched) if a.text != b.text]
    for name, a, b in differ:  # every difference, for the report
        print(f"DIFFERS {name}\n  one by one: {a.text!r}\n  batched:    {b.text!r}")
    print(f"batched == one by one on {len(requests) - len(differ)}/{len(requests)} course prompts")
    assert len(differ) <= 0.05 * len(requests)
    same = [(a, b) for a, b in zip(alone, batched) if a.text == b.text]
    assert all((a.completion_tokens, a.finish_reason, a.prompt_tokens) == (b.completion_tokens, b.finish_reason,
                                                                           b.prompt_tokens) for a, b in same)


def test_order_errors_stop_and_max_tokens_per_request(backend):
    prompts = ["Count from 1 to 30, one number per line.", "Name three colours.", "Say hello.",
               "Write a long story about a lighthouse."]
    requests = [check_request({"prompt": prompts[0], "temperature": 0, "max_tokens": 60, "stop": ["\n"]}),
                check_request({"prompt": "word " * 3000, "temperature": 0, "max_tokens": 8}),  # longer than the window
                check_request({"prompt": prompts[1], "temperature": 0, "max_tokens": 3}),
                check_request({"prompt": prompts[2], "temperature": 0.7, "max_tokens": 20, "seed": 5}),
                check_request({"prompt": prompts[3], "temperature": 0, "max_tokens": 11})]
    done = []
    results = backend._complete_many(requests, on_done=done.append)
    assert sorted(done) == list(range(5))
    assert isinstance(results[1], ContextWindowError)
    first, colours, hello, story = results[0], results[2], results[3], results[4]
    assert first.finish_reason == "stop" and "\n" not in first.text and first.completion_tokens < 60
    assert colours.completion_tokens == 3 and colours.finish_reason == "length"
    assert story.completion_tokens == 11 and story.finish_reason == "length"
    assert hello.completion_tokens <= 20
    alone = one_by_one(backend, [requests[i] for i in (0, 2, 3, 4)])
    assert [r.text for r in (first, colours, hello, story)] == [r.text for r in alone]


def test_generate_many_uses_the_batch_and_keeps_input_order(monkeypatch):
    monkeypatch.setattr(local.LocalBackend, "batch_size", local.BATCH_SIZE)
    prompts = [f"Write a long story about {thing}." for thing in ("a kettle", "a map", "a bridge", "rain")]
    requests = [{"prompt": p, "temperature": 0, "max_tokens": 5 + i} for i, p in enumerate(prompts)]
    gens = generate_many(requests, backend="local", progress=False)
    assert [g.batch_size for g in gens] == [4] * 4
    assert [g.completion_tokens for g in gens] == [5, 6, 7, 8]  # each request kept its own max_tokens, in input order
    singles = [generate_many([r], backend="local", progress=False)[0] for r in requests]
    assert all(g.batch_size == 1 for g in singles)
    for g, one in zip(gens, singles):
        if g.text != one.text:
            print(f"DIFFERS\n  one by one: {one.text!r}\n  batched:    {g.text!r}")
    assert sum(g.text == one.text for g, one in zip(gens, singles)) >= 3
