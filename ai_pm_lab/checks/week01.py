"""Checks for week 1's exercises."""
from __future__ import annotations

import math

from ai_pm_lab.catalog import default_model
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.decision_tree import recommend
from ai_pm_lab.exercises import check
from ai_pm_lab.llm.next_token import next_token_distribution


def top_token(prompt: str, answer):
    """Exercise 1: the single most likely next token after ``prompt``."""
    expected = next_token_distribution(prompt).top_k(1)["token"].iloc[0]
    return check("1.1 most likely next token", lambda: answer == expected,
                 success=f"Yes: {expected!r} is the model's favourite next token.",
                 hint="Use dist.top_k(1) and take the 'token' of the first row (keep the leading space).")


def entropy_extremes(prompt: str, cold, hot):
    """Exercise 2: entropy at temperature 0 and at 2."""
    dist = next_token_distribution(prompt)
    return check("1.2 entropy at the extremes",
                 lambda: math.isclose(cold, dist.entropy(0.0), abs_tol=1e-6) and math.isclose(hot, dist.entropy(2.0), rel_tol=1e-6),
                 success="Right: temperature 0 leaves no surprise at all; temperature 2 spreads probability thin.",
                 hint="Call dist.entropy(0.0) and dist.entropy(2.0).")


def temperature_policy(pick_temperature):
    """Exercise 3: a temperature policy that is low for factual tasks and high for creative ones."""
    def ok():
        factual = ["extract the invoice total", "answer from the policy document", "classify this ticket"]
        creative = ["brainstorm product names", "write a playful tagline"]
        return all(0 <= pick_temperature(t) <= 0.3 for t in factual) and all(0.8 <= pick_temperature(t) <= 2 for t in creative)

    return check("1.3 temperature policy", ok,
                 success="Good policy: factual work stays near 0, creative work gets room to roam.",
                 hint="Return a value ≤ 0.3 for extraction/answering/classification and ≥ 0.8 for brainstorming or writing taglines.")


def decision_tree_walk(answers):
    """Exercise 4: the invoice-extraction scenario stops at the data question."""
    return check("1.4 decision tree", lambda: recommend(**answers).stopped_at == "has_data",
                 success="Exactly: without labelled examples you cannot even tell whether it works. Data first.",
                 hint="Answer all five questions (True/False) for the scenario; the team has no labelled invoices.")


def monthly_cost(value):
    """Exercise 5: monthly bill for 10,000 queries/day on OpenAI's default model, 800 prompt + 200 completion tokens, 30 days."""
    model = default_model("openai")
    expected = estimate_cost(model, 800, 200) * 10_000 * 30
    return check("1.5 monthly cost", lambda: value is not None and math.isclose(value, expected, rel_tol=1e-9),
                 success=f"${expected:,.2f} a month on {model}: small per query, real at scale.",
                 hint=f"lab.estimate_cost({model!r}, 800, 200) gives one query; multiply by queries per day and by 30.")
