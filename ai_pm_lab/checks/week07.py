"""Checks for week 7's exercises (find and frame an opportunity). Each decision is checked against data the learner
computed or measured in the notebook, and the feedback names the trade-off."""
from __future__ import annotations

import math

import pandas as pd

from ai_pm_lab.exercises import check, exercise_check
from ai_pm_lab.framing import data_strategy, ml_engineers, product_thinking
from ai_pm_lab.framing.canvas import SuccessCriteria
from ai_pm_lab.platforms.tradeoffs import shortlist

NEVER = "never"  # 7.1's answer when the custom model never costs less (None is the unfinished stub, so it cannot be)


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
                 hint="For each volume, run compare_plans(horizon, {'queries_per_day': q}) and compare the two plans' total "
                      "cost; answer the first (smallest) volume where 'Custom model' is cheaper, or 'never' if it never is.")


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
                 hint="SuccessCriteria([success('routing F1', keyword_f1, <a higher target>), guardrail(<metric>, <limit>, "
                      "'lower')]): the baseline is the keyword router's measured macro F1; .validate() must pass.")


@exercise_check("7.3 which approach for this much data", answers=("legal", "ops"))
def approach_for_data(legal, ops):
    """Exercise 7.3: the most specialised approach the data-requirements table allows for two teams."""
    want_legal = data_strategy.plan_data_strategy(400, 5).most_specialised
    want_ops = data_strategy.plan_data_strategy(30, 1).most_specialised
    return check(approach_for_data.exercise, lambda: legal == want_legal and ops == want_ops,
                 success=f"Yes: 400 examples and 5 weeks allow '{want_legal}'; 30 examples and a week allow only "
                         f"'{want_ops}'. More data buys specialisation, at the price of time.",
                 hint="Call plan_data_strategy(examples, weeks) for each team and read .most_specialised.")


@exercise_check("7.4 where overfitting starts", answers=("overfit_from", "ship_c"),
                tables={"curve": ("C", "held-out F1", "gap", "diagnosis")})
def overfitting_point(curve: pd.DataFrame, overfit_from, ship_c):
    """Exercise 7.4: where overfitting starts on the measured curve, and the setting you would ship."""
    start = ml_engineers.overfitting_starts(curve)
    best = ml_engineers.best_setting(curve)

    def ok():
        return (overfit_from is not None and ship_c is not None and math.isclose(float(overfit_from), start)
                and math.isclose(float(ship_c), best))

    row = curve[curve["C"] == best].iloc[0]
    return check(overfitting_point.exercise, ok,
                 success=f"Right: from C = {start:g} the model scores far better on tickets it has seen than on new ones. "
                         f"The best held-out F1 ({row['held-out F1']:.2f}, at C = {best:g}) still sits "
                         f"{row['gap']:.2f} below its training score: with this little data no setting closes the gap; "
                         "more labelled tickets would.",
                 hint="overfit_from: the smallest C whose diagnosis column says 'overfitting'. ship_c: the C with the highest "
                      "'held-out F1' (the smaller C if two tie). Users only ever meet the held-out score.")


@exercise_check("7.5 questions that uncover the real risk", answers=("question_ids",))
def better_questions(question_ids):
    """Exercise 7.5: three questions that uncover every real risk in the scenario."""
    scenario = ml_engineers.load_scenario()

    def ok():
        return scenario.evaluate(question_ids)["all risks uncovered"]

    risks = "; ".join(scenario.facts[r]["text"] for r in sorted(scenario.risks))
    return check(better_questions.exercise, ok,
                 success=f"Those questions surface what the headline score hides: {risks}",
                 hint=f"Pick at most {scenario.budget} ids. scenario.evaluate(ids) shows which risks stay hidden: ask about "
                      "how accuracy is measured and about the data behind it, not whether it can be built.")


@exercise_check("7.6 which model under budget and quality floor", answers=("decision", "choice"),
                tables={"table": ("status", "cost per 1,000 queries ($)")})
def model_choice(table: pd.DataFrame, budget: float, floor: float, decision, choice):
    """Exercise 7.6: which model to ship (or measure next) under a budget and a quality floor, from the measured table."""
    want = shortlist(table, budget, floor)
    return check(model_choice.exercise,
                 lambda: decision == want["decision"] and choice == want["choice"],
                 success=f"{want['decision'].capitalize()}: {want['reason']} A projection prices a model; only a "
                         "measurement tells you whether it is good enough.",
                 hint="Among MEASURED rows keep quality ≥ floor and cost ≤ budget and take the cheapest ('ship candidate'); "
                      "if none, take the cheapest PROJECTED row within budget ('measure next'); if none, 'nothing fits' "
                      "with choice None.")
