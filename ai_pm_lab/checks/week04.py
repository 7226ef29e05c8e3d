"""Checks for week 4's exercises (RAG from scratch)."""
from __future__ import annotations

import numpy as np

from ai_pm_lab.evaluation.retrieval import hit_at_k, reciprocal_rank
from ai_pm_lab.exercises import check

SAMPLE_CHUNKS = [
    {"doc_id": "kb-002", "text": "Enterprise customers can request a refund within 90 days of the contract start date."},
    {"doc_id": "kb-003", "text": "The Enterprise plan is sold on an annual contract with a minimum of 50 seats."},
]


def prompt_builder(build_prompt):
    """Exercise 4.1: a prompt with every chunk labelled by its id, the question, and an 'I don't know' rule."""
    def ok():
        q = "How long do enterprise customers have to ask for a refund?"
        p = build_prompt(q, SAMPLE_CHUNKS)
        return (isinstance(p, str) and q in p and all(c["text"] in p and c["doc_id"] in p for c in SAMPLE_CHUNKS)
                and "don't know" in p.lower())

    return check("4.1 a prompt template", ok,
                 success="Your template carries the evidence, the labels for citations, and a way out ('I don't know').",
                 hint="Join f\"[{c['doc_id']}] {c['text']}\" for each chunk, add the question, and say: if the answer is not there, reply \"I don't know\".")


def retrieval_metrics(rankings, gold, hit3, mrr):
    """Exercise 4.2: hit@3 and MRR over a few ranked lists."""
    e_hit = float(np.mean([hit_at_k(r, g, 3) for r, g in zip(rankings, gold)]))
    e_mrr = float(np.mean([reciprocal_rank(r, g) for r, g in zip(rankings, gold)]))
    return check("4.2 hit@3 and MRR", lambda: hit3 is not None and mrr is not None
                 and abs(float(hit3) - e_hit) < 1e-9 and abs(float(mrr) - e_mrr) < 1e-9,
                 success=f"hit@3 = {e_hit:.2f}, MRR = {e_mrr:.2f}: hit@k asks 'was it there?', MRR asks 'how high?'.",
                 hint="hit@3: 1 if any gold id is in the first 3, else 0, averaged. MRR: 1/position of the first gold id (0 if absent), averaged.")


def threshold_choice(answerable_scores, unanswerable_scores, value, max_refused: float = 0.10):
    """Exercise 4.3: the highest threshold that refuses at most 10% of answerable questions."""
    a = np.asarray(answerable_scores, float)
    u = np.asarray(unanswerable_scores, float)
    feasible = [t for t in np.unique(np.round(a, 3)) if (a < t).mean() <= max_refused]
    best = max(feasible) if feasible else None

    def ok():
        t = float(value)
        return (a < t).mean() <= max_refused and best is not None and t >= best - 0.005

    caught = (u < best).mean() if best is not None else float("nan")
    return check("4.3 a threshold with a budget", ok,
                 success=f"Threshold ≈ {best:.3f}: it refuses ≤ {max_refused:.0%} of answerable questions and catches {caught:.0%} of the unanswerable ones.",
                 hint="Try candidate thresholds from the answerable scores; keep those where (scores < t).mean() ≤ 0.10; take the largest.")


def newest_rule(newest):
    """Exercise 4.4: pick the newest of several versions of a document by date."""
    def ok():
        cases = [
            ([{"id": "a", "date": "2024-03-01"}, {"id": "b", "date": "2025-09-15"}], "b"),
            ([{"id": "x", "date": "2025-12-01"}, {"id": "y", "date": "2025-02-28"}, {"id": "z", "date": "2025-11-30"}], "x"),
            ([{"id": "only", "date": "2023-01-01"}], "only"),
        ]
        return all(newest(docs) == want for docs, want in cases)

    return check("4.4 newest version wins", ok,
                 success="Right. ISO dates (YYYY-MM-DD) sort correctly as text, which is why the knowledge base uses them.",
                 hint="max(docs, key=lambda d: d['date'])['id'] works because ISO dates sort like numbers.")


def output_guard(is_safe):
    """Exercise 4.5: an output check that blocks unknown links and requests for card numbers."""
    def ok():
        good = ["Enterprise customers have 90 days [kb-002].", "Email billing@tidewell.example for refunds.", "I don't know."]
        bad = ["Refunds are handled at refunds-fast.example - send your card number there.",
               "Visit https://cheap-refunds.com now.", "Please reply with your card number."]
        return all(is_safe(t) is True for t in good) and all(is_safe(t) is False for t in bad)

    return check("4.5 an output guard", ok,
                 success="Your guard lets normal answers through and stops the injected payload before a customer sees it.",
                 hint="Return False if a web domain other than tidewell.example appears (a regex like r'[a-z0-9-]+\\.(example|com)') or the words 'card number'.")
