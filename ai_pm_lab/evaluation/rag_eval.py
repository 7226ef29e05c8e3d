"""Answer quality of a retrieval-augmented assistant over an evaluation set: correct, grounded, refused, cited; and
the full evaluation harness (run_rag_eval, summarize_rag_eval, drill_down) that sorts every failure by its cause."""
from __future__ import annotations

import re

import pandas as pd

from ai_pm_lab.errors import InputError
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, sharing_prefixes, successful
from ai_pm_lab.evaluation.retrieval import hit_at_k, ranked_doc_ids, reciprocal_rank
from ai_pm_lab.evaluation.scorers import answer_correct, groundedness, unsupported_numbers
from ai_pm_lab.evaluation.stats import rate
from ai_pm_lab.llm.local import BATCH_SIZE
from ai_pm_lab.tables import returns_course_table

COLUMNS = ["id", "question", "gold", "answer", "answerable", "retrieved_gold", "correct", "grounded", "made_up_numbers",
           "abstained", "cited", "prompt_tokens", "latency_s"]


def evaluate_answers(pipeline, rows, *, template="grounded", top_k: int = 3, threshold: float | None = None,
                     backend=None, max_tokens: int = 48, seed: int = 0, progress: bool = True):
    """Answer each question with the pipeline and score it: correct vs gold, grounded in context, abstained.

    ``pipeline`` is anything with ``answer(question, ...)`` returning a RAGAnswer and a ``threshold`` (a RAGPipeline);
    ``threshold`` defaults to the pipeline's own. One row per question; a question whose answer failed keeps its
    row with the error (see run_harness)."""
    threshold = pipeline.threshold if threshold is None else threshold
    name = template if isinstance(template, str) else template.name
    items = [{"id": r.get("id"), "question": r["question"], "gold": r["answer"], "answerable": bool(r["doc_ids"]),
              "doc_ids": r["doc_ids"]} for r in rows]

    ask = _answer_step(pipeline, lambda item: {}, top_k=top_k, threshold=threshold, template=template, backend=backend,
                       max_tokens=max_tokens, seed=seed, finish=lambda extra, ans: ans)

    def score(item, ans):
        context = "\n".join(h.chunk.text for h in ans.retrieval.hits)
        gold_docs = item["doc_ids"]
        return {
            "answer": ans.text,
            "retrieved_gold": bool(gold_docs) and any(d in gold_docs for d in ans.retrieval.doc_ids),
            "correct": answer_correct(ans.text, item["gold"]),
            "grounded": groundedness(ans.text, context) if not ans.abstained else 1.0,
            "made_up_numbers": len(unsupported_numbers(ans.text, context)) if not ans.abstained else 0,
            "abstained": ans.abstained, "cited": bool(ans.citations),
            "prompt_tokens": ans.prompt_tokens,
            "latency_s": (ans.generation.latency_s if ans.generation is not None else 0.0),
        }

    df = run_harness(items, ask, score, desc=f"Answering ({name})", progress=progress)
    return df[[c for c in COLUMNS if c in df.columns] + ["error"]]


def summarize_answers(df) -> dict:
    """Headline rates from evaluate_answers: correctness split by answerable/unanswerable, groundedness, citations."""
    df = successful(df)
    missing = [c for c in ("answerable", "correct", "retrieved_gold", "abstained", "grounded", "made_up_numbers")
               if c not in df.columns]
    if missing:
        raise InputError(f"The table has no {', '.join(missing)} column(s): pass the DataFrame evaluate_answers() returns.")
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


