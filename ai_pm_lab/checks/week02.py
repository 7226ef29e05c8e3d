"""Checks for week 2's exercises: each prints friendly feedback and never raises."""
from __future__ import annotations

import math

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


def monthly_bill(value, model_id: str, traffic):
    """Exercise 2.4: the monthly bill of a traffic scenario on one model, with its levers."""
    from ai_pm_lab.budget import scenario_cost

    def ok():
        return value is not None and math.isclose(float(value), scenario_cost(model_id, traffic)["per_month"], rel_tol=1e-6)

    return check("2.4 monthly bill", ok,
                 success="Correct: that is what the feature would cost each month on that model.",
                 hint="Use budget.scenario_cost(model_id, traffic)['per_month'], or multiply the per-query cost by queries per day and 30 days.")


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
