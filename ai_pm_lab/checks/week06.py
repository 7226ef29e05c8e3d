"""Checks for week 6's exercises (operations and responsibility). Decisions are judged against the data the learner
measured in the notebook and the tolerances the learner set; every decision's `why` must quote a measured figure."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ai_pm_lab.checks.decisions import cites_figure, table_figures
from ai_pm_lab.exercises import check, exercise_check, hint_giver, missing_input, report
from ai_pm_lab.tables import format_rate
from ai_pm_lab.text import normalise

# Hints on request (contracts §2): checks.hint("6.4") shows the next step each time it is run. The first step of
# each is a nudge (where to look, what to ask of the data), never the rule or the function that computes the answer.
HINTS: dict[str, tuple[str, ...]] = {
    "6.1": ("Walk through the day in order: for each request, had the cache already seen that question (after "
            "normalising it)?",
            "Keep the normalised questions seen so far in a set; a request is a hit when its key is already there. "
            "Empty messages do not count at all.",
            "hit_rate = hits / questions counted."),
    "6.2": ("No code needed: the exercise names a table that works the index out bin by bin. What does its last row "
            "hold?",
            "In code: for each bin, multiply (actual - expected) by the natural log of (actual / expected), then add "
            "the bins up; np.log is the natural log."),
    "6.3": ("Start from your own tolerance, `max_false_alarms`: on how many of the normal windows may the alert fire?",
            "Read the trade-off table from the top: each threshold's false-alarm share and launch windows caught. "
            "Which thresholds stay within your tolerance, and which of those catches the most?",
            "Your why needs a figure from the trade-off table (a false-alarm share or a share of launch windows "
            "caught, e.g. 5% or 0.05)."),
    "6.4": ("Start from your own guardrail, `max_refusal_increase`: how much higher than today may a candidate's "
            "refusal rate be?",
            "Add the guardrail to today's refusal rate and compare each candidate's measured rate with that limit.",
            "Your why needs a figure from `candidate_rates` or `baseline_rate`, as printed (e.g. 21%)."),
    "6.5": ("Two separate questions: are the outcomes unequal between the groups, and is the name itself the cause? "
            "Each has its own measurement above.",
            "Outcomes: divide the lower selection rate by the higher and compare with four-fifths. Cause: a paired "
            "test's p-value under 0.05 means the swap moved scores in a consistent direction.",
            "Your why needs a figure from `audit.rates` or the swap test (a selection rate, the ratio, or the p-value)."),
    "6.6": ("Read `policy` first, then the measured table: for each entity type, which column does the policy "
            "speak about?",
            "Strict types block on any miss in the 'missed' column; the others block only when their 'recall' falls "
            "under the policy's bar.",
            "Your why needs a figure from `measured.by_type` (a missed count or a recall)."),
}
hint = hint_giver(HINTS)

WHY_FIGURE = ("Not yet: your `why` quotes no number from {table}. Back the decision with a figure you measured there; "
              "stuck? run checks.hint(\"{id}\").")


def _cites(why, figures) -> bool:
    return isinstance(why, str) and cites_figure(why, [f for f in figures if f is not None])


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@exercise_check("6.1 cache hit rate", answers=("value",))
def cache_hit_rate(questions, value):
    """Exercise 6.1: the exact-match cache hit rate of a stream of questions."""
    seen, hits, n = set(), 0, 0
    for q in questions:
        if not isinstance(q, str) or not q.strip():
            continue
        key = normalise(q)
        hits += key in seen
        seen.add(key)
        n += 1
    expected = hits / n if n else 0.0
    v = _num(value)
    return report(cache_hit_rate.exercise, v is not None and abs(v - expected) < 1e-9,
                  success=f"Hit rate {format_rate(expected, 0)}: {n - hits} of {n} requests needed the model. Every paraphrase is a miss for "
                          "an exact-match cache; a cache that matched meaning would catch more, at the risk of serving an "
                          "answer to a question that only looks the same.",
                  hint="Not yet: hit_rate is a share between 0 and 1 of the non-empty requests. Stuck? run "
                       "checks.hint(\"6.1\").")


@exercise_check("6.2 PSI by hand", answers=("value",))
def psi_by_hand(expected_shares, actual_shares, value):
    """Exercise 6.2: the population stability index from two lists of bin shares."""
    e = np.asarray(expected_shares, float)
    a = np.asarray(actual_shares, float)
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty or negative share gives NaN, which never matches
        want = float(np.sum((a - e) * np.log(a / e)))
    v = _num(value)
    return report(psi_by_hand.exercise, v is not None and abs(v - want) < 1e-9,
                  success=f"PSI = {want:.3f}. By the usual convention under 0.1 is stable and over 0.25 a real shift; "
                          "with small windows the index is noisy, so the alert threshold should come from normal days, "
                          "not from the convention.",
                  hint="Not yet: psi_value should be the total of the per-bin contributions. Stuck? run "
                       "checks.hint(\"6.2\").")


@exercise_check("6.3 a drift alert threshold", answers=("threshold", "why"))
def alert_threshold(null_values, shifted_values, threshold, why, max_false_alarm: float = 0.05):
    """Exercise 6.3: the alert threshold within the learner's false-alarm tolerance that catches as many launch
    windows as possible, with a why that quotes a measured false-alarm or catch share (or a window's value)."""
    nv = np.asarray(null_values, float)
    sv = np.asarray(shifted_values, float)
    feasible = [t for t in np.unique(nv) if (nv > t).mean() <= max_false_alarm]
    best_t = min(feasible) if feasible else float(nv.max())
    best_catch = float((sv > best_t).mean())
    t = _num(threshold)
    cuts = np.unique(np.concatenate([nv, sv]))  # the measured shares at every threshold (not the thresholds: those are the options)
    figures = [*((nv > x).mean() for x in cuts), *((sv > x).mean() for x in cuts)]

    def right():
        return t is not None and (nv > t).mean() <= max_false_alarm and (sv > t).mean() >= best_catch - 1e-12

    if right() and not _cites(why, figures):
        return report(alert_threshold.exercise, False, hint=WHY_FIGURE.format(table="the trade-off table", id="6.3"))
    fa = "n/a" if t is None else format_rate((nv > t).mean(), 0)
    shown = "n/a" if t is None else f"{t:.3f}"
    return check(alert_threshold.exercise, right,
                 success=f"Threshold {shown}: {fa} false alarms on normal windows (your tolerance "
                         f"{format_rate(max_false_alarm, 0)}), catching {format_rate(best_catch, 0)} of launch windows. "
                         "Lower would catch more and page people on ordinary days; higher would stay quiet through the launch.",
                 hint="Not yet: check your threshold's false-alarm share against your tolerance, and whether another "
                      "threshold within it catches more launch windows. Stuck? run checks.hint(\"6.3\").")


@exercise_check("6.4 a canary go/no-go", answers=("go", "why"))
def canary_go(candidate_rates: dict, baseline_rate: float, go, why, max_increase: float = 0.10):
    """Exercise 6.4: which candidate gate settings may go to 100% under the learner's refusal-rate guardrail (a rate
    that was not measured never goes: the decorator answers "not yet" for it), with a why quoting a measured rate."""
    want = sorted(name for name, r in candidate_rates.items()
                  if _num(r) is not None and _num(r) <= baseline_rate + max_increase + 1e-12)
    got = sorted(go) if isinstance(go, (list, tuple, set)) else None
    blocked = sorted(set(candidate_rates) - set(want))
    figures = [*(_num(r) for r in candidate_rates.values()), baseline_rate, baseline_rate + max_increase]
    if got == want and not _cites(why, figures):
        return report(canary_go.exercise, False, hint=WHY_FIGURE.format(table="candidate_rates or baseline_rate", id="6.4"))
    return report(canary_go.exercise, got == want,
                  success=f"Go: {', '.join(want) or 'none'}; roll back: {', '.join(blocked) or 'none'}. Each stricter gate "
                          "catches more out-of-scope questions and refuses more real ones; your guardrail says how many real "
                          "customers you are willing to send to the queue for it.",
                  hint="Not yet: `go` is a list of candidate names (it may be empty); compare each measured rate with "
                       "the limit your guardrail sets. Stuck? run checks.hint(\"6.4\").")


@exercise_check("6.5 the four-fifths verdict", answers=("adverse_impact", "name_drives_it", "why"),
                tables={"rates": ("selection_rate",)})
def four_fifths_call(rates: pd.DataFrame, swap_p_value: float, adverse_impact, name_drives_it, why):
    """Exercise 6.5: the four-fifths verdict and whether the name itself drives the scores, with a why quoting a
    selection rate, their ratio or the swap test's p-value."""
    r = np.asarray(rates["selection_rate"], float)
    ratio = float(r.min() / r.max()) if r.max() > 0 else 0.0
    want_adverse = ratio < 0.8
    want_name = float(swap_p_value) < 0.05
    ok = isinstance(adverse_impact, bool) and isinstance(name_drives_it, bool) and adverse_impact == want_adverse \
        and name_drives_it == want_name
    if ok and not _cites(why, [*r, ratio, float(swap_p_value)]):
        return report(four_fifths_call.exercise, False, hint=WHY_FIGURE.format(table="audit.rates or the swap test", id="6.5"))
    reason = ("the groups are treated differently" if want_adverse else "selection rates are within four-fifths") + \
             (" and the name swap moves scores consistently, so the name itself matters" if want_name else
              "; the name swap shows no consistent effect, so look at what else differs (or at noise)")
    return report(four_fifths_call.exercise, ok,
                  success=f"Ratio {ratio:.2f}: {reason}. Either way a screening decision about people keeps a human in charge.",
                  hint="Not yet: both answers are True or False, each from its own measurement above. Stuck? run "
                       "checks.hint(\"6.5\").")


@exercise_check("6.6 which PII misses block launch", answers=("blocking", "why"), tables={"by_type": ("type", "missed")})
def pii_blockers(by_type: pd.DataFrame, blocking, why, strict_types=("EMAIL", "PHONE", "CARD", "IBAN"),
                 name_recall: float = 0.75):
    """Exercise 6.6: which entity types' misses block launch under the learner's policy (strict types: any miss;
    NAME: recall under ``name_recall``), with a why quoting a measured missed count or recall."""
    rows = {r["type"]: r for r in by_type.to_dict("records")}
    name_rate = _num(rows.get("NAME", {}).get("recall"))
    if name_rate is None:  # no names measured: a recall bar cannot be cleared without data
        return missing_input(pii_blockers.exercise, "by_type", "has no NAME recall measured")
    want = sorted([t for t in strict_types if rows.get(t, {}).get("missed", 0) > 0]
                  + (["NAME"] if "NAME" not in strict_types and name_rate < name_recall else []))
    got = sorted(blocking) if isinstance(blocking, (list, tuple, set)) else None
    figures = table_figures(by_type)
    if got == want and not _cites(why, figures):
        return report(pii_blockers.exercise, False, hint=WHY_FIGURE.format(table="measured.by_type", id="6.6"))
    return report(pii_blockers.exercise, got == want,
                  success=f"Blocking: {', '.join(want) or 'none'}. A policy turns a recall table into a launch decision; "
                          "the fix can be a better detector, a narrower product (no free-text fields), or a human check.",
                  hint="Not yet: `blocking` is a list of entity types (it may be empty); read each type's row against "
                       "your policy. Stuck? run checks.hint(\"6.6\").")