def _answer_step(pipeline, before, *, finish, top_k, threshold, template, backend, max_tokens, seed) -> ModelStep:
    """pipeline.answer() for each item as a ModelStep: retrieval, gate and prompt in prepare (with ``before(item)``'s
    extra fields), one request per question the pipeline did not refuse, sent together; ``finish(extra, answer)``.
    A pipeline without the batch path (only answer()), or one whose own answer() replaces it (a wrapper that records
    each answer), is asked question by question through its answer()."""
    mro = type(pipeline).__mro__
    owner = next((c for c in mro if "planned" in vars(c)), None)  # the class that has the batch path...
    if owner is None or next(c for c in mro if "answer" in vars(c)) is not owner:  # ...and answer() from it
        return lambda item: finish(before(item), pipeline.answer(item["question"], top_k=top_k, threshold=threshold,
                                                                 template=template, backend=backend,
                                                                 max_tokens=max_tokens, seed=seed))
    planned = {}

    def prepare(item):
        extra = before(item)
        plan = pipeline.planned(item["question"], top_k=top_k, threshold=threshold, template=template, backend=backend,
                                max_tokens=max_tokens, seed=seed)
        planned[id(item)] = (extra, plan)
        return pipeline.request(plan, max_tokens=max_tokens, seed=seed)

    def done(item, gen):
        extra, plan = planned.pop(id(item))
        return finish(extra, pipeline.complete(plan, gen))

    return sharing_prefixes(ModelStep(prepare, done, backend=backend))  # one template's instructions in every prompt


# ---------- the full RAG evaluation: retrieval, answers, refusals, hallucinations, and why each failure happened ----------
CITATION_RE = re.compile(r"\[[^\[\]\n]{1,60}\]")
GROUNDED_MIN = 0.5  # below this share of its key words found in the context, an answer counts as carrying made-up detail
FAILURE_CATEGORIES = {
    "retrieval miss": "the document that holds the answer was not among the retrieved chunks (fix content, chunking "
                      "or search)",
    "wrong refusal": "the answer was in the retrieved text but the assistant said it did not know (gate or model too "
                     "cautious)",
    "made-up detail": "the answer states something the retrieved text does not support: a number or words not in it, "
                      "or any answer to a question the knowledge base cannot answer",
    "wrong answer from the right context": "the right document was retrieved and the answer stays close to it, but it "
                                           "does not match the gold answer (the model misread the evidence)",
}
OUTCOME_ORDER = ["correct", *FAILURE_CATEGORIES]


def failure_category(row) -> str:
    """Sort one evaluated question into 'correct' or exactly one FAILURE_CATEGORIES key (see its definitions)."""
    answerable, refused = bool(row["answerable"]), bool(row["refused"])
    made_up = bool(row["made_up"])
    if not answerable:
        return "correct" if refused else "made-up detail"
    if row["correct"]:
        return "correct"
    if not row["retrieved_gold"]:
        return "retrieval miss"
    if refused:
        return "wrong refusal"
    return "made-up detail" if made_up else "wrong answer from the right context"


