"""Checks for week 3's exercises (embeddings and vector search)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab.checks.decisions import cites_figure, read_decision, table_figures, without_options
from ai_pm_lab.exercises import blank_columns, check, exercise_check, hint_giver, missing_input
from ai_pm_lab.rag.search import cosine_top_k, recall_at_k
from ai_pm_lab.tables import format_rate

# Hints on request (checks.hint("3.5") in the notebook): a nudge first, the near-answer last; never the rule up front.
HINTS = {
    "3.1": ("The exercise text holds the recipe: one dot product and two lengths. Which of them can you get without "
            "writing code?",
            "No code: the widget under the exercise shows the dot product and both lengths; divide on a calculator and "
            "type the result (two or three decimals) as `cos = ...`.",
            "In numpy: np.dot(a, b) is the dot product, np.linalg.norm(a) the length of a."),
    "3.2": ("Semantic search scores every chunk against the question, then keeps the best. How could you score all "
            "rows at once, or see them all scored?",
            "No code: switch the widget under the exercise to order by similarity and read the first three row "
            "numbers. In code: the rows are unit length, so `rag.vectors @ q` scores every row in one step.",
            "np.argsort(-scores) lists row numbers best first; keep the first three, as ints."),
    "3.3": ("Read each feature's row on its own: what share of its queries does each method answer with a right "
            "document first?",
            "Where two methods find the same share, ask what each costs to build, run and explain.",
            "Each why needs a number from that feature's row of `methods` (a hit rate, as 0.92 or 92%)."),
    "3.4": ("Compare each row of `approx` with the same row of `exact`: which ids appear in both?",
            "Count the shared ids row by row, add the counts, and divide by how many ids `exact` holds (3 rows × 3). "
            "A fraction such as `recall = 5/9` is a fine answer: no code needed.",
            "In code: sum(len(set(x) & set(e)) for x, e in zip(approx.tolist(), exact.tolist())) / exact.size"),
    "3.5": ("Start from your own bar, `recall_bar`: which rows of `sweep` reach it?",
            "Among the rows that reach your bar, what does each one cost on every search?",
            "Your why needs a figure from `sweep` (a recall@k or a ms/query value)."),
    "3.6": ("Start from your own bar, `answer_bar`: which chunk sizes keep the answer's facts in the prompt often "
            "enough?",
            "Among those sizes, what does each one put into every prompt?",
            "Your why needs a figure from `sizes` (an answer-in-prompt share or a prompt-words count)."),
}
hint = hint_giver(HINTS)

WHY_FIGURE = ("Your `why` quotes no number from {table}. Back the choice with a figure you measured there "
              "(e.g. {example}).")


def _bar(value, name: str) -> str:
    """A problem with a learner's bar (a share between 0 and 1), or ""."""
    if not 0 < float(value) <= 1:
        return (f"`{name}` is {value!r}: set it as a share between 0 and 1, e.g. 0.9 for 90% (it is your product's "
                "bar, so any value you can defend works).")
    return ""


