"""Checks for week 3's exercises (embeddings and vector search)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab.checks.decisions import read_decision
from ai_pm_lab.exercises import blank_columns, check, exercise_check, missing_input
from ai_pm_lab.rag.search import cosine_top_k, recall_at_k
from ai_pm_lab.tables import format_rate


@exercise_check("3.1 cosine by hand", answers=("value",))
def cosine(a, b, value):
    """Exercise 3.1: cosine similarity of two vectors, by hand."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero vector has no direction: NaN, which never matches
        expected = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return check(cosine.exercise, lambda: value is not None and abs(float(value) - expected) < 1e-5,
                 success=f"Yes: {expected:.3f}. For unit-length vectors this is just the dot product.",
                 hint="Divide the dot product np.dot(a, b) by the product of the two lengths np.linalg.norm(...).")


@exercise_check("3.2 top-3 in numpy", answers=("value",))
def top3(query, vectors, value):
    """Exercise 3.2: the ids of the 3 most similar rows, best first."""
    expected = cosine_top_k(query, vectors, 3)[1][0].tolist()
    return check(top3.exercise, lambda: value is not None and [int(i) for i in value] == expected,
                 success=f"Right: rows {expected}, the same answer FAISS exact search will give.",
                 hint="Score every row against the query in one step (the rows are unit length, so similarity is a "
                      "dot product), then order the row numbers by score, best first, and keep three.")


METHOD_COST = ("keyword", "semantic", "both")  # cheapest first: no model; one embedding per query; two searches merged
METHOD_TRADE_OFFS = {
    ("keyword", "semantic"): "customers describe the problem in their own words and TF-IDF only sees shared words; cheap "
                             "and explainable is worth nothing when the right page never shows up",
    ("semantic", "keyword"): "an embedding model turns a code or acronym it has never seen into a vague meaning; for "
                             "exact identifiers the exact match is the feature, and it costs no model at all",
    ("keyword", "both"): "each method misses what the other catches: on a mixed set of queries only the combination "
                         "covers both the exact terms and the paraphrases",
    ("semantic", "both"): "each method misses what the other catches: on a mixed set of queries only the combination "
                          "covers both the exact terms and the paraphrases",
}


@exercise_check("3.3 keyword, semantic or both", answers=("decisions",), tables={"table": ("feature",)})
def search_method_choice(table: pd.DataFrame, decisions):
    """Exercise 3.3 (decision): keyword, semantic or both search per feature, from the measured hit@k of each.

    ``table`` has one row per feature and a "<method> hit@k" column per method; ``decisions`` maps each feature to
    ``dict(choice=..., why=...)``. The right method has the highest hit@k; on a tie the cheaper one (keyword needs no
    model, semantic one embedding per query, both runs two searches and a merge).
    """
    cols = {m: next((c for c in getattr(table, "columns", []) if str(c).startswith(f"{m} hit@")), None)
            for m in METHOD_COST}
    if not hasattr(table, "columns") or "feature" not in table.columns or None in cols.values():
        return check(search_method_choice.exercise, lambda: False,
                     hint="First measure `methods`: one row per feature with a hit@k column for keyword, semantic and "
                          "both.")
    gap = blank_columns(table, list(cols.values()))
    if gap:
        return missing_input(search_method_choice.exercise, "table", gap)
    if not isinstance(decisions, dict):
        return check(search_method_choice.exercise, lambda: False,
                     hint="Record `decisions` as a dict: feature -> dict(choice=..., why=...), one per feature.")
    problems, wants = [], {}
    for _, row in table.iterrows():
        feature = row["feature"]
        rates = {m: float(row[c]) for m, c in cols.items()}
        best = max(rates.values())
        want = next(m for m in METHOD_COST if rates[m] >= best - 1e-9)
        wants[feature] = want
        choice, problem = read_decision(decisions.get(feature), list(METHOD_COST))
        if problem:
            problems.append(f"{feature}: {problem}")
        elif choice != want:
            if rates[choice] >= best - 1e-9:
                extra = "two searches and a merge" if choice == "both" else "an embedding model"
                problems.append(
                    f"{feature}: '{choice}' finds a right document for {format_rate(rates[choice], 0)} of these queries, no more than "
                    f"'{want}' at {format_rate(rates[want], 0)}: you would run {extra} to build, tune and explain, for nothing on "
                    "these queries.")
            else:
                reason = METHOD_TRADE_OFFS.get((choice, want), "blending in the weaker method's ranking pushes right "
                                                                "documents down the list")
                problems.append(f"{feature}: '{choice}' finds a right document in the top results for {format_rate(rates[choice], 0)} "
                                f"of these queries against {format_rate(rates[want], 0)} with '{want}': {reason}.")
    return check(search_method_choice.exercise, lambda: not problems,
                 success="Your choices follow the data: " + "; ".join(f"{f}: {w}" for f, w in wants.items())
                         + ". Which search to build depends on how your users ask, so measure it on their queries.",
                 hint=" ".join(problems) or "Pick one method for every feature in the table.")


@exercise_check("3.4 recall@k", answers=("value",))
def recall(approx_ids, exact_ids, value):
    """Exercise 3.4: recall@k of an approximate search against the exact one."""
    expected = recall_at_k(approx_ids, exact_ids)
    return check(recall.exercise, lambda: value is not None and abs(float(value) - expected) < 1e-9,
                 success=f"Recall {expected:.2f}: the share of true neighbours the fast index still found.",
                 hint="For each query count how many ids appear in both rows (a set intersection); divide the total by queries × k.")


