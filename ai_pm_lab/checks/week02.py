"""Checks for week 2's exercises: each prints friendly feedback and never raises.

2.2, 2.3 and 2.4 are decisions: each check works out the right choice from the table the learner measured (never a
fixed answer) and, for a plausible wrong choice, says which trade-off it misses.
"""
from __future__ import annotations

import math

import pandas as pd

from ai_pm_lab.catalog import find_model, model_info
from ai_pm_lab.checks.decisions import cites_figure, read_decision, table_figures
from ai_pm_lab.evaluation.scorers import SIGNED_NUMBER_RE
from ai_pm_lab.exercises import check, exercise_check, hint_giver
from ai_pm_lab.tables import format_money, format_rate, returns_course_table

_NUMERIC_CASES = [("The answer is 42.", 42, True), ("First 3, then 8, so 11", 11, True), ("It costs $1,250 in total", 1250, True),
                  ("about 7.5 hours", 7.5, True), ("I think 12", 13, False), ("no idea", 5, False), ("", 0, False)]
BARE, GROUNDED = "no context", "context + only-from-context"
LAUNCH_OPTIONS = ("ship", "ground", "restrict")
CUTS = {
    "head": "head keeps the beginning and cuts the end",
    "tail": "tail keeps the end and cuts the beginning",
    "middle-out": "middle-out splits the budget between the two ends, so each end gets only half of it",
    "retrieve-relevant": "retrieve-relevant keeps only sentences that share words with the question, so a fact worded "
                         "differently from the question is cut",
}
NO_MODEL = "none"
WHY_FIGURE = ("Your `why` quotes no number from {table}. Back the choice with a figure you measured there "
              "(e.g. {example}).")

# Hints on request (checks.hint("2.2") in the notebook): a nudge first, the near-answer last; never the rule up front.
HINTS: dict[str, tuple[str, ...]] = {
    "2.1": ("Read the rule word by word: which number counts, and what happens when there is none?",
            "No code: the table under the exercise lists every number in each test answer; apply the rule by eye "
            "and record one True or False per row in `passes`.",
            "In code: re.findall(r\"-?\\d[\\d,]*(?:\\.\\d+)?\", answer) lists the numbers as text; drop the commas, "
            "turn the last one into a float, and compare its distance from `expected` with the tolerance."),
    "2.2": ("Read `by_mode` row by row: in each way of launching, how often would a customer get a confident wrong answer?",
            "A refusal is not a hallucination: read the `hallucinated` column of `by_mode` for each mode.",
            "Your why needs a figure from `by_mode` (a hallucinated or refused share, as 0.78 or 78%)."),
    "2.3": ("Judge each document on its own rows of `kept`: where does the answer to its question sit?",
            "A cut is only as good as the needed facts it leaves in: compare `facts kept` across this document's rows.",
            "Each why needs a number from that document's rows (how many facts a cut kept)."),
    "2.4": ("The exercise gives two limits. Which rows of `bills` could you defend to finance, and which to the support lead?",
            "Among the rows that meet both, what does each cost a month? If none meets both, say so.",
            "Your why needs a figure from `bills` (a monthly bill or a quality score)."),
    "2.5": ("Precision looks at the tickets the classifier *sent* to billing; recall at the tickets that *were* billing.",
            "Count the positions where both lists say billing (true positives), then divide by the right total for each.",
            "precision = true positives / how often y_pred says billing; recall = true positives / how often y_true "
            "says billing."),
}
hint = hint_giver(HINTS)


@returns_course_table
def numeric_cases() -> pd.DataFrame:
    """The test answers 2.1's scorer is checked on, with every number written in each (commas dropped), in order."""
    return pd.DataFrame([{"answer": a, "expected": e,
                          "numbers in the answer": ", ".join(m.replace(",", "") for m in SIGNED_NUMBER_RE.findall(a)) or "(none)"}
                         for a, e, _ in _NUMERIC_CASES])


