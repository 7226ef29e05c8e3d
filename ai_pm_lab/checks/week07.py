"""Checks for week 7's exercises (find and frame an opportunity). Each decision is checked against data the learner
computed or measured in the notebook, and the feedback names the trade-off."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ai_pm_lab import exercises
from ai_pm_lab.capstone.launch import COST, HANDLED, LATENCY, WRONG
from ai_pm_lab.checks.decisions import cites_figure, table_figures
from ai_pm_lab.exercises import check, exercise_check
from ai_pm_lab.framing import data_strategy, load_criteria, ml_engineers, product_thinking
from ai_pm_lab.framing.canvas import OpportunityCanvas, SuccessCriteria
from ai_pm_lab.framing.data_strategy import AUDIT_OK
from ai_pm_lab.framing.ux import UXWorksheet
from ai_pm_lab.platforms.tradeoffs import shortlist

NEVER = "never"  # 7.1's answer when the custom model never costs less (None is the unfinished stub, so it cannot be)
SHIP, KEEP = "ship the classifier", "keep the keyword router"  # 7.4's two decisions
CAPSTONE_METRICS = (HANDLED, WRONG, LATENCY, COST)

# Hints on request (contracts §2): checks.hint("7.4") shows the next step each time it is run. The first step of each
# is a nudge: where to look and what to ask of the data, never the rule that computes the answer.
HINTS: dict[str, tuple[str, ...]] = {
    "7.1": ("Which assumption in the lesson's plan model is the traffic? Each plan's bill over the horizon is one "
            "column of the plan table.",
            "Work through the volumes from the smallest up: compare_plans(horizon, {'queries_per_day': q}) gives both "
            "plans' total cost at each.",
            "The answer is the first volume where 'Custom model' costs less than 'LLM API, iterate', or 'never'."),
    "7.2": ("A success criterion needs today's number as its baseline: which cell measured today's router?",
            "success('routing F1', baseline, target) with the measured keyword_f1 as baseline and a target above it; "
            "guardrail(metric, limit, 'lower') for something that must not get worse.",),
    "7.3": ("The planner reads the data-requirements table for you: how many examples and weeks does each team have?",
            "data_strategy.plan_data_strategy(examples, weeks) returns a plan; one of its fields names the most "
            "specialised approach that fits."),
    "7.4": ("Users only ever meet one of the two scores in the table. Which one, and where is it highest?",
            "Compare the best score users would meet with the score of the router they have today (keyword_f1).",
            "Your why must quote a figure from the curve table or keyword_f1, as it prints (two decimals is fine)."),
    "7.5": ("Read the engineer's claim again: which word in it should make you ask how it was measured, and on what?",
            "Each question costs one of your three. Questions about the data behind the model and about how accuracy "
            "is measured reveal more than questions about schedule or feasibility.",
            "Your why must quote a figure from split, the measured table above: the score on tickets it trained on "
            "or on held-out tickets."),
    "7.6": ("A projected row has a price but no quality: can a model with no measured quality clear a quality floor?",
            "Among models whose quality was measured, look for one within both your limits; if none, think about "
            "which unmeasured model is worth a key and an evaluation run."),
    "7.7": ("Read the status column: which checks could the file itself not answer, and which found a problem?",
            "The people to ask are the ones behind every check that is not 'ok'."),
    "7.8": ("Today's process is the keyword FAQ: its measured numbers are in faq_metrics. Which of them is your "
            "baseline for 'questions handled correctly'?",
            "success(HANDLED, baseline, target) plus guardrail(WRONG, ...), guardrail(LATENCY, ...), guardrail(COST, ...): "
            "limits you choose; .validate() tells you what to fix.",
            "Then framing.save_criteria(capstone_criteria) writes them where week 8 reads them."),
    "7.9": ("Answer each question of the worksheet for your own feature, in your own words (a sentence or two each).",
            "Put the worksheet on your canvas (ux=...) and write the one-pager with write_one_pager(my_canvas)."),
}
hint = exercises.hint_giver(HINTS)


@exercise_check("7.1 build vs buy: break-even traffic", answers=("answer",))
def break_even_traffic(volumes, horizon_weeks: float, answer):
    """Exercise 7.1: the smallest daily traffic (from ``volumes``) at which the custom model costs less in total, or
    "never" when it does not at any of them."""
    total = f"total cost over {horizon_weeks:g} weeks ($)"
    expected, tables = NEVER, {}
    for q in sorted(volumes):
        t = product_thinking.compare_plans(horizon_weeks, {"queries_per_day": q})
        tables[q] = t
        if t.loc["Custom model", total] < t.loc["LLM API, iterate", total]:
            expected = q
            break
    if expected != NEVER:
        t = tables[expected]
        success = (f"Right: from {expected:,} queries a day the custom model's {horizon_weeks:g}-week bill "
                   f"(${t.loc['Custom model', total]:,.0f}) undercuts the API plan's (${t.loc['LLM API, iterate', total]:,.0f}). "
                   f"But it still gets {t.loc['Custom model', 'releases (learning cycles)']:.0f} release(s) to the API plan's "
                   f"{t.loc['LLM API, iterate', 'releases (learning cycles)']:.0f}: cost is one axis, learning speed the other.")
    else:
        success = "Right: at none of these volumes does the custom model cost less: the API plan wins on cost and on learning."
    mine = answer.strip().lower() if isinstance(answer, str) else answer
    return check(break_even_traffic.exercise, lambda: mine is not None and mine == expected,
                 success=success,
                 hint="Not the break-even volume yet: compare the two plans' totals at each volume. "
                      "Stuck? checks.hint(\"7.1\").")


@exercise_check("7.2 success criteria against a measured baseline", answers=("criteria",))
def router_criteria(criteria, keyword_f1: float):
    """Exercise 7.2: success criteria for the ticket router whose baseline is the measured keyword router."""
    def ok():
        if not isinstance(criteria, SuccessCriteria):
            return False
        criteria.validate()
        main = [c for c in criteria.success_criteria if c.direction == "higher"]
        return (any(math.isclose(float(c.baseline), float(keyword_f1), abs_tol=1e-6) and c.target > c.baseline for c in main)
                and len(criteria.guardrails) >= 1)

    return check(router_criteria.exercise, ok,
                 success=f"Good: today's no-AI router scores F1 {keyword_f1:.2f}, so the AI must beat that to be worth "
                         "building, and a guardrail says what it may not make worse on the way.",
                 hint="Not yet: the criteria need today's measured router as the baseline, a target that beats it, a "
                      "guardrail, and to pass .validate(). Stuck? checks.hint(\"7.2\").")


@exercise_check("7.3 which approach for this much data", answers=("legal", "ops"))
def approach_for_data(legal, ops):
    """Exercise 7.3: the most specialised approach the data-requirements table allows for two teams."""
    want_legal = data_strategy.plan_data_strategy(400, 5).most_specialised
    want_ops = data_strategy.plan_data_strategy(30, 1).most_specialised
    return check(approach_for_data.exercise, lambda: legal == want_legal and ops == want_ops,
                 success=f"Yes: 400 examples and 5 weeks allow '{want_legal}'; 30 examples and a week allow only "
                         f"'{want_ops}'. More data buys specialisation, at the price of time.",
                 hint="Not yet: read each team's examples and weeks against the table. Stuck? checks.hint(\"7.3\").")


@exercise_check("7.4 which setting, and is it worth shipping", answers=("ship_c", "decision", "why"),
                tables={"curve": ("C", "train F1", "held-out F1", "gap")})
def setting_to_ship(curve: pd.DataFrame, keyword_f1: float, ship_c, decision, why):
    """Exercise 7.4: the setting of C to ship (best held-out F1) and whether the classifier beats today's keyword router,
    with a why that quotes a figure from the measured curve or the keyword router's score."""
    best = ml_engineers.best_setting(curve)
    row = curve[curve["C"] == best].iloc[0]
    want = SHIP if row["held-out F1"] > keyword_f1 else KEEP
    figures = [*table_figures(curve[["held-out F1", "train F1", "gap"]]), keyword_f1]
    chosen = decision.strip().lower() if isinstance(decision, str) else decision

    def ok():
        return (ship_c is not None and math.isclose(float(ship_c), best) and chosen == want
                and isinstance(why, str) and cites_figure(why, figures))

    if ok():
        return check(setting_to_ship.exercise, lambda: True,
                     success=f"Right: C = {best:g} scores best on tickets the model never saw ({row['held-out F1']:.2f}); "
                             f"today's keyword router scores {keyword_f1:.2f}, so you {want}. Even at its best setting the "
                             f"model is {row['gap']:.2f} better on seen tickets than on new ones: more labelled tickets, "
                             "not another setting, is what would close that gap.")
    if ship_c is not None and chosen in (SHIP, KEEP) and not (isinstance(why, str) and cites_figure(why, figures)):
        return check(setting_to_ship.exercise, lambda: False,
                     hint="Not yet: your why must quote a figure from the curve table (a held-out F1, a train F1 or a gap) "
                          "or the keyword router's keyword_f1, as printed.")
    return check(setting_to_ship.exercise, lambda: False,
                 hint=f"Not yet: decision must be {SHIP!r} or {KEEP!r}, and ship_c a C from the table; read which score "
                      "users would meet. Stuck? checks.hint(\"7.4\").")


