"""Evaluation helpers, reused by weeks 5–8: retrieval quality (hit@k, MRR) and generation quality
(answer correctness against a gold answer, groundedness in the retrieved context, abstention)."""
from __future__ import annotations

import re

import numpy as np

from ai_pm_lab.errors import require_number, require_text

STOPWORDS = frozenset(
    "a an the and or of to in on for with by at from is are was were be been it its this that these those as "
    "can do does did not no yes you your we our they their i he she them us my me what which who when where how "
    "there here than then so if but into about up out any all per each only also just will would should could may "
    "has have had".split()
)
ABSTAIN_RE = re.compile(
    r"\b(i\s+(do\s+not|don['’]?t|cannot|can['’]?t)\s+(know|find|answer|say)|not\s+(mentioned|stated|specified|covered)|"
    r"no\s+information|(do|does)\s+not\s+(say|mention|contain|specify)|(don|doesn)['’]?t\s+(say|mention|contain|specify)|"
    r"(isn['’]?t|is\s+not)\s+(mentioned|specified|covered))",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _stem(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+(?:[.'][a-z0-9]+)*", (text or "").lower()) if w not in STOPWORDS]


NEGATION_RE = re.compile(r"\b(no|not|never|cannot|can['’]?t|doesn['’]?t|don['’]?t|isn['’]?t|aren['’]?t|only)\b", re.IGNORECASE)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER_RE.findall(text or "")}


def ranked_doc_ids(hits) -> list[str]:
    """Distinct document ids in the order their chunks were retrieved."""
    out = []
    for h in hits:
        if h.chunk.doc_id not in out:
            out.append(h.chunk.doc_id)
    return out


def hit_at_k(ranked_ids, gold_ids, k: int) -> float:
    """1.0 if any gold document is among the first k retrieved documents, else 0.0."""
    k = require_number(k, "k", low=1, integer=True)
    gold = set(gold_ids)
    if not gold:
        raise ValueError("hit@k needs at least one gold document id (unanswerable questions have none).")
    return float(any(d in gold for d in list(ranked_ids)[:k]))


def reciprocal_rank(ranked_ids, gold_ids) -> float:
    """1/rank of the first gold document retrieved (0.0 if none was retrieved)."""
    gold = set(gold_ids)
    if not gold:
        raise ValueError("MRR needs at least one gold document id (unanswerable questions have none).")
    for r, d in enumerate(ranked_ids, 1):
        if d in gold:
            return 1.0 / r
    return 0.0


def is_abstention(text: str) -> bool:
    """Whether an answer declines ('I don't know', 'not mentioned in the documents', ...)."""
    return bool(ABSTAIN_RE.search(require_text(text, "answer", allow_empty=True)))


def answer_correct(answer: str, gold: str) -> bool:
    """Lenient match: every number in the gold answer appears in the answer; with no numbers, half its key words do;
    a gold 'yes'/'no' must match the answer's polarity. An empty gold answer means 'should abstain'."""
    require_text(answer, "answer", allow_empty=True)
    require_text(gold, "gold", allow_empty=True)
    if not gold:
        return is_abstention(answer)
    if is_abstention(answer):
        return False
    first = gold.strip().lower().split(",")[0].split()[0] if gold.strip() else ""
    if first in ("yes", "no"):
        negated = bool(NEGATION_RE.search(answer))
        if (first == "no") != negated:
            return False
        rest = gold.strip()[len(first):].strip(" ,.;")
        return answer_correct(answer, rest) if rest else True
    nums = _numbers(gold)
    if nums:
        return nums <= _numbers(answer)
    g, a = set(_words(gold)), set(_words(answer))
    return bool(g) and len(g & a) / len(g) >= 0.5


def groundedness(answer: str, context: str) -> float:
    """Share of the answer's key words that also appear in the context (1.0 = every word traceable to a source)."""
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    words = _words(answer)
    if not words:
        return 1.0
    ctx = set(_words(context))
    return sum(w in ctx for w in words) / len(words)


def unsupported_numbers(answer: str, context: str) -> list[str]:
    """Numbers in the answer that appear nowhere in the context (a common sign of a made-up detail)."""
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    ctx = _numbers(context)
    return sorted(n for n in _numbers(answer) if n not in ctx)


def evaluate_retrieval(pipeline, rows, k: int = 5, threshold: float | None = None):
    """Per-question retrieval results (DataFrame) and a summary dict: hit@k, MRR, and abstention at a threshold."""
    import pandas as pd

    from ai_pm_lab.rag.pipeline import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    depth = min(len(pipeline.chunks), max(k, 10) * 3)
    records = []
    for row in rows:
        hits = pipeline.search_only(row["question"], depth)
        ranked = ranked_doc_ids(hits)
        rec = {"id": row.get("id"), "question": row["question"], "answerable": bool(row["doc_ids"]),
               "top_score": hits[0].score, "top_doc": ranked[0], "abstain": hits[0].score < threshold}
        if row["doc_ids"]:
            rec[f"hit@{k}"] = hit_at_k(ranked, row["doc_ids"], k)
            rec["rr"] = reciprocal_rank(ranked, row["doc_ids"])
        records.append(rec)
    df = pd.DataFrame(records)
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
    a, u = np.asarray(answerable_scores, float), np.asarray(unanswerable_scores, float)
    if a.size == 0 or u.size == 0:
        raise ValueError("suggest_threshold needs scores for both answerable and unanswerable questions.")
    candidates = np.unique(np.round(np.concatenate([a, u]), 3))
    best_t, best = 0.0, -1.0
    for t in candidates:
        score = (a >= t).mean() / 2 + (u < t).mean() / 2
        if score > best:
            best_t, best = float(t), score
    return best_t


def evaluate_answers(pipeline, rows, *, template="grounded", top_k: int = 3, threshold: float | None = None,
                     backend=None, max_tokens: int = 48, seed: int = 0, progress: bool = True):
    """Answer each question with the pipeline and score it: correct vs gold, grounded in context, abstained."""
    import pandas as pd

    from ai_pm_lab.rag.pipeline import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    it = rows
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(rows, desc=f"Answering ({template if isinstance(template, str) else template.name})", unit="q")
    records = []
    for row in it:
        ans = pipeline.answer(row["question"], top_k=top_k, threshold=threshold, template=template, backend=backend,
                              max_tokens=max_tokens, seed=seed)
        context = "\n".join(h.chunk.text for h in ans.retrieval.hits)
        ranked = ans.retrieval.doc_ids
        records.append({
            "id": row.get("id"), "question": row["question"], "gold": row["answer"], "answer": ans.text,
            "answerable": bool(row["doc_ids"]),
            "retrieved_gold": bool(row["doc_ids"]) and any(d in row["doc_ids"] for d in ranked),
            "correct": answer_correct(ans.text, row["answer"]),
            "grounded": groundedness(ans.text, context) if not ans.abstained else 1.0,
            "made_up_numbers": len(unsupported_numbers(ans.text, context)) if not ans.abstained else 0,
            "abstained": ans.abstained, "cited": bool(ans.citations),
            "prompt_tokens": ans.prompt_tokens,
            "latency_s": (ans.generation.latency_s if ans.generation is not None else 0.0),
        })
    return pd.DataFrame(records)


def summarize_answers(df) -> dict:
    """Headline rates from evaluate_answers: correctness split by answerable/unanswerable, groundedness, citations."""
    ans, una = df[df.answerable], df[~df.answerable]
    return {
        "questions": int(len(df)),
        "correct (answerable)": float(ans["correct"].mean()) if len(ans) else float("nan"),
        "correct when gold doc retrieved": float(ans[ans.retrieved_gold]["correct"].mean()) if ans.retrieved_gold.any() else float("nan"),
        "abstained (unanswerable)": float(una["abstained"].mean()) if len(una) else float("nan"),
        "mean groundedness": float(df["grounded"].mean()),
        "answers with made-up numbers": float((df["made_up_numbers"] > 0).mean()),
        "answers citing a source": float(df["cited"].mean()),
    }