@exercise_check("2.1 numeric scorer", answers=("fn", "passes"))
def numeric_scorer(fn=None, passes=None):
    """Exercise 2.1: a scorer that compares the last number in an answer with the expected one; or, with no code,
    ``passes``: one True/False per row of numeric_cases(), the verdict that scorer should give."""
    want = [w for _, _, w in _NUMERIC_CASES]

    def by_code():
        return callable(fn) and all(fn(a, e) is w for a, e, w in _NUMERIC_CASES)

    def by_eye():
        return isinstance(passes, (list, tuple)) and [p if isinstance(p, bool) else None for p in passes] == want

    if fn is None and passes is None:
        return check(numeric_scorer.exercise, lambda: False,
                     hint="Fill in `numbers_match`, or take the no-code path: one True or False per row in `passes`.")
    wrong = ""
    if passes is not None and not by_eye():
        if not isinstance(passes, (list, tuple)) or len(passes) != len(want):
            wrong = f"`passes` needs {len(want)} values, True or False, one per row of the table, in order."
        else:
            rows = [str(i) for i, (p, w) in enumerate(zip(passes, want)) if p is not w]
            wrong = (f"Row{'s' if len(rows) > 1 else ''} {', '.join(rows)} of the table: read which number the rule "
                     "takes, how far it may be from `expected`, and what happens when there is none.")
    return check(numeric_scorer.exercise, lambda: by_code() or by_eye(),
                 success="Your scorer agrees with every test answer, including commas and decimals.",
                 hint=wrong or "Your function disagrees with at least one test answer in the table: run it on each row "
                               "and compare (or take the no-code path with `passes`).")


def _mode_rates(by_mode) -> dict | None:
    """mode -> row (hallucinated, refused, samples) from the learner's table, or None when it is not that table."""
    if not hasattr(by_mode, "columns") or not {"mode", "hallucinated", "refused", "samples"} <= set(by_mode.columns):
        return None
    rows = {str(r["mode"]): r for _, r in by_mode.iterrows()}
    return rows if {BARE, GROUNDED} <= set(rows) else None


@exercise_check("2.2 ship, ground or restrict", answers=("decision",),
                tables={"by_mode": ("mode", "hallucinated", "refused", "samples")})
def launch_choice(by_mode: pd.DataFrame, decision, *, tolerance: float):
    """Exercise 2.2 (decision): ship the bare model, ship it grounded, or restrict the feature, from measured rates.

    ``by_mode`` is the learner's hallucination.rates_by_mode(grid) table. Ship when the question alone stays within
    ``tolerance``; else ground when passage + "only from the context" does; else restrict.
    """
    name = launch_choice.exercise
    rows = _mode_rates(by_mode)
    if rows is None:
        return check(name, lambda: False,
                     hint="First measure `by_mode = hallucination.rates_by_mode(grid)` with both modes in the grid.")
    bare, grounded = float(rows[BARE]["hallucinated"]), float(rows[GROUNDED]["hallucinated"])
    refused_bare, refused_grounded = float(rows[BARE]["refused"]), float(rows[GROUNDED]["refused"])
    want = "ship" if bare <= tolerance else "ground" if grounded <= tolerance else "restrict"
    choice, problem = read_decision(decision, LAUNCH_OPTIONS)
    if not problem and not cites_figure(decision.get("why"), table_figures(by_mode[["hallucinated", "refused"]]), kind="rate"):
        problem = WHY_FIGURE.format(table="`by_mode`", example=format_rate(bare, 0))
    one_in = f"about 1 answer in {round(1 / bare)}" if bare > 0 else "no answer"
    if not problem and choice != want:
        if choice == "ship":
            problem = (f"With the question alone you measured {format_rate(bare, 0)} hallucinated answers, above the {format_rate(tolerance, 0)} "
                       f"you can tolerate: {one_in} would be confident and wrong, in front of a customer. Launching the "
                       "bare model buys speed to launch and pays for it in trust.")
        elif choice == "ground" and want == "restrict":
            problem = (f"The passage and the instruction moved the rate from {format_rate(bare, 0)} to {format_rate(grounded, 0)}, still above "
                       f"the {format_rate(tolerance, 0)} tolerance. Grounding helps, but not enough for this model to answer "
                       "customers on its own: a feature you launch must meet the bar you set, not just improve on the "
                       "worst option.")
        elif choice == "ground":  # the bare model already meets the bar
            problem = (f"The question alone already stayed at {format_rate(bare, 0)}, within {format_rate(tolerance, 0)}. Grounding adds a "
                       "retrieval step and a longer prompt on every call, and more refusals "
                       f"({format_rate(refused_grounded, 0)} refused against {format_rate(refused_bare, 0)}): cost for a risk you have already met.")
        else:  # restrict while a launch option meets the bar
            met = bare if want == "ship" else grounded
            how = "the question alone" if want == "ship" else "a passage and the 'only from the context' instruction"
            problem = (f"With {how} you measured {format_rate(met, 0)} hallucinated answers, within the {format_rate(tolerance, 0)} tolerance. "
                       "Restricting gives up a feature you can launch at the bar you set"
                       + (f"; the price of grounding is {format_rate(refused_grounded, 0)} of answers that say 'I don't know', the "
                          "honest answer when your content does not cover the question." if want == "ground" else "."))
    samples = int(min(rows[BARE]["samples"], rows[GROUNDED]["samples"]))
    verdict = {"ship": f"the question alone stayed at {format_rate(bare, 0)}, within {format_rate(tolerance, 0)}",
               "ground": f"grounding took the rate from {format_rate(bare, 0)} to {format_rate(grounded, 0)}, within {format_rate(tolerance, 0)}; the price "
                         f"is {format_rate(refused_grounded, 0)} refusals and a retrieval step",
               "restrict": f"neither the bare model ({format_rate(bare, 0)}) nor the grounded one ({format_rate(grounded, 0)}) meets "
                           f"{format_rate(tolerance, 0)}: let it draft answers an agent approves, or answer only from a fixed list, "
                           "until a measured rate is within the bar"}[want]
    return check(name, lambda: not problem,
                 success=f"{want.capitalize()}: {verdict}. With {samples} answers per mode one answer moves the rate by "
                         f"{format_rate(1 / max(samples, 1), 0)}: take it as direction and measure a larger set before launch (week 5).",
                 hint=problem or "Compare each mode's hallucinated share with the tolerance.")