@exercise_check("7.5 questions that uncover the real risk", answers=("question_ids", "why"))
def better_questions(question_ids, split: dict, why):
    """Exercise 7.5: three questions that uncover every real risk in the scenario, and a why that quotes a figure from
    ``split`` (the measured scores on trained-on and held-out tickets)."""
    scenario = ml_engineers.load_scenario()
    figures = [split["F1 on tickets it trained on"], split["F1 on held-out tickets"]]
    cited = isinstance(why, str) and cites_figure(why, figures)

    def covered():
        return scenario.evaluate(question_ids)["all risks uncovered"]

    if question_ids is not None and not cited:
        return check(better_questions.exercise, lambda: False,
                     hint="Not yet: your why must quote a figure from split (the score on tickets it trained on, or on "
                          "held-out tickets), as printed.")
    risks = " ".join(scenario.facts[r]["text"] for r in sorted(scenario.risks))
    return check(better_questions.exercise, lambda: cited and covered(),
                 success=f"Those questions surface what the headline score hides: {risks} On our own tickets the same "
                         f"trap measures {figures[0]:.2f} on tickets the model trained on against {figures[1]:.2f} on new ones.",
                 hint=f"Not yet: at most {scenario.budget} questions, and together they must bring every real risk into "
                      "the open. Stuck? checks.hint(\"7.5\").")


