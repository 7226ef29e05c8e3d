"""Checks for week 8's exercises (the capstone): each decision is tested against data measured in the notebook."""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.exercises import check, exercise_check, missing_input, missing_reason

CONTENT_GAP_KINDS = ("new_product", "unanswerable")


@exercise_check("8.1 weakest date evidence", answers=("answer",))
def weak_dates(report, answer):
    """Exercise 8.1: the documents dated only by their file's modified time."""
    table = report.table()
    expected = sorted(table.loc[table["date from"] == "file modified time", "id"])

    def ok():
        return answer is not None and not isinstance(answer, str) and sorted(answer) == expected

    return check(weak_dates.exercise, ok,
                 success=f"Right: {expected} carry only a modified time, which changes whenever a file is copied or "
                         "re-saved. If such a document has a rival version, the newest-version rule may pick the wrong "
                         "one: add an 'Updated:' line.",
                 hint="Filter report.table() on the 'date from' column == 'file modified time' and list the 'id' values.")


@exercise_check("8.2 launch or not", answers=("launch", "blocking"))
def launch_decision(gate, launch, blocking):
    """Exercise 8.2: launch or not, and which criteria block the launch."""
    failed = sorted(r.metric for r in gate.results if not r.passed)

    def ok():
        return isinstance(launch, bool) and launch == bool(gate.passed) and blocking is not None and \
            not isinstance(blocking, str) and sorted(blocking) == failed

    if gate.passed:
        why = "every success criterion reached its target and no guardrail was crossed: launch (through a canary)."
    else:
        why = (f"{', '.join(failed)} failed. A guardrail that is crossed blocks a launch however good the success metric "
               "looks; a missed target means the feature does not yet beat today's process. Name the blocker, fix it, "
               "re-run the gate.")
    return check(launch_decision.exercise, ok, success=f"Your call matches the gate: {why}",
                 hint="launch must be True only if gate.passed; blocking lists r.metric for every r in gate.results "
                      "with r.passed False (an empty list when it passes).")


@exercise_check("8.3 which gap first", answers=("choice",),
                tables={"labelled_gaps": ("gap", "kind (simulation label)", "requests")})
def fix_first(labelled_gaps: pd.DataFrame, choice):
    """Exercise 8.3: which gap to fix first: the biggest group of declined requests that is missing content."""
    content = labelled_gaps[labelled_gaps["kind (simulation label)"].isin(CONTENT_GAP_KINDS)]
    best = content.iloc[0]["gap"] if len(content) else None
    top = labelled_gaps.iloc[0] if len(labelled_gaps) else None

    def ok():
        return best is not None and choice == best

    extra = ""
    if top is not None and top["gap"] != best:
        extra = (f" Note that the largest group, '{top['gap']}', is {top['kind (simulation label)']} traffic: declining "
                 "it is the assistant doing its job, not a content gap.")
    n = int(content.iloc[0]["requests"]) if len(content) else 0
    return check(fix_first.exercise, ok,
                 success=f"'{best}' is the biggest real content gap ({n} declined requests in the log).{extra} Writing "
                         "that page moves the most customers off the human queue.",
                 hint="Look at labelled_gaps: skip groups whose simulation label is adversarial or malformed (correct "
                      "refusals), and take the 'gap' label of the largest remaining group.")


@exercise_check("8.4 canary call", answers=("decision",))
def canary_decision(stage, limit: float, min_requests: int, decision):
    """Exercise 8.4: proceed, wait or roll back at one canary stage (a row of the canary table, or a dict). A stage with
    enough requests but no measured wrong-answer rate is "not yet: no data" whatever the decision: missing data never
    clears a guardrail."""
    if missing_reason(stage.get("requests on AI")):
        return missing_input(canary_decision.exercise, "stage", "has no value for 'requests on AI'")
    n = int(stage["requests on AI"])
    if n < min_requests:
        expected, wrong = "wait", None
    elif missing_reason(stage.get("wrong answers")):
        return missing_input(canary_decision.exercise, "stage", "has no value for 'wrong answers', so the "
                                                                "guardrail cannot pass")
    else:
        wrong = float(stage["wrong answers"])
        expected = "roll back" if wrong > limit else "proceed"

    def ok():
        return decision == expected

    why = {"wait": f"only {n} requests reached the AI (fewer than {min_requests}): too few to judge either way.",
           "roll back": f"the AI's wrong-answer rate {wrong or 0:.2f} is over the limit {limit:.2f} with enough "
                        "requests to trust it: roll back now, investigate later.",
           "proceed": f"{n} requests and a wrong-answer rate of {wrong or 0:.2f}, within the limit {limit:.2f}: widen the rollout."}
    return check(canary_decision.exercise, ok, success=f"'{expected}': {why[expected]}",
                 hint="First ask whether there are enough requests (min_requests), then whether the guardrail is crossed; "
                      "answer with one of 'proceed', 'wait', 'roll back'.")


@exercise_check("8.5 ship the update?", answers=("ship",))
def ship_update(table: pd.DataFrame, ship, tolerance: float = 0.05):
    """Exercise 8.5: ship the content update if the gap improved and nothing else dropped by more than the tolerance."""
    gap = table[table.index.str.startswith("gap questions")].iloc[0]
    test = table[table.index.str.startswith("test questions")].iloc[0]
    unmeasured = [f"{row} {col}" for row, r in (("gap", gap), ("test", test)) for col in ("before", "after")
                  if missing_reason(r[col])]
    if unmeasured:
        return missing_input(ship_update.exercise, "table", f"has no value for {', '.join(unmeasured)}")
    expected = bool(gap["after"] > gap["before"] and test["after"] >= test["before"] - tolerance)

    def ok():
        return isinstance(ship, bool) and ship == expected

    msg = (f"gap questions {gap['before']:.2f} → {gap['after']:.2f}; test questions {test['before']:.2f} → "
           f"{test['after']:.2f} (tolerance {tolerance:.2f}).")
    return check(ship_update.exercise, ok,
                 success=("Ship it: " if expected else "Hold it: ") + msg + " A content change is a product change: it "
                         "ships when it fixes what it was for without breaking what worked.",
                 hint="ship = gap 'after' > gap 'before' AND test 'after' >= test 'before' - tolerance, read from the table.")
