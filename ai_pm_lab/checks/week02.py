"""Checks for week 2's exercises: each prints friendly feedback and never raises."""
from __future__ import annotations

import math

from ai_pm_lab.budget import scenario_cost
from ai_pm_lab.catalog import model_info
from ai_pm_lab.exercises import check

_NUMERIC_CASES = [("The answer is 42.", 42, True), ("First 3, then 8, so 11", 11, True), ("It costs $1,250 in total", 1250, True),
                  ("about 7.5 hours", 7.5, True), ("I think 12", 13, False), ("no idea", 5, False), ("", 0, False)]
_RATE_CASES = [(["hallucinated", "grounded", "refused", "hallucinated"], 0.5), (["refused"], 0.0), (["hallucinated"] * 3, 1.0)]
_TAIL_CASES = [(["A.", "B.", "C.", "D."], [3, 3, 3, 3], 7, ["C.", "D."]), (["A.", "B."], [5, 5], 100, ["A.", "B."]),
               (["A.", "B.", "C."], [2, 9, 2], 5, ["C."]), (["A."], [9], 3, [])]


def numeric_scorer(fn):
    """Exercise 2.1: a scorer that compares the last number in an answer with the expected one."""
    def ok():
        return all(fn(a, e) is want for a, e, want in _NUMERIC_CASES)

    return check("2.1 numeric scorer", ok,
                 success="Your scorer agrees with every test answer, including commas and decimals.",
                 hint="Find all numbers with a regular expression, drop commas, take the last one, compare within the tolerance; "
                      "return True or False (also False when there is no number).")


def hallucination_rate(fn):
    """Exercise 2.2: the share of verdicts that are 'hallucinated', with a clear error for an empty list."""
    def ok():
        if not all(isinstance(fn(v), float) and math.isclose(fn(v), want) for v, want in _RATE_CASES):
            return False
        try:
            fn([])
        except ValueError:
            return True
        return False

    return check("2.2 hallucination rate", ok,
                 success="Right, and an empty list gets a clear error instead of a division by zero.",
                 hint="Count the 'hallucinated' verdicts, divide by len(verdicts) as a float, and raise ValueError when the list is empty.")


def keep_tail(fn):
    """Exercise 2.3: keep the last sentences that fit a token budget, in their original order."""
    def ok():
        return all(fn(list(s), list(c), b) == want for s, c, b, want in _TAIL_CASES)

    return check("2.3 keep the tail", ok,
                 success="That is the 'tail' strategy: the end survives, in reading order.",
                 hint="Walk from the last sentence backwards, stop at the first one that would exceed the budget, then reverse what you kept.")


def caching_bills(bills, model_id: str, traffic, policy_traffic):
    """Exercise 2.4: the monthly bill with today's short shared prefix and with the long policy prefix, caching as billed."""
    def ok():
        short, long = bills
        want = (scenario_cost(model_id, traffic)["per_month"], scenario_cost(model_id, policy_traffic)["per_month"])
        return all(v is not None and math.isclose(float(v), w, rel_tol=1e-6) for v, w in zip((short, long), want))

    def explained() -> str:
        info = model_info(model_id)
        short, long = scenario_cost(model_id, traffic), scenario_cost(model_id, policy_traffic)
        floor = f"{info.cache_min_tokens:,}" if info.caches_prompts else "any"
        return (f"Correct. Today's {traffic.cached_prefix_tokens:,}-token instruction block is below {model_id}'s "
                f"{floor}-token minimum, so {'none' if not short['cached_tokens'] else format(short['cached_tokens'], ',')} of it "
                f"is discounted. With the policy, "
                f"{long['cached_tokens']:,} prefix tokens are read from the cache on most calls: the prompt becomes "
                f"{policy_traffic.input_tokens / traffic.input_tokens:.1f}x longer, yet the monthly bill goes from "
                f"${short['per_month']:,.2f} to ${long['per_month']:,.2f} (at list price, with no caching, it would be "
                f"${long['list_per_month'] * (1 - policy_traffic.response_cache_hit_rate):,.2f}). "
                "Put stable text first and the question last.")

    try:
        success = explained()
    except Exception:  # a broken scenario still gets the hint below, never a traceback
        success = "Correct."
    return check("2.4 monthly bills with prompt caching", ok, success=success,
                 hint="Price each scenario with budget.scenario_cost(model, traffic)['per_month']: it applies the "
                      "model's minimum cacheable length (lab.model_info(model).cache_min_tokens), the cached and "
                      "cache-write prices, the response cache and 30 days. Set both monthly_bill and "
                      "monthly_bill_with_policy.")


def precision_recall(precision, recall, y_true, y_pred, label: str):
    """Exercise 2.5: precision and recall of one label, computed by hand."""
    from sklearn.metrics import precision_score, recall_score

    def ok():
        p = precision_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        r = recall_score(y_true, y_pred, labels=[label], average="macro", zero_division=0)
        return math.isclose(float(precision), p) and math.isclose(float(recall), r)

    return check("2.5 precision and recall", ok,
                 success="Both match scikit-learn. You can now read any classifier report.",
                 hint=f"Precision = correct '{label}' predictions / all '{label}' predictions; "
                      f"recall = correct '{label}' predictions / all tickets truly labelled '{label}'.")
