"""Checks for week 8's exercises (the capstone): each decision is tested against data measured in the notebook."""
from __future__ import annotations

import pandas as pd

from ai_pm_lab import exercises
from ai_pm_lab.checks.decisions import cites_figure
from ai_pm_lab.exercises import check, exercise_check, missing_input, missing_reason

CONTENT_GAP_KINDS = ("new_product", "unanswerable")
CORRECT_REFUSAL_KINDS = ("adversarial", "malformed")

# Hints on request (contracts §2): checks.hint("8.3") shows the next step each time it is run. The first step of each
# is a nudge (where to look, what to ask of the data), never the rule that computes the answer.
HINTS: dict[str, tuple[str, ...]] = {
    "8.1": ("Which column of the table says where each date came from? Which of those sources would change if someone "
            "copied the file?",
            "Keep the rows whose date came from the file itself rather than from its text or its name, and list their ids."),
    "8.2": ("Read the gate table row by row: which rows passed, which did not, and which kind (success or guardrail) "
            "is each?",
            "One row that did not pass is enough to stop a launch; list every metric that did not pass (an empty list "
            "if all did).",
            "Your why must quote a measured figure from the gate table, as it prints (two decimals is fine)."),
    "8.3": ("Read the examples and the simulation label of each group: for which groups was declining the right thing "
            "to do?",
            "A group the assistant was right to decline (an attack, gibberish) is not missing content, and neither is a "
            "question the documents already answer. Among the rest, which group did the most customers hit?",
            "Your why must quote a request count from the table."),
    "8.4": ("Look at how many requests reached the AI at this stage before you look at its wrong-answer rate: is that "
            "enough to judge?",
            "If there are enough requests, compare the stage's wrong-answer rate with your limit.",
            "The three answers are 'proceed', 'wait' and 'roll back'; your why must quote this stage's request count "
            "or wrong-answer rate."),
    "8.5": ("The update was written for the gap questions: read their rows first. Did more of them get handled "
            "correctly, and what happened to the ones that did not?",
            "Fewer declines is not the same as more right answers: compare the 'answered wrong' rows before and after, "
            "for the gap questions and for the test questions, against the tolerances you set.",
            "Your why must quote a figure from improved[\"table\"], as it prints (two decimals or a percent)."),
}
hint = exercises.hint_giver(HINTS)


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
                 hint="Not yet: list the ids whose date has the weakest evidence. Stuck? checks.hint(\"8.1\").")


@exercise_check("8.2 launch or not", answers=("launch", "blocking", "why"))
def launch_decision(gate, launch, blocking, why=None):
    """Exercise 8.2: launch or not under the learner's own criteria, which criteria block it, and a why that quotes a
    measured figure from the gate table."""
    failed = sorted(r.metric for r in gate.results if not r.passed)
    figures = [float(r.measured) for r in gate.results if getattr(r, "measured", None) is not None]
    cited = isinstance(why, str) and cites_figure(why, figures)

    def ok():
        return isinstance(launch, bool) and launch == bool(gate.passed) and blocking is not None and \
            not isinstance(blocking, str) and sorted(blocking) == failed and cited

    if gate.passed:
        because = "every success criterion you set reached its target and no guardrail was crossed: launch (through a canary)."
    else:
        because = (f"{', '.join(failed)} failed. A guardrail that is crossed blocks a launch however good the success "
                   "metric looks; a missed target means the feature does not yet beat today's process on your terms. "
                   "Name the blocker, fix it, re-run the gate.")
    not_yet = ("Not yet: launch, blocking and a why that quotes a measured figure from the gate table."
               if not cited else "Not yet: read the gate table again, row by row.")
    return check(launch_decision.exercise, ok, success=f"Your call matches your gate: {because}",
                 hint=not_yet + " Stuck? checks.hint(\"8.2\").")


@exercise_check("8.3 which gap first", answers=("choice", "why"),
                tables={"labelled_gaps": ("gap", "kind (simulation label)", "requests")})
def fix_first(labelled_gaps: pd.DataFrame, choice, why=None):
    """Exercise 8.3: which gap to fix first: the biggest group of declined requests that is missing content; the why
    quotes a request count from the table."""
    content = labelled_gaps[labelled_gaps["kind (simulation label)"].isin(CONTENT_GAP_KINDS)]
    best = content.iloc[0]["gap"] if len(content) else None
    top = labelled_gaps.iloc[0] if len(labelled_gaps) else None
    cited = isinstance(why, str) and cites_figure(why, pd.to_numeric(labelled_gaps["requests"], errors="coerce"),
                                                  kind="number")

    def ok():
        return best is not None and choice == best and cited

    extra = ""
    if top is not None and top["gap"] != best:
        kind = top["kind (simulation label)"]
        if kind in CORRECT_REFUSAL_KINDS:
            extra = (f" Note that the largest group, '{top['gap']}', is {kind} traffic: declining it is the assistant "
                     "doing its job, not a content gap.")
        else:
            extra = (f" Note that the largest group, '{top['gap']}', is {kind} traffic: the documents already answer "
                     "it, so declining it is a false refusal to fix in retrieval or the answerability gate; a new page "
                     "would not help.")
    n = int(content.iloc[0]["requests"]) if len(content) else 0
    return check(fix_first.exercise, ok,
                 success=f"'{best}' is the biggest real content gap ({n} declined requests in the log).{extra} It is "
                         "the missing content with the most declined customers behind it; whether the page helps, "
                         "you measure after writing it (exercise 5).",
                 hint=("Not yet: fix_first and a why that quotes a request count from the table." if not cited else
                       "Not yet: read the examples and labels of the groups again.") + " Stuck? checks.hint(\"8.3\").")


