"""Checks for week 3's exercises (embeddings and vector search)."""
from __future__ import annotations

import numpy as np

from ai_pm_lab.exercises import check
from ai_pm_lab.rag.explore import keyword_vs_semantic
from ai_pm_lab.rag.search import cosine_top_k, recall_at_k

REFUND_DOCS = ("kb-001", "kb-002")
# The lesson's own examples: an answer has to be the learner's own wording.
LESSON_QUERIES = ("can i reimburse a purchase?", "i was charged but want my cash returned")


def cosine(a, b, value):
    """Exercise 3.1: cosine similarity of two vectors, by hand."""
    expected = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return check("3.1 cosine by hand", lambda: value is not None and abs(float(value) - expected) < 1e-5,
                 success=f"Yes: {expected:.3f}. For unit-length vectors this is just the dot product.",
                 hint="Divide the dot product np.dot(a, b) by the product of the two lengths np.linalg.norm(...).")


def top3(query, vectors, value):
    """Exercise 3.2: the ids of the 3 most similar rows, best first."""
    expected = cosine_top_k(query, vectors, 3)[1][0].tolist()
    return check("3.2 top-3 in numpy", lambda: value is not None and [int(i) for i in value] == expected,
                 success=f"Right: rows {expected}, the same answer FAISS exact search will give.",
                 hint="Score every row against the query in one step (the rows are unit length, so similarity is a "
                      "dot product), then order the row numbers by score, best first, and keep three.")


def keyword_miss(chunks, vectors, query):
    """Exercise 3.3: a refund question that keyword search gets wrong and semantic search gets right."""
    def ok():
        if str(query).strip().lower() in LESSON_QUERIES:
            return False
        row = keyword_vs_semantic(chunks, [query], vectors, k=1).iloc[0]
        return row["semantic top doc"] in REFUND_DOCS and row["keyword top doc"] not in REFUND_DOCS

    return check("3.3 a question keywords miss", ok,
                 success="Found one: different words, same meaning. This is why products add semantic search.",
                 hint="Write your own refund question (not one of the lesson's examples) in the words an annoyed "
                      "customer would use, avoiding the words the policy itself uses.")


def recall(approx_ids, exact_ids, value):
    """Exercise 3.4: recall@k of an approximate search against the exact one."""
    expected = recall_at_k(approx_ids, exact_ids)
    return check("3.4 recall@k", lambda: value is not None and abs(float(value) - expected) < 1e-9,
                 success=f"Recall {expected:.2f}: the share of true neighbours the fast index still found.",
                 hint="For each query count how many ids appear in both rows (a set intersection); divide the total by queries × k.")


def cheapest_setting(sweep, value, target: float = 0.95):
    """Exercise 3.5 (decision): the smallest efSearch whose measured recall@10 reaches the target."""
    ok_rows = sweep[sweep["recall@k"] >= target]
    expected = int(ok_rows["param"].min()) if len(ok_rows) else None
    hint = f"Keep the rows with recall@k ≥ {target}, then take the smallest 'param'."
    try:
        mine = sweep[sweep["param"] == int(value)]
        if len(mine) and expected is not None and int(value) != expected:
            r, best = mine.iloc[0], ok_rows[ok_rows["param"] == expected].iloc[0]
            if int(value) > expected:
                hint = (f"efSearch = {int(value)} takes {r['ms/query']:.2f} ms per query against {best['ms/query']:.2f} ms "
                        f"at {expected}, which already meets recall ≥ {target}: you would pay latency on every search "
                        "for recall nobody asked for.")
            else:
                hint = (f"efSearch = {int(value)} is fast, but its recall@10 is {r['recall@k']:.2f}, below the {target} bar: "
                        "users would miss true neighbours. Speed does not count until the quality bar is met.")
    except (TypeError, ValueError, KeyError):
        pass
    return check("3.5 cheapest setting that meets the bar", lambda: value is not None and expected is not None and int(value) == expected,
                 success=f"efSearch = {expected}: the fastest setting that still meets recall ≥ {target}.",
                 hint=hint)
