"""Retrieval quality: distinct documents in rank order, hit@k, reciprocal rank, a per-question evaluation, a threshold."""
from __future__ import annotations

import numpy as np

from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.evaluation.harness import run_harness, successful
from ai_pm_lab.evaluation.stats import pick_threshold


def _doc_id(item) -> str:
    if isinstance(item, str):
        return item
    chunk = getattr(item, "chunk", item)  # a retrieved hit carries its chunk; a chunk carries its document id
    return chunk.doc_id


def ranked_doc_ids(hits) -> list[str]:
    """Distinct document ids in rank order (first occurrence kept), from hits, chunks or plain ids."""
    return list(dict.fromkeys(_doc_id(h) for h in hits))


def hit_at_k(ranked_ids, gold_ids, k: int) -> float:
    """1.0 if any gold document is among the first k retrieved documents, else 0.0."""
    k = require_number(k, "k", low=1, integer=True)
    gold = set(gold_ids)
    if not gold:
        raise InputError("hit@k needs at least one gold document id (unanswerable questions have none).")
    return float(any(d in gold for d in list(ranked_ids)[:k]))


def reciprocal_rank(ranked_ids, gold_ids) -> float:
    """1/rank of the first gold document retrieved (0.0 if none was retrieved)."""
    gold = set(gold_ids)
    if not gold:
        raise InputError("MRR needs at least one gold document id (unanswerable questions have none).")
    for r, d in enumerate(ranked_ids, 1):
        if d in gold:
            return 1.0 / r
    return 0.0


def evaluate_retrieval(pipeline, rows, k: int = 5, threshold: float | None = None, *, progress: bool = False):
    """Per-question retrieval results (DataFrame) and a summary dict: hit@k, MRR, and abstention at a threshold.

    ``pipeline`` is anything with ``chunks``, ``search_only(question, top_k)`` and a ``threshold`` (a RAGPipeline);
    ``threshold`` defaults to the pipeline's own."""
    threshold = float(pipeline.threshold if threshold is None else require_number(threshold, "threshold", low=-1, high=1))
    depth = min(len(pipeline.chunks), max(k, 10) * 3)

    def retrieve(row):
        hits = pipeline.search_only(row["question"], depth)
        ranked = ranked_doc_ids(hits)
        rec = {"top_score": hits[0].score, "top_doc": ranked[0], "abstain": hits[0].score < threshold}
        if row["doc_ids"]:
            rec[f"hit@{k}"] = hit_at_k(ranked, row["doc_ids"], k)
            rec["rr"] = reciprocal_rank(ranked, row["doc_ids"])
        return rec

    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise InputTypeError(f"rows must be a list of question dicts (as load_eval() returns), not {type(rows).__name__}.")
    rows = list(rows)
    if not rows:
        raise InputError("rows is empty: pass the evaluation questions, e.g. rows = load_eval().")
    for n, r in enumerate(rows):
        if not isinstance(r, dict) or "question" not in r or "doc_ids" not in r:
            raise InputError(f"rows[{n}] must be a dict with 'question' and 'doc_ids' (as load_eval() returns), "
                             f"not {str(r)[:80]!r}.")
    items = [{"id": r.get("id"), "question": r["question"], "answerable": bool(r["doc_ids"]), "doc_ids": r["doc_ids"]}
             for r in rows]
    df = successful(run_harness(items, retrieve, desc="Retrieving", progress=progress))
    df = df.drop(columns=["doc_ids", "error"])
    ans = df[df.answerable]
    una = df[~df.answerable]
    summary = {
        f"hit@{k}": float(ans[f"hit@{k}"].mean()) if len(ans) else float("nan"),
        "MRR": float(ans["rr"].mean()) if len(ans) else float("nan"),
        "answerable": int(len(ans)),
        "unanswerable": int(len(una)),
        "threshold": threshold,
        "abstains on unanswerable": float(una["abstain"].mean()) if len(una) else float("nan"),
        "abstains on answerable": float(ans["abstain"].mean()) if len(ans) else float("nan"),
    }
    return df, summary


def suggest_threshold(answerable_scores, unanswerable_scores) -> float:
    """The similarity threshold that best separates answerable from unanswerable questions (balanced accuracy)."""
    try:
        a, u = np.asarray(answerable_scores, float), np.asarray(unanswerable_scores, float)
    except (TypeError, ValueError):
        raise InputTypeError("answerable_scores and unanswerable_scores must be lists of similarity scores (numbers), "
                             "e.g. the top_score column of evaluate_retrieval's table.") from None
    if a.ndim != 1 or u.ndim != 1 or not (np.isfinite(a).all() and np.isfinite(u).all()):
        raise InputError("answerable_scores and unanswerable_scores must be flat lists of finite similarity scores.")
    if a.size == 0 or u.size == 0:
        raise InputError("suggest_threshold needs scores for both answerable and unanswerable questions.")
    return pick_threshold(a, u)  # the course's one threshold picker (evaluation.stats)