def _strategy_rows(kept: pd.DataFrame) -> dict:
    """document -> {strategy: row} from the learner's strategy table."""
    out: dict = {}
    for _, r in kept.iterrows():
        out.setdefault(str(r["document"]), {})[str(r["strategy"])] = r
    return out


@exercise_check("2.3 a cut per document", answers=("choices",),
                tables={"kept": ("document", "strategy", "facts kept", "facts needed")})
def strategy_per_document(kept: pd.DataFrame, choices):
    """Exercise 2.3 (decision): one cut per document kind, from how many needed facts each strategy kept.

    ``kept`` is the learner's context.strategy_table(...) (one row per document and strategy); ``choices`` maps each
    document to dict(choice=..., why=...). Right: a strategy that keeps the most needed facts for that document.
    """
    name = strategy_per_document.exercise
    docs = _strategy_rows(kept)
    if not isinstance(choices, dict):
        return check(name, lambda: False,
                     hint="Record one decision per document: choices = dict("
                          + ", ".join(f"{d}=dict(choice=..., why=...)" for d in docs) + ").")
    problems, picked = [], {}
    for doc, rows in docs.items():
        best = max(int(r["facts kept"]) for r in rows.values())
        right = [s for s, r in rows.items() if int(r["facts kept"]) == best]
        choice, problem = read_decision(choices.get(doc), list(rows))
        if problem:
            problems.append(f"{doc}: {problem}")
            continue
        figures = [float(r[c]) for r in rows.values() for c in ("facts kept", "facts needed")]
        if not cites_figure(choices[doc].get("why"), figures, kind="number"):
            problems.append(f"{doc}: " + WHY_FIGURE.format(table="this document's rows of `kept`",
                                                          example=f"{int(rows[choice]['facts kept'])} of {int(rows[choice]['facts needed'])}"))
            continue
        picked[doc] = (choice, right, best, int(rows[choice]["facts needed"]))
        if choice not in right:
            r = rows[choice]
            lost = str(r.get("missing", "") or "")
            problems.append(
                f"{doc}: {choice} kept {int(r['facts kept'])} of {int(r['facts needed'])} facts the answer needs"
                + (f" (cut: {lost})" if lost else "") + f". {CUTS.get(choice, choice).capitalize()}, and no model can "
                f"answer from text it never sees. Another strategy kept {best}: compare this document's rows.")
    if not problems:
        lines = []
        for doc, (choice, right, best, needed) in picked.items():
            also = [s for s in right if s != choice]
            lines.append(f"{doc}: {choice} keeps {best} of {needed}" + (f" (so does {', '.join(also)})" if also else ""))
        success = ("; ".join(lines) + ". One budget, different right cuts: where the part that matters sits decides the "
                   "strategy, so ask where the answer lives in each kind of document before you pick one for a product.")
    else:
        success = ""
    return check(name, lambda: not problems, success=success, hint=" ".join(problems) or "Compare the rows per document.")


@exercise_check("2.4 a model under a budget and a quality floor", answers=("decision",),
                tables={"bills": ("model", "per_month", "quality")})