def run_rag_eval(pipeline, rows, *, k: int = 5, top_k: int = 3, threshold: float | None = None, template="grounded",
                 backend=None, max_tokens: int = 48, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Evaluate a RAG pipeline question by question (through run_harness): retrieval (hit@k, reciprocal rank), the
    answer (correct vs gold, groundedness, made-up numbers), refusal, the gate's probability, and a failure category.

    ``threshold=None`` lets the pipeline's answerability gate decide (its default); a number uses the similarity
    threshold instead. Rows are dicts like load_eval()'s: question, doc_ids (empty = unanswerable), answer (gold)."""
    rows = list(rows)
    if not rows:
        raise InputError("rows is empty: pass evaluation questions, e.g. load_eval() from ai_pm_lab.rag.")
    depth = min(len(pipeline.chunks), max(k, 10) * 3)  # enough chunks to rank k distinct documents
    items = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not {"question", "doc_ids", "answer"} <= set(r):
            raise InputError(f"rows[{i}] must be a dict with question, doc_ids and answer (like load_eval()'s rows).")
        items.append({"id": r.get("id", f"row{i}"), "question": r["question"], "gold": r["answer"],
                      "gold_docs": list(r["doc_ids"]), "answerable": bool(r["doc_ids"])})

    call = _answer_step(pipeline, lambda item: {"ranked": ranked_doc_ids(pipeline.search_only(item["question"], depth))},
                        top_k=top_k, threshold=threshold, template=template, backend=backend, max_tokens=max_tokens,
                        seed=seed, finish=lambda extra, ans: {**extra, "rag_answer": ans})

    def score(item, res):
        ans, ranked, gold_docs = res["rag_answer"], res["ranked"], item["gold_docs"]
        context = "\n".join(h.chunk.text for h in ans.retrieval.hits)
        given = not ans.abstained
        claim = CITATION_RE.sub(" ", ans.text)  # "[kb-002]" is a citation, not a claim: score the words around it
        grounded = groundedness(claim, context) if given else 1.0
        invented = unsupported_numbers(claim, context) if given else []
        out = {
            "answer": ans.text,
            f"hit@{k}": hit_at_k(ranked, gold_docs, k) if gold_docs else None,
            "rr": reciprocal_rank(ranked, gold_docs) if gold_docs else None,
            "retrieved_gold": bool(gold_docs) and any(d in gold_docs for d in ans.retrieval.doc_ids),
            "refused": bool(ans.abstained),
            "refused_by": None if given else ("model" if ans.generation is not None else
                                              ("gate" if ans.retrieval.gate_probability is not None else "threshold")),
            "gate_probability": ans.retrieval.gate_probability,
            "best_score": ans.retrieval.best_score,
            "correct": answer_correct(ans.text, item["gold"]),
            "grounded": grounded,
            "made_up_numbers": ", ".join(invented),
            "made_up": given and (bool(invented) or grounded < GROUNDED_MIN or not item["answerable"]),
            "context": context,
            "prompt_tokens": ans.prompt_tokens,
            "latency_s": ans.generation.latency_s if ans.generation is not None else 0.0,
        }
        out["category"] = failure_category({**item, **out})
        return out

    df = run_harness(items, call, score, desc="RAG evaluation", progress=progress)
    return df.drop(columns=[c for c in ("ranked", "rag_answer") if c in df.columns])


@returns_course_table
def summarize_rag_eval(df: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The headline metrics of run_rag_eval, each with what it measures, its count and a Wilson 95% interval:
    hit@k, MRR, answer correctness, groundedness, refusal on unanswerable, false refusal, hallucination rate."""
    df = successful(df)
    ans, una = df[df.answerable], df[~df.answerable]
    given = df[~df.refused]
    rows = []

    def add(metric, what, flags):
        flags = list(flags)
        if not flags:
            rows.append({"metric": metric, "value": None, "low": None, "high": None, "n": 0, "measures": what})
            return
        r = rate(flags, name=metric)
        rows.append({"metric": metric, "value": r.rate, "low": r.low, "high": r.high, "n": r.n, "measures": what})

    add(f"hit@{k}", f"answerable questions whose gold document is in the top {k}", ans[f"hit@{k}"].astype(bool))
    rows.append({"metric": "MRR", "value": float(ans["rr"].mean()) if len(ans) else None, "low": None, "high": None,
                 "n": int(len(ans)), "measures": "average of 1 / rank of the first gold document"})
    add("answer correctness", "answerable questions answered correctly (matches the gold answer)", ans["correct"])
    add("correct when retrieved", "answerable questions answered correctly when the gold document was retrieved",
        ans[ans.retrieved_gold]["correct"])
    rows.append({"metric": "groundedness", "value": float(given["grounded"].mean()) if len(given) else None,
                 "low": None, "high": None, "n": int(len(given)),
                 "measures": "average share of an answer's key words found in the retrieved text"})
    add("refusal on unanswerable", "unanswerable questions where the assistant said it did not know", una["refused"])
    add("false refusal", "answerable questions the assistant refused", ans["refused"])
    add("hallucination rate", "given answers with made-up detail (see FAILURE_CATEGORIES)", given["made_up"])
    return pd.DataFrame(rows)


def drill_down(df: pd.DataFrame) -> pd.DataFrame:
    """Every failed question with its category, answer, gold answer and the evidence (one row each, worst first)."""
    df = successful(df)
    failed = df[df["category"] != "correct"].copy()
    failed["category"] = pd.Categorical(failed["category"], categories=list(FAILURE_CATEGORIES), ordered=True)
    cols = ["id", "category", "question", "answer", "gold", "answerable", "retrieved_gold", "refused_by", "grounded",
            "made_up_numbers", "gate_probability"]
    return failed.sort_values(["category", "id"])[[c for c in cols if c in failed.columns]].reset_index(drop=True)


def category_counts(df: pd.DataFrame) -> pd.Series:
    """How many questions fell in each outcome ('correct' and every failure category, zeros included)."""
    df = successful(df)
    return df["category"].value_counts().reindex(OUTCOME_ORDER, fill_value=0)


# ---------- with retrieval vs without: the same model, the same questions, the same scorer ----------
ARMS = ("with retrieval", "without retrieval")


def with_and_without(pipeline, rows, *, answer_mode: str = "extractive", backend=None, max_tokens: int = 48,
                     seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Each answerable question answered twice by the same model: through the pipeline (``answer_mode``: "extractive",
    the model picks a retrieved sentence, or "generate", it writes the answer) and with no documents at all
    (``pipeline.answer_without_rag``). Both answers are scored by the same rule (scorers.answer_correct against the
    gold answer). Unanswerable questions are left out: without documents there is nothing to refuse from, so they
    would not compare like with like (the refusal side is measured by run_rag_eval). Extractive answers come from the
    local model, so its "without" arm does too, whatever ``backend`` says: one model on both sides."""
    backend = "local" if answer_mode == "extractive" else backend
    items = [{"id": r.get("id", f"row{i}"), "question": r["question"], "gold": r["answer"]}
             for i, r in enumerate(rows) if r.get("doc_ids")]
    if not items:
        raise InputError("rows holds no answerable question (none with doc_ids): pass load_eval()'s rows.")

    extracted = {}  # question -> its extractive answer (the same question always gets the same pick)
    if answer_mode == "extractive":  # every question's candidates scored together (each candidate's prompt read once)
        questions = [item["question"] for item in items]
        extracted = dict(zip(questions, pipeline.extract_many(questions, progress=progress)))

    if extracted:  # only the answers with no documents are left: short prompts, long answers, so decoded in batches
        # (measured on Tidewell's 65 at one thread: 25.4 CPU-s in batches of 8, 35.0 one by one, the same 65 answers)
        call = ModelStep(lambda item: pipeline.without_rag_request(item["question"], max_tokens=max_tokens, seed=seed),
                         lambda item, bare: {"with retrieval": extracted[item["question"]].text,
                                             "without retrieval": bare.text}, backend=backend, batch_size=BATCH_SIZE)
    else:
        def call(item):
            ans = pipeline.answer(item["question"], answer_mode=answer_mode, backend=backend, max_tokens=max_tokens,
                                  seed=seed)
            bare = pipeline.answer_without_rag(item["question"], backend=backend, max_tokens=max_tokens, seed=seed)
            return {"with retrieval": ans.text, "without retrieval": bare.text}

    def score(item, res):
        return {"correct with": answer_correct(res["with retrieval"], item["gold"]),
                "correct without": answer_correct(res["without retrieval"], item["gold"])}

    df = run_harness(items, call, score, desc="With and without retrieval", progress=progress)
    return df.rename(columns={"gold": "gold answer"})


@returns_course_table
def compare_arms(df: pd.DataFrame) -> pd.DataFrame:
    """Answer correctness with and without retrieval (from with_and_without): share correct, count, and the Wilson 95%
    interval of each (the range the true rate plausibly lies in, given how few questions were asked)."""
    df = successful(df)
    missing = [c for c in ("correct with", "correct without") if c not in df.columns]
    if missing:
        raise InputError(f"The table has no {', '.join(missing)} column(s): pass the DataFrame with_and_without() returns.")
    out = []
    for arm, col in zip(ARMS, ("correct with", "correct without")):
        r = rate(df[col], name=col)
        out.append({"answers": arm, "correct": r.rate, "right": r.k, "questions": r.n, "low (95%)": r.low,
                    "high (95%)": r.high})
    return pd.DataFrame(out).set_index("answers")
