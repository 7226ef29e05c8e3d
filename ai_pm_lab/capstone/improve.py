"""The improvement loop: mine the logged "I don't know" answers and escalations for missing content, add a document,
re-index, re-evaluate, and measure before against after on the same questions."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab import embeddings
from ai_pm_lab.capstone.assistant import build_assistant, build_pipeline
from ai_pm_lab.capstone.launch import HANDLED, WRONG, evaluate, metrics
from ai_pm_lab.capstone.samples import ADDITIONS_DIR, QUESTIONS_FILE
from ai_pm_lab.errors import InputError
from ai_pm_lab.rag.documents import load_folder
from ai_pm_lab.rag.log import read_log
from ai_pm_lab.tables import returns_course_table
from ai_pm_lab.text import STOPWORDS

DECLINED_OUTCOMES = ("refused", "escalated")
GAP_DISTANCE = 0.6  # cosine distance under which two declined questions count as the same gap


@returns_course_table
def declined_requests(log) -> pd.DataFrame:
    """The logged requests the assistant declined or handed over (outcome refused/escalated), with a question."""
    df = read_log(log) if not isinstance(log, pd.DataFrame) else log
    if "outcome" not in df.columns or "question" not in df.columns:
        raise InputError("The log has no 'outcome'/'question' fields: is it an assistant event log (rag.log.EventLog)?")
    out = df[df["outcome"].isin(DECLINED_OUTCOMES) & df["question"].astype(str).str.strip().ne("")]
    return out.reset_index(drop=True)


def _label(questions: list[str], weights: list[int], n: int = 3) -> str:
    words = Counter()
    for q, w in zip(questions, weights):
        for word in set(re.findall(r"[a-z][a-z0-9']+", q.lower())):
            if word not in STOPWORDS and len(word) > 2:
                words[word] += w
    top = [w for w, _ in words.most_common(n)]
    return " / ".join(top) if top else questions[0][:30]


@returns_course_table
def content_gaps(log, *, distance: float = GAP_DISTANCE) -> pd.DataFrame:
    """Declined requests grouped by meaning (MiniLM embeddings, agglomerative clustering), biggest group first.

    One row per group: a label from its most frequent words, requests, distinct wordings, an example, all wordings."""
    from sklearn.cluster import AgglomerativeClustering


    declined = declined_requests(log)
    cols = ["gap", "requests", "distinct questions", "example", "questions"]
    if declined.empty:
        return pd.DataFrame(columns=cols)
    counts = declined["question"].astype(str).str.strip().value_counts()
    questions, weights = list(counts.index), [int(c) for c in counts.values]
    if len(questions) == 1:
        labels = np.zeros(1, int)
    else:
        vectors = embeddings.embed(questions)
        labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                         linkage="average").fit_predict(vectors)
    rows = []
    for lab in sorted(set(labels)):
        idx = [i for i, x in enumerate(labels) if x == lab]
        qs, ws = [questions[i] for i in idx], [weights[i] for i in idx]
        rows.append({"gap": _label(qs, ws), "requests": int(sum(ws)), "distinct questions": len(qs),
                     "example": qs[int(np.argmax(ws))], "questions": qs})
    out = pd.DataFrame(rows, columns=cols).sort_values(["requests", "distinct questions"], ascending=False)
    return out.reset_index(drop=True)


@returns_course_table
def label_gaps(gaps: pd.DataFrame, day: pd.DataFrame) -> pd.DataFrame:
    """Add what each gap really is, from the simulated day's labels (answerable, unanswerable, adversarial, new_product...)."""
    kinds = dict(zip(day["question"].astype(str).str.strip(), day["kind"]))
    out = gaps.copy()
    out["kind (simulation label)"] = [Counter(kinds.get(q, "unknown") for q in qs).most_common(1)[0][0] if qs else "unknown"
                                     for qs in gaps["questions"]]
    return out


@returns_course_table
def relabel(day: pd.DataFrame, gap_rows) -> pd.DataFrame:
    """The day with gap questions (matched by intent or wording) now expected to be answered with the new content's answer."""
    gold_by_intent = {r.get("intent"): r["answer"] for r in gap_rows if r.get("intent")}
    gold_by_question = {r["question"]: r["answer"] for r in gap_rows}
    out = day.copy()
    for i, row in out.iterrows():
        gold = gold_by_intent.get(row.get("intent")) or gold_by_question.get(row["question"])
        if gold:
            out.at[i, "gold"] = gold
            out.at[i, "should_answer"] = True
    return out


NOT_RUN = "not run yet"
IMPROVEMENT_COLUMNS = ["before", "after", "change"]
GAP_COLUMNS = ["question", "before", "after", "correct before", "correct after"]


