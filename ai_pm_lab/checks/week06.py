"""Checks for week 6's exercises (operations and responsibility). Decisions are judged against the data the learner
measured in the notebook, and the feedback names the trade-off."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ai_pm_lab.exercises import check, exercise_check, missing_input, report
from ai_pm_lab.tables import format_rate
from ai_pm_lab.text import normalise


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
                  hint="Normalise each question (ai_pm_lab.text.normalise), count a hit when the normalised text was seen "
                       "before, skip empty messages, and divide hits by the questions counted.")


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
                  hint="PSI = sum over bins of (actual - expected) * ln(actual / expected).")


@exercise_check("6.3 a drift alert threshold", answers=("threshold",))
def alert_threshold(null_values, shifted_values, threshold, max_false_alarm: float = 0.05):
    """Exercise 6.3: the alert threshold with at most 5% false alarms that catches as many launch windows as possible."""
    nv = np.asarray(null_values, float)
    sv = np.asarray(shifted_values, float)
    feasible = [t for t in np.unique(nv) if (nv > t).mean() <= max_false_alarm]
    best_t = min(feasible) if feasible else float(nv.max())
    best_catch = float((sv > best_t).mean())
    t = _num(threshold)

    def ok():
        return t is not None and (nv > t).mean() <= max_false_alarm and (sv > t).mean() >= best_catch - 1e-12

    fa = "n/a" if t is None else format_rate((nv > t).mean(), 0)
    shown = "n/a" if t is None else f"{t:.3f}"
    return check(alert_threshold.exercise, ok,
                 success=f"Threshold {shown}: {fa} false alarms on normal windows, catching {format_rate(best_catch, 0)} of launch windows. "
                         "Lower would catch more and page people on ordinary days; higher would stay quiet through the launch.",
                 hint=f"Try each normal-window value as a threshold; keep those where (normal > t).mean() ≤ {format_rate(max_false_alarm, 0)}; "
                      f"the smallest of them catches the most launch windows (here {format_rate(best_catch, 0)} at {best_t:.3f}).")


@exercise_check("6.4 a canary go/no-go", answers=("go",))
def canary_go(candidate_rates: dict, baseline_rate: float, go, max_increase: float = 0.10):
    """Exercise 6.4: which candidate gate settings may go to 100% under the refusal-rate guardrail (a rate that was
    not measured never goes: the decorator answers "not yet" for it)."""
    want = sorted(name for name, r in candidate_rates.items()
                  if _num(r) is not None and _num(r) <= baseline_rate + max_increase + 1e-12)
    got = sorted(go) if isinstance(go, (list, tuple, set)) else None
    blocked = sorted(set(candidate_rates) - set(want))
    return report(canary_go.exercise, got == want,
                  success=f"Go: {', '.join(want) or 'none'}; roll back: {', '.join(blocked) or 'none'}. Each stricter gate "
                          "catches more out-of-scope questions and refuses more real ones; the guardrail says how many real "
                          "customers you are willing to send to the queue for it.",
                  hint=f"A candidate may go on if its refusal rate is at most the baseline's ({format_rate(baseline_rate, 0)}) plus "
                       f"{format_rate(max_increase, 0)}. Return the names of those candidates as a list.")


@exercise_check("6.5 the four-fifths verdict", answers=("adverse_impact", "name_drives_it"),
                tables={"rates": ("selection_rate",)})
def four_fifths_call(rates: pd.DataFrame, swap_p_value: float, adverse_impact, name_drives_it):
    """Exercise 6.5: the four-fifths verdict and whether the name itself drives the scores."""
    r = np.asarray(rates["selection_rate"], float)
    ratio = float(r.min() / r.max()) if r.max() > 0 else 0.0
    want_adverse = ratio < 0.8
    want_name = float(swap_p_value) < 0.05
    ok = isinstance(adverse_impact, bool) and isinstance(name_drives_it, bool) and adverse_impact == want_adverse \
        and name_drives_it == want_name
    why = ("the groups are treated differently" if want_adverse else "selection rates are within four-fifths") + \
          (" and the name swap moves scores consistently, so the name itself matters" if want_name else
           "; the name swap shows no consistent effect, so look at what else differs (or at noise)")
    return report(four_fifths_call.exercise, ok,
                  success=f"Ratio {ratio:.2f}: {why}. Either way a screening decision about people keeps a human in charge.",
                  hint="adverse_impact: is min(selection rate) / max(selection rate) below 0.8? name_drives_it: is the "
                       "swap test's p-value below 0.05? Both are True/False.")


@exercise_check("6.6 which PII misses block launch", answers=("blocking",), tables={"by_type": ("type", "missed")})
def pii_blockers(by_type: pd.DataFrame, blocking, strict_types=("EMAIL", "PHONE", "CARD", "IBAN"),
                 name_recall: float = 0.75):
    """Exercise 6.6: which entity types' misses block launch under the stated policy."""
    rows = {r["type"]: r for r in by_type.to_dict("records")}
    name_rate = _num(rows.get("NAME", {}).get("recall"))
    if name_rate is None:  # no names measured: a recall bar cannot be cleared without data
        return missing_input(pii_blockers.exercise, "by_type", "has no NAME recall measured")
    want = sorted([t for t in strict_types if rows.get(t, {}).get("missed", 0) > 0]
                  + (["NAME"] if name_rate < name_recall else []))
    got = sorted(blocking) if isinstance(blocking, (list, tuple, set)) else None
    return report(pii_blockers.exercise, got == want,
                  success=f"Blocking: {', '.join(want) or 'none'}. A policy turns a recall table into a launch decision; "
                          "the fix can be a better detector, a narrower product (no free-text fields), or a human check.",
                  hint=f"Contact and payment types ({', '.join(strict_types)}) block on any miss; NAME blocks if its recall "
                       f"is below {format_rate(name_recall, 0)}. Read the 'missed' and 'recall' columns of the report.")