@exercise_check("3.5 cheapest setting that meets the bar", answers=("decision",),
                tables={"sweep": ("param", "recall@k")})
def cheapest_setting(sweep: pd.DataFrame, decision, target: float = 0.95):
    """Exercise 3.5 (decision): the smallest efSearch whose measured recall@10 reaches the target.

    ``decision`` is ``dict(choice=..., why=...)`` with ``choice`` one of the measured efSearch values."""
    name = cheapest_setting.exercise
    rows = {str(int(r["param"])): r for _, r in sweep.iterrows()}
    ok_rows = sweep[sweep["recall@k"] >= target]
    want = str(int(ok_rows["param"].min())) if len(ok_rows) else None
    if isinstance(decision, dict) and isinstance(decision.get("choice"), float) and decision["choice"].is_integer():
        decision = {**decision, "choice": int(decision["choice"])}
    choice, problem = read_decision(decision, list(rows))
    if want is None:
        problem = f"No measured setting reaches recall@k ≥ {target}: measure larger efSearch values first."
    elif not problem and choice != want:
        r, best = rows[choice], rows[want]
        if int(choice) > int(want):
            ms = (f" takes {r['ms/query']:.2f} ms per query against {best['ms/query']:.2f} ms at {want}, which"
                  if "ms/query" in sweep.columns else f" is slower than {want}, which")
            problem = (f"efSearch = {choice}{ms} already meets recall ≥ {target}: you would pay latency on every "
                       "search for recall nobody asked for.")
        else:
            problem = (f"efSearch = {choice} is fast, but its recall@10 is {r['recall@k']:.2f}, below the {target} bar: "
                       "users would miss true neighbours. Speed does not count until the quality bar is met.")
    return check(name, lambda: not problem,
                 success=f"efSearch = {want}: the fastest setting that still meets recall ≥ {target}.",
                 hint=problem or f"Which settings reach recall@k ≥ {target}? Of those, which one answers fastest?")


@exercise_check("3.6 which chunk size", answers=("decision",),
                tables={"sweep": ("chunk size (words)", "answer in prompt", "prompt words")})
def chunk_size_choice(sweep: pd.DataFrame, decision, *, bar: float = 0.95):
    """Exercise 3.6 (decision): the chunk size for a help chat, from the measured sweep.

    ``sweep`` has one row per chunk size with "answer in prompt" (share of questions whose answer's facts reach the
    prompt) and "prompt words". The right size keeps the answer in the prompt for at least ``bar`` of the questions
    with the fewest prompt words; if none reaches the bar, the one that comes closest.
    """
    rows = {str(int(r["chunk size (words)"])): r for _, r in sweep.iterrows()}
    reach = sweep[sweep["answer in prompt"] >= bar]
    pick = (reach.sort_values(["prompt words", "chunk size (words)"]).iloc[0] if len(reach)
            else sweep.sort_values(["answer in prompt", "prompt words"], ascending=[False, True]).iloc[0])
    want = str(int(pick["chunk size (words)"]))
    choice, problem = read_decision(decision, list(rows))
    if not problem and choice != want:
        r, w = rows[choice], rows[want]
        if r["answer in prompt"] < bar and w["answer in prompt"] < bar:
            problem = (f"No size reaches your {format_rate(bar, 0)} bar; {want} words comes closest with "
                       f"{format_rate(w['answer in prompt'], 0)} of answers in the prompt against {format_rate(r['answer in prompt'], 0)} at "
                       f"{choice}. Take the closest, and tell the team the bar needs better content or retrieval.")
        elif r["answer in prompt"] < bar:
            if int(choice) < int(want):
                problem = (f"At {choice} words the answer's facts reach the prompt for only {format_rate(r['answer in prompt'], 0)} "
                           f"of the questions, below your {format_rate(bar, 0)} bar: chunks this small cut answers in half, so the "
                           "right document is found but the sentence with the number sits in a chunk that was not "
                           "retrieved. Fewer words per prompt do not help when the answer is not among them.")
            else:
                problem = (f"At {choice} words the answer's facts reach the prompt for only {format_rate(r['answer in prompt'], 0)} "
                           f"of the questions, below your {format_rate(bar, 0)} bar: large chunks blur several facts into one vector, "
                           "so the best-matching chunks are less often the ones holding the answer, and every prompt "
                           "is longer too.")
        else:
            problem = (f"{choice} words also keeps the answer in the prompt ({format_rate(r['answer in prompt'], 0)}), but every "
                       f"prompt carries {r['prompt words']:.0f} words of retrieved text against {w['prompt words']:.0f} "
                       f"at {want}: you pay for the extra words on every question, and a small model has more text to "
                       "search for the one fact it needs.")
    return check(chunk_size_choice.exercise, lambda: not problem,
                 success=f"{want} words: the answer reaches the prompt for {format_rate(rows[want]['answer in prompt'], 0)} of the "
                         f"questions with {rows[want]['prompt words']:.0f} words of retrieved text per prompt. Smaller "
                         "chunks cut answers; larger ones cost words on every call. The best size belongs to your "
                         "documents and questions, so measure it on them.",
                 hint=problem or "Compare each size with the bar, then the words each puts in the prompt.")