def improvement_status(project) -> str:
    """Whether the improvement loop can run on this project, and if not, what to do so it can."""
    additions = getattr(project, "additions", None)
    if not additions or not Path(additions).is_dir():
        return (f"{NOT_RUN}: there is no {ADDITIONS_DIR}/ folder yet. To run it, write a document that answers your "
                f"biggest content gap (see the table above) into <your folder>/{ADDITIONS_DIR}/ (any .md, .txt, .pdf, "
                f".docx or .html), add the questions it answers to {QUESTIONS_FILE} with their answers and its file "
                "name in the source column, then rerun this notebook.")
    if not project.gap_rows:
        return (f"{NOT_RUN}: nothing to measure the addition on. In {QUESTIONS_FILE}, add the questions your new "
                f"document in {ADDITIONS_DIR}/ answers, with the answer and its file name in the source column, then rerun.")
    return f"ready: {ADDITIONS_DIR}/ and {len(project.gap_rows)} gap question(s) to measure it on"


def additions_report(project):
    """What the loader makes of the project's additions/ folder (a LoadReport), or None when there is none yet."""
    additions = getattr(project, "additions", None)
    return load_folder(additions) if additions and Path(additions).is_dir() else None


def not_run(status: str) -> dict:
    """The improvement loop's result when it could not run: the same keys, empty tables, and the status saying why."""
    return {"ran": False, "status": status, "after": None, "pipeline": None, "added": [],
            "table": pd.DataFrame(columns=IMPROVEMENT_COLUMNS, dtype=float).rename_axis("measure"),
            "gap": pd.DataFrame(columns=GAP_COLUMNS), "day_before": None, "day_after": None, "test_after": None}


@returns_course_table
def improvement_loop(project, before_assistant, *, before_eval: pd.DataFrame | None = None, log=None,
                     progress: bool = True) -> dict:
    """Add the project's additions, re-index, re-run the same questions and the same day; before vs after, measured.

    Returns a dict: 'ran', 'status', 'after' (the new assistant), 'table' (before/after/change), 'gap' and 'day'
    (per-request tables). With no additions/ folder (or no gap questions to measure on) nothing runs: 'ran' is False,
    the tables are empty and 'status' says "not run yet" and how to run it."""
    status = improvement_status(project)
    if status.startswith(NOT_RUN):
        return not_run(status)
    added = load_folder(project.additions)
    before_pipeline = before_assistant.pipeline
    pipeline = build_pipeline(project.documents, additions=project.additions, gate=before_pipeline.gate)
    tester_before = build_assistant(before_pipeline, replay=before_assistant.generator)
    after = build_assistant(pipeline, replay=before_assistant.generator)
    gap_before = evaluate(tester_before, project.gap_rows, progress=progress)
    gap_after = evaluate(after, project.gap_rows, progress=progress)
    test_before = before_eval if before_eval is not None else evaluate(tester_before, project.eval_rows, progress=progress)
    test_after = evaluate(after, project.eval_rows, progress=progress)
    day = relabel(project.traffic, project.gap_rows)
    day_before = evaluate(build_assistant(before_pipeline, replay=before_assistant.generator), day, progress=progress)
    day_after = evaluate(build_assistant(pipeline, log=log, replay=before_assistant.generator), day, progress=progress)
    rows = []
    for what, b, a in (("gap questions", gap_before, gap_after), ("test questions", test_before, test_after),
                       ("day: requests", day_before, day_after)):
        before, after = metrics(b), metrics(a)
        rows.append({"measure": f"{what} handled correctly (n={len(b)})", "before": before[HANDLED], "after": after[HANDLED]})
        rows.append({"measure": f"{what} answered wrong (n={len(b)})", "before": before[WRONG], "after": after[WRONG]})
    rows.append({"measure": f"day: requests declined / handed to a person (n={len(day_before)})",
                 "before": float(day_before["refused"].mean()), "after": float(day_after["refused"].mean())})
    table = pd.DataFrame(rows).set_index("measure")
    table["change"] = table["after"] - table["before"]
    return {"ran": True, "status": f"measured: added {', '.join(d.id for d in added.documents)}",
            "after": after, "pipeline": pipeline, "added": [d.id for d in added.documents], "table": table,
            "gap": pd.DataFrame({"question": gap_before["question"], "before": gap_before["answer"],
                                 "after": gap_after["answer"], "correct before": gap_before["handled_correctly"],
                                 "correct after": gap_after["handled_correctly"]}),
            "day_before": day_before, "day_after": day_after, "test_after": test_after}