@exercise_check("7.6 which model under budget and quality floor", answers=("decision", "choice"),
                tables={"table": ("status", "cost per 1,000 queries ($)")})
def model_choice(table: pd.DataFrame, budget: float, floor: float, decision, choice):
    """Exercise 7.6: which model to ship (or measure next) under a budget and a quality floor, from the measured table."""
    want = shortlist(table, budget, floor)
    return check(model_choice.exercise,
                 lambda: decision == want["decision"] and choice == want["choice"],
                 success=f"{want['decision'].capitalize()}: {want['reason']} A projection prices a model; only a "
                         "measurement tells you whether it is good enough.",
                 hint="Not yet: read the table against your budget and floor again (which rows were measured, which "
                      "only priced?). Stuck? checks.hint(\"7.6\").")


@exercise_check("7.7 audit the training data", answers=("ask_about",), tables={"audit": ("check", "status")})
def audit_follow_up(audit: pd.DataFrame, ask_about):
    """Exercise 7.7: the audit checks to take to the data owner before training (every check that is not 'ok')."""
    want = set(audit.loc[audit["status"] != AUDIT_OK, "check"])
    mine = {ask_about} if isinstance(ask_about, str) else set(ask_about) if ask_about is not None else None
    return check(audit_follow_up.exercise, lambda: mine is not None and mine == want,
                 success=f"Right: {', '.join(sorted(want)) or 'nothing'} cannot be signed off from the file alone. "
                         "A classifier learns whatever the labels and their period teach it: who wrote them and when is "
                         "as much a part of the data as the text.",
                 hint="Not yet: read the status column of your audit. Stuck? checks.hint(\"7.7\").")


@exercise_check("7.8 the capstone's success criteria", answers=("criteria",))
def capstone_criteria(criteria, faq_metrics: dict):
    """Exercise 7.8: the capstone assistant's success criteria and guardrails, with the keyword FAQ's measured share of
    questions handled correctly as the baseline, saved with framing.save_criteria for week 8."""
    problems = []
    if not isinstance(criteria, SuccessCriteria):
        problems.append("capstone_criteria must be SuccessCriteria([...]).")
    else:
        problems += criteria.problems()
        missing = [m for m in CAPSTONE_METRICS if m not in criteria.metrics]
        if missing:
            problems.append(f"add a line for {', '.join(repr(m) for m in missing)} (use the names HANDLED, WRONG, "
                            "LATENCY, COST).")
        handled = [c for c in criteria.success_criteria if c.metric == HANDLED]
        if not handled:
            problems.append("'questions handled correctly' must be a success criterion (a target to reach).")
        elif not (isinstance(handled[0].baseline, (int, float))
                  and math.isclose(float(handled[0].baseline), float(faq_metrics[HANDLED]), abs_tol=0.0051)):
            problems.append("the baseline of 'questions handled correctly' must be what today's keyword FAQ measured.")
        saved = load_criteria() if not problems else None
        if not problems and (saved is None or [c.row() for c in saved] != [c.row() for c in criteria]):
            problems.append("save them: framing.save_criteria(capstone_criteria), so week 8 can read them.")
    return check(capstone_criteria.exercise, lambda: not problems,
                 success="Saved: week 8 judges the assistant against these lines, written before anyone measured it.",
                 hint="Not yet: " + " ".join(problems[:2]) + " Stuck? checks.hint(\"7.8\").")


@exercise_check("7.9 uncertainty, errors and feedback on the one-pager", answers=("canvas", "one_pager"))
def worksheet_on_one_pager(canvas, one_pager):
    """Exercise 7.9: the learner's own canvas with a filled worksheet (ux=...), written out as a one-pager."""
    def ok():
        if not isinstance(canvas, OpportunityCanvas) or not isinstance(canvas.ux, UXWorksheet) or canvas.problems():
            return False
        path = Path(one_pager)
        return path.exists() and path.read_text(encoding="utf-8") == canvas.to_markdown()

    return check(worksheet_on_one_pager.exercise, ok,
                 success="Your one-pager now says what users see when the AI is unsure, how they recover from its "
                         "mistakes and how their corrections reach the team: the parts a demo never shows.",
                 hint="Not yet: the canvas needs every field filled (review(my_canvas) lists them), the worksheet as "
                      "ux=..., and the one-pager written from it after the last change. Stuck? checks.hint(\"7.9\").")