def model_under_budget_and_floor(bills: pd.DataFrame, decision, *, budget: float, floor: float, prefix_tokens: int):
    """Exercise 2.4 (decision): the cheapest model that clears the quality floor within the monthly budget, or "none".

    ``bills`` is the learner's table with columns "model", "per_month" (dollars, prompt caching as billed) and
    "quality"; ``prefix_tokens`` is the measured shared prefix, used to explain what caching did for each model.
    """
    name = model_under_budget_and_floor.exercise
    rows = {str(r["model"]): r for _, r in bills.iterrows()}
    unknown = [m for m in rows if find_model(m) is None]
    if unknown:
        return check(name, lambda: False,
                     hint=f"`bills` lists {', '.join(map(repr, unknown))}, which the price table does not have: build "
                          "`bills` from the price table's model ids, one row per candidate model.")
    fits = sorted((float(r["per_month"]), m) for m, r in rows.items()
                  if float(r["quality"]) >= floor and float(r["per_month"]) <= budget)
    want = fits[0][1] if fits else NO_MODEL
    choice, problem = read_decision(decision, [*rows, NO_MODEL])
    if not problem and not cites_figure(decision.get("why"), table_figures(bills[["per_month", "quality"]])):
        cheapest = min(rows.values(), key=lambda r: float(r["per_month"]))
        problem = WHY_FIGURE.format(table="`bills`", example=format_money(float(cheapest["per_month"])))

    def caching(m: str) -> str:
        info, cached = model_info(m), int(rows[m].get("cached_tokens", 0) or 0)
        if info.caches_prompts and not cached and prefix_tokens < info.cache_min_tokens:
            return (f"; none of your {prefix_tokens:,}-token shared prefix is discounted, because {m} caches only from "
                    f"{info.cache_min_tokens:,} tokens, so every call pays the full input price")
        if cached:
            return (f"; that is already with {cached:,} prefix tokens read from the cache on most calls: caching "
                    "cannot discount the answers, the fresh part of each prompt or the cache writes")
        return ""

    if not problem and choice != want:
        if choice == NO_MODEL:
            problem = ("At least one model clears the floor within the budget: look again at the rows whose quality "
                       "is at or above the floor.")
        else:
            r = rows[choice]
            cost, quality = float(r["per_month"]), float(r["quality"])
            parts = []
            if quality < floor:
                parts.append(f"{choice} scored {format_rate(quality, 0)} on your evaluation, below the {format_rate(floor, 0)} floor: a "
                             f"{format_money(cost)} bill is cheap only if the answers are good enough to ship")
            if cost > budget:
                parts.append(f"{choice} costs {format_money(cost)} a month, over the ${budget:,.0f} budget" + caching(choice))
            if not parts:  # it fits, but a cheaper model also fits
                parts.append(f"{choice} fits, but another model clears the same floor for "
                             f"{format_money(cost - fits[0][0])} less a month: quality above the floor is worth paying for only "
                             "when you have measured that users need it")
            problem = "; ".join(parts) + "."
    if want == NO_MODEL:
        success = ("No model clears the floor within the budget: say so, and change one of them (a bigger budget, a "
                   "shorter prompt, a cached prefix, or a narrower feature) rather than shipping below the bar.")
    else:
        cost = float(rows[want]["per_month"])
        others = [m for _, m in fits[1:]]
        success = (f"{want} is the cheapest model at or above {format_rate(floor, 0)} within ${budget:,.0f}: {format_money(cost)} a month"
                   + caching(want) + "." + (f" Also within both limits, for more money: {', '.join(others)}."
                                            if others else "")
                   + " The price table narrows the field; caching rules and the quality bar decide it.")
    return check(name, lambda: not problem, success=success, hint=problem or "Compare each row with both limits.")


@exercise_check("2.5 precision and recall", answers=("precision", "recall"))
def precision_recall(precision, recall, y_true, y_pred, label: str):
    """Exercise 2.5: precision and recall of one label, computed by hand."""
    from sklearn.metrics import precision_score, recall_score  # heavy optional library: loaded on first use

    def ok():
        p = precision_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        r = recall_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        return math.isclose(float(precision), p) and math.isclose(float(recall), r)

    return check(precision_recall.exercise, ok,
                 success="Both match scikit-learn. You can now read any classifier report.",
                 hint=f"Precision = correct '{label}' predictions / all '{label}' predictions; "
                      f"recall = correct '{label}' predictions / all tickets truly labelled '{label}'.")