@exercise_check("8.4 canary call", answers=("decision", "why"))
def canary_decision(stage, limit: float, min_requests: int, decision, why=None):
    """Exercise 8.4: proceed, wait or roll back at one canary stage (a row of the canary table, or a dict). A stage with
    enough requests but no measured wrong-answer rate is "not yet: no data" whatever the decision: missing data never
    clears a guardrail. The why quotes the stage's request count or wrong-answer rate."""
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

    cited = isinstance(why, str) and cites_figure(why, [n] + ([wrong] if wrong is not None else []))

    def ok():
        return decision == expected and cited

    because = {"wait": f"only {n} requests reached the AI (fewer than {min_requests}): too few to judge either way.",
           "roll back": f"the AI's wrong-answer rate {wrong or 0:.2f} is over the limit {limit:.2f} with enough "
                        "requests to trust it: roll back now, investigate later.",
           "proceed": f"{n} requests and a wrong-answer rate of {wrong or 0:.2f}, within the limit {limit:.2f}: widen the rollout."}
    return check(canary_decision.exercise, ok, success=f"'{expected}': {because[expected]}",
                 hint=("Not yet: a decision ('proceed', 'wait' or 'roll back') and a why that quotes this stage's "
                       "figures." if not cited else "Not yet: read this stage's row again.")
                      + " Stuck? checks.hint(\"8.4\").")


def _row(table: pd.DataFrame, start: str):
    rows = table[table.index.str.startswith(start)]
    return rows.iloc[0] if len(rows) else None


@exercise_check("8.5 ship the update?", answers=("ship", "why"))
def ship_update(table: pd.DataFrame, ship, why=None, max_drop: float = 0.05, max_more_wrong: float = 0.0):
    """Exercise 8.5: ship the content update or hold it, judged on the wrong answers as well as the right ones, under
    the learner's own tolerances (``max_drop``: how far the test questions' handled-correctly share may fall;
    ``max_more_wrong``: how far a wrong-answer share may rise); the why quotes a figure from the table."""
    rows = {k: _row(table, k) for k in ("gap questions handled", "gap questions answered wrong",
                                        "test questions handled", "test questions answered wrong")}
    unmeasured = [f"'{k}' row" for k, r in rows.items() if r is None]
    unmeasured += [f"{k} {col}" for k, r in rows.items() if r is not None for col in ("before", "after")
                   if missing_reason(r[col])]
    if unmeasured:
        return missing_input(ship_update.exercise, "table", f"has no value for {', '.join(unmeasured)}")
    gap, gap_wrong = rows["gap questions handled"], rows["gap questions answered wrong"]
    test, test_wrong = rows["test questions handled"], rows["test questions answered wrong"]
    fixed = bool(gap["after"] > gap["before"])
    no_new_wrong = bool(gap_wrong["after"] - gap_wrong["before"] <= max_more_wrong + 1e-12
                        and test_wrong["after"] - test_wrong["before"] <= max_more_wrong + 1e-12)
    no_regression = bool(test["before"] - test["after"] <= max_drop + 1e-12)
    expected = fixed and no_new_wrong and no_regression
    figures = [float(v) for r in rows.values() for v in (r["before"], r["after"], r["after"] - r["before"])]
    cited = isinstance(why, str) and cites_figure(why, figures)

    def ok():
        return isinstance(ship, bool) and ship == expected and cited

    reasons = []
    if not fixed:
        reasons.append(f"the gap questions it was written for did not improve ({gap['before']:.2f} → {gap['after']:.2f} "
                       "handled correctly)")
    if not no_new_wrong:
        reasons.append(f"wrong answers rose beyond your {max_more_wrong:.2f} (gap {gap_wrong['before']:.2f} → "
                       f"{gap_wrong['after']:.2f}, test {test_wrong['before']:.2f} → {test_wrong['after']:.2f}): a "
                       "decline that became a wrong answer moves work onto customers, not off the queue")
    if not no_regression:
        reasons.append(f"the test questions fell by more than your {max_drop:.2f} ({test['before']:.2f} → "
                       f"{test['after']:.2f})")
    msg = ("Ship it: the gap questions improved, no wrong-answer share rose beyond your tolerance, and the test "
           "questions held." if expected else "Hold it: " + "; ".join(reasons) + ".")
    not_yet = ("Not yet: ship (True or False) and a why that quotes a figure from the before/after table."
               if not cited else "Not yet: read the before/after table again, wrong answers included.")
    return check(ship_update.exercise, ok,
                 success=msg + " A content change is a product change: it ships when it fixes what it was for without "
                               "breaking what worked.",
                 hint=not_yet + " Stuck? checks.hint(\"8.5\").")