@exercise_check("3.1 cosine by hand", answers=("value",))
def cosine(a, b, value):
    """Exercise 3.1: cosine similarity of two vectors, by hand."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero vector has no direction: NaN, which never matches
        expected = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    # two decimals are enough: the no-code path reads the pieces and divides on a calculator
    return check(cosine.exercise, lambda: value is not None and abs(float(value) - expected) <= 0.005,
                 success=f"Yes: {expected:.3f}. Both lengths are 1 (the vectors are unit length), so cosine similarity "
                         "is just the dot product.",
                 hint="Not yet: store the cosine similarity of a and b in `cos` (two or three decimals are fine). "
                      'Stuck? run checks.hint("3.1").')


@exercise_check("3.2 the top 3 chunks", answers=("value",))
def top3(query, vectors, value):
    """Exercise 3.2: the ids of the 3 most similar rows, best first."""
    expected = cosine_top_k(query, vectors, 3)[1][0].tolist()
    return check(top3.exercise, lambda: value is not None and [int(i) for i in value] == expected,
                 success=f"Right: rows {expected}, the same answer FAISS exact search will give.",
                 hint="Not yet: `top3` should hold the three row numbers of the best-scoring chunks, best first. "
                      'Stuck? run checks.hint("3.2").')


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
        elif not cites_figure(decisions[feature].get("why"), rates.values(), kind="rate"):
            problems.append(f"{feature}: " + WHY_FIGURE.format(table="this feature's row of `methods`",
                                                              example=format_rate(rates[choice], 0)))
        elif choice != want:
            if rates[choice] >= best - 1e-9:
                extra = "two searches and a merge" if choice == "both" else "an embedding model"
                problems.append(
                    f"{feature}: '{choice}' finds a right document first for {format_rate(rates[choice], 0)} of these "
                    f"queries, but a cheaper method in your table finds as many: you would run {extra} to build, tune "
                    "and explain, for nothing on these queries.")
            else:
                reason = METHOD_TRADE_OFFS.get((choice, want), "blending in the weaker method's ranking pushes right "
                                                                "documents down the list")
                problems.append(f"{feature}: '{choice}' finds a right document first for {format_rate(rates[choice], 0)} "
                                f"of these queries, and another method in your table finds more: {reason}.")
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
                 hint="Not yet: store in `recall` the share of the exact neighbours the approximate search also "
                      'found (a fraction such as 5/9 is fine). Stuck? run checks.hint("3.4").')


@exercise_check("3.5 which index setting to ship", answers=("decision",),
                tables={"sweep": ("param", "recall@k", "ms/query")})
def cheapest_setting(sweep: pd.DataFrame, decision, target: float = 0.95):
    """Exercise 3.5 (decision): the efSearch to ship under the learner's own recall bar ``target``.

    ``decision`` is ``dict(choice=..., why=...)`` with ``choice`` one of the measured efSearch values and a ``why`` that
    quotes a figure of ``sweep``. Right: the smallest efSearch whose measured recall@k reaches ``target`` (the fastest
    acceptable one)."""
    name = cheapest_setting.exercise
    bad_bar = _bar(target, "recall_bar")
    if bad_bar:
        return check(name, lambda: False, hint=bad_bar)
    rows = {str(int(r["param"])): r for _, r in sweep.iterrows()}
    ok_rows = sweep[sweep["recall@k"] >= target]
    want = str(int(ok_rows["param"].min())) if len(ok_rows) else None
    if isinstance(decision, dict) and isinstance(decision.get("choice"), float) and decision["choice"].is_integer():
        decision = {**decision, "choice": int(decision["choice"])}
    choice, problem = read_decision(decision, list(rows))
    if want is None:
        problem = (f"No measured setting reaches your bar of recall@k ≥ {target:g}: measure larger efSearch values "
                   "first, or ask whether the bar is what the feature needs.")
    elif not problem and not cites_figure(without_options(decision.get("why"), rows),
                                          table_figures(sweep[["recall@k", "ms/query"]])):
        problem = WHY_FIGURE.format(table="`sweep`", example=f"recall {rows[choice]['recall@k']:.2f} or "
                                                           f"{rows[choice]['ms/query']:.2f} ms")
    elif not problem and choice != want:
        r = rows[choice]
        if r["recall@k"] >= target:
            problem = (f"efSearch = {choice} meets your bar (recall {r['recall@k']:.2f}) at {r['ms/query']:.2f} ms per "
                       "query, but a smaller setting in your table meets it too, and answers faster: you would pay "
                       "latency on every search for recall nobody asked for.")
        else:
            problem = (f"efSearch = {choice} is fast, but its recall@10 is {r['recall@k']:.2f}, below your bar of "
                       f"{target:g}: users would miss true neighbours. Speed does not count until the bar is met.")
    return check(name, lambda: not problem,
                 success=f"efSearch = {want}: the fastest setting that still meets your bar of recall ≥ {target:g}. "
                         "Move the bar and the answer moves with it: the bar is the product decision.",
                 hint=problem or 'Pick one of the measured settings. Stuck? run checks.hint("3.5").')


@exercise_check("3.6 which chunk size", answers=("decision",),
                tables={"sweep": ("chunk size (words)", "answer in prompt", "prompt words")})
def chunk_size_choice(sweep: pd.DataFrame, decision, *, bar: float = 0.95):
    """Exercise 3.6 (decision): the chunk size for a help chat, from the measured sweep and the learner's own bar.

    ``sweep`` has one row per chunk size with "answer in prompt" (share of questions whose answer's facts reach the
    prompt) and "prompt words". The right size keeps the answer in the prompt for at least ``bar`` of the questions
    with the fewest prompt words; if none reaches the bar, the one that comes closest. The ``why`` quotes a figure of
    ``sweep``.
    """
    bad_bar = _bar(bar, "answer_bar")
    if bad_bar:
        return check(chunk_size_choice.exercise, lambda: False, hint=bad_bar)
    rows = {str(int(r["chunk size (words)"])): r for _, r in sweep.iterrows()}
    reach = sweep[sweep["answer in prompt"] >= bar]
    pick = (reach.sort_values(["prompt words", "chunk size (words)"]).iloc[0] if len(reach)
            else sweep.sort_values(["answer in prompt", "prompt words"], ascending=[False, True]).iloc[0])
    want = str(int(pick["chunk size (words)"]))
    choice, problem = read_decision(decision, list(rows))
    if not problem and not cites_figure(without_options(decision.get("why"), rows),
                                        table_figures(sweep[["answer in prompt", "prompt words"]])):
        r = rows[choice]
        problem = WHY_FIGURE.format(table="`sizes`", example=f"{format_rate(r['answer in prompt'], 0)} or "
                                                           f"{r['prompt words']:.0f} words")
    elif not problem and choice != want:
        r, w = rows[choice], rows[want]
        if r["answer in prompt"] < bar and w["answer in prompt"] < bar:
            problem = (f"No size reaches your {format_rate(bar, 0)} bar, and {choice} words is not the closest "
                       f"({format_rate(r['answer in prompt'], 0)} of answers in the prompt). Take the closest, and tell "
                       "the team the bar needs better content or retrieval.")
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
            problem = (f"{choice} words keeps the answer in the prompt ({format_rate(r['answer in prompt'], 0)}), but every "
                       f"prompt carries {r['prompt words']:.0f} words of retrieved text, and another size in your table "
                       "also meets the bar with fewer: you pay for the extra words on every question, and a small model "
                       "has more text to search for the one fact it needs.")
    return check(chunk_size_choice.exercise, lambda: not problem,
                 success=f"{want} words: the answer reaches the prompt for {format_rate(rows[want]['answer in prompt'], 0)} of the "
                         f"questions with {rows[want]['prompt words']:.0f} words of retrieved text per prompt. Smaller "
                         "chunks cut answers; larger ones cost words on every call. The best size belongs to your "
                         "documents, your questions and your bar, so measure it on them.",
                 hint=problem or 'Pick one of the measured sizes. Stuck? run checks.hint("3.6").')
