"""Hosted models concurrently: the first 45 questions of the course's RAG evaluation set (data/rag/kb_eval.jsonl) asked
of an OpenAI-compatible API through run_harness + ModelStep, one by one (concurrency 1) and 8 at a time, on the loopback
fake provider answering each request after a fixed delay (like a real API's round trip). Both sides run in this
process on the same server, client and settings; only the concurrency differs.

Targets: at least 5 times faster at 8 in flight, identical rows, and the spend cap exact (what the tracker settled is
what the answers cost, nothing left booked, at most 8 requests in flight at the server)."""
from __future__ import annotations

import os
import time
from dataclasses import replace

import pandas as pd

from ai_pm_lab.cost import reset_spend, spend_tracker
from ai_pm_lab.datafiles import data_jsonl
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.llm import remote
from ai_pm_lab.llm.backends import get_backend, reset_backends
from ai_pm_lab.testing.fake_provider import FakeProvider

QUESTIONS = 45
DELAY_S = 0.2  # each answer's round trip at the fake provider
CONCURRENCY = 8
MODEL = "gpt-6.2-sol"  # a priced model id, so the run is costed and the spend cap books every request
SYSTEM = "Answer the customer's question in one sentence."


def prepare(item):
    return {"prompt": item["question"], "system": SYSTEM, "temperature": 0, "max_tokens": 40}


def finish(item, g):
    return {"answer": g.text, "prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens,
            "cost_usd": g.cost_usd}


def _evaluate(items, concurrency):
    tracker = spend_tracker()
    spent, calls = tracker.spent_usd, tracker.calls
    start = time.perf_counter()
    rows = run_harness(items, ModelStep(prepare, finish, backend="openai", model=MODEL, concurrency=concurrency),
                       desc=f"concurrency {concurrency}", progress=False)
    seconds = time.perf_counter() - start
    exact = (abs((tracker.spent_usd - spent) - rows["cost_usd"].sum()) < 1e-12 and tracker.calls - calls == len(items)
             and tracker.reserved_usd < 1e-12)
    return seconds, rows, exact


def run() -> dict:
    items = [{"id": q["id"], "question": q["question"]} for q in data_jsonl("rag/kb_eval.jsonl")[:QUESTIONS]]
    saved_retry = remote.DEFAULT_RETRY
    with FakeProvider(latency_s=DELAY_S) as fake:
        os.environ.update({"OPENAI_BASE_URL": fake.openai_base_url, "OPENAI_API_KEY": "benchmark-" + "placeholder",
                           "AI_PM_LAB_SPEND_CAP_USD": "5"})
        remote.DEFAULT_RETRY = replace(saved_retry, timeout_s=30.0)
        reset_backends()
        reset_spend()
        try:
            get_backend("openai", MODEL).paid = True  # the loopback server stands in for a real priced API
            one_s, one_rows, one_exact = _evaluate(items, 1)
            fake.reset()
            many_s, many_rows, many_exact = _evaluate(items, CONCURRENCY)
            in_flight = fake.max_in_flight
        finally:
            remote.DEFAULT_RETRY = saved_retry
            reset_backends()
            reset_spend()
    ratio = one_s / many_s
    try:
        pd.testing.assert_frame_equal(one_rows, many_rows)
        same = True
    except AssertionError:
        same = False
    print(f"  {len(items)} questions, fake provider answering after {DELAY_S:.2f} s, model {MODEL} (costed)")
    print(f"  one by one: {one_s:.2f} s; {CONCURRENCY} at a time: {many_s:.2f} s (at most {in_flight} in flight at the "
          f"server); {ratio:.1f} times faster")
    print(f"  rows identical: {same}; errors: {int(many_rows['error'].notna().sum())}; "
          f"cost settled ${many_rows['cost_usd'].sum():.6f} per run, books exact: {one_exact and many_exact}")
    return {f"{QUESTIONS} hosted questions at least 5 times faster at {CONCURRENCY} in flight": ratio >= 5,
            "identical rows, in input order": same and many_rows["error"].isna().all(),
            "spend cap exact (settled = answers' cost, nothing left booked)": one_exact and many_exact
            and in_flight <= CONCURRENCY}
