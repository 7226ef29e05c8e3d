"""Checks for week 1's exercises."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ai_pm_lab.catalog import find_model, model_info
from ai_pm_lab.checks.decisions import cites_figure, read_decision, table_figures, without_options
from ai_pm_lab.decision_tree import recommend
from ai_pm_lab.exercises import check, exercise_check, hint_giver
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.tables import format_money, format_rate

# Hints on request (checks.hint("1.2") in the notebook): a nudge first, the near-answer last; never the rule up front.
HINTS = {
    "1.1": ("`dist` already holds the model's scores for every token after the prompt. How would you ask it for its "
            "most likely few?",
            "dist.top_k(1) is a one-row table; its \"token\" column holds the text, leading space included."),
    "1.2": ("Read each feature's table on its own: what would a customer see if the same request came back with a "
            "different token?",
            "For the brainstorm, compare each temperature's top-10 share with the tolerance you set: below it, you "
            "called the draws noise.",
            "Each why needs a figure from that feature's table (distinct draws, entropy or top-10 share)."),
    "1.3": ("Which words in a task description tell you the work is creative rather than factual?",
            "Return a low number by default and a high one when a creative word appears in task.lower()."),
    "1.4": ("Take the five questions in order and answer each for this team, not for AI in general.",
            "Reread what the team has recorded about the invoices: could they tell whether a model's totals are "
            "right?"),
    "1.5": ("One question's cost comes from the price table: tokens in and out times the price per million. How "
            "many questions are there in a month?",
            "lab.estimate_cost(model_id, tokens_in, tokens_out) is one question; times queries_per_day, times 30. "
            "Then go through your limits one by one: price, launch date, window.",
            "Your why needs a monthly figure from `bills`, in dollars, for the model you pick."),
}
hint = hint_giver(HINTS)

@exercise_check("1.1 most likely next token", answers=("answer",))
def top_token(prompt: str, answer):
    """Exercise 1: the single most likely next token after ``prompt``."""
    expected = next_token_distribution(prompt).top_k(1)["token"].iloc[0]
    return check(top_token.exercise, lambda: answer == expected,
                 success=f"Yes: {expected!r} is the model's favourite next token.",
                 hint="Not yet: `top` should hold the single most likely next token as text, leading space included. "
                      'Stuck? run checks.hint("1.1").')


def _row(table, choice: str):
    temps = [float(t) for t in table["temperature"]]
    return table.iloc[temps.index(float(choice))]


VARIETY = ("temperature", "distinct in 20 draws", "top-10 share")


@exercise_check("1.2 a temperature per feature", answers=("invoice", "brainstorm"),
                tables={"invoice_table": VARIETY, "brainstorm_table": VARIETY})
def temperature_choices(invoice_table: pd.DataFrame, brainstorm_table: pd.DataFrame, invoice, brainstorm, *,
                        sensible_share: float = 0.5):
    """Exercise 2 (decision): a temperature for invoice extraction and one for name brainstorming, from measured variety.

    Each table has one row per temperature with "distinct in 20 draws" and "top-10 share" (probability kept on the ten
    most likely tokens). Invoice extraction needs the least variety measured; brainstorming needs the most variety whose
    top-10 share stays at or above ``sensible_share``, the learner's own tolerance (below it, variety is noise). Each
    ``why`` quotes a figure of its feature's table (the temperatures themselves do not count).
    """
    if not 0 < float(sensible_share) <= 1:
        return check(temperature_choices.exercise, lambda: False,
                     hint=f"`min_top10_share` is {sensible_share!r}: set it as a share between 0 and 1, e.g. 0.5 for "
                          "half of the probability on the ten most likely tokens.")
    options = [f"{float(t):g}" for t in invoice_table["temperature"]]
    temps = {f"{float(t):g}" for t in invoice_table["temperature"]} | {f"{float(t):g}" for t in brainstorm_table["temperature"]}

    def cites(decision, table):  # a measured figure, not one of the temperatures picked from
        why = without_options(str(decision.get("why") or ""), temps)
        return cites_figure(why, table_figures(table.drop(columns="temperature")))

    def right_answers():
        inv = invoice_table.sort_values(["distinct in 20 draws", "temperature"]).iloc[0]
        ok = brainstorm_table[brainstorm_table["top-10 share"] >= sensible_share]
        brain = ok.sort_values(["distinct in 20 draws", "temperature"]).iloc[-1]
        return f"{float(inv['temperature']):g}", f"{float(brain['temperature']):g}"

    want_inv, want_brain = right_answers()
    problems = []
    inv_choice, problem = read_decision(invoice, options)
    if problem:
        problems.append("Invoice: " + problem)
    elif not cites(invoice, invoice_table):
        problems.append("Invoice: your `why` quotes no number from `invoice_table`: back the choice with a figure "
                        "measured there (distinct draws, entropy or top-10 share).")
    elif inv_choice != want_inv:
        r = _row(invoice_table, inv_choice)
        problems.append(
            f"Invoice: at {inv_choice} you measured {int(r['distinct in 20 draws'])} different next tokens in 20 draws: "
            "the same invoice could come back with different totals. Variety buys nothing when the number goes into a "
            "payment, and repeatability costs nothing.")
    brain_choice, problem = read_decision(brainstorm, options)
    if problem:
        problems.append("Brainstorm: " + problem)
    elif not cites(brainstorm, brainstorm_table):
        problems.append("Brainstorm: your `why` quotes no number from `brainstorm_table`: back the choice with a "
                        "figure measured there (distinct draws, entropy or top-10 share).")
    elif brain_choice != want_brain:
        r = _row(brainstorm_table, brain_choice)
        if r["top-10 share"] < sensible_share:
            problems.append(
                f"Brainstorm: at {brain_choice} only {format_rate(r['top-10 share'], 0)} of the probability stays on the ten most "
                f"likely tokens, below your tolerance of {format_rate(sensible_share, 0)}: the variety you buy is mostly "
                "noise (odd words, broken names). More variety is not better once quality falls off: step down.")
        else:
            problems.append(
                f"Brainstorm: at {brain_choice} you measured {int(r['distinct in 20 draws'])} different next tokens in 20 "
                "draws: every brainstorm would offer nearly the same names, and variety is the point of the feature. "
                "Accept some unpredictability here: step up, as long as the top-10 share stays within your tolerance.")
    return check(temperature_choices.exercise, lambda: not problems,
                 success=f"Invoice at {want_inv}: no variety, so the same invoice gives the same total. Brainstorm at "
                         f"{want_brain}: the most variety whose top-10 share stays at or above your "
                         f"{format_rate(sensible_share, 0)}. The right temperature is a product decision per feature, "
                         "not a model setting.",
                 hint=" ".join(problems) or 'Compare the two tables. Stuck? run checks.hint("1.2").')


@exercise_check("1.3 temperature policy", answers=("pick_temperature",))
def temperature_policy(pick_temperature):
    """Exercise 3: a temperature policy that is low for factual tasks and high for creative ones."""
    def ok():
        factual = ["extract the invoice total", "answer from the policy document", "classify this ticket"]
        creative = ["brainstorm product names", "write a playful tagline"]
        return all(0 <= pick_temperature(t) <= 0.3 for t in factual) and all(0.8 <= pick_temperature(t) <= 2 for t in creative)

    return check(temperature_policy.exercise, ok,
                 success="Good policy: factual work stays near 0, creative work gets room to roam.",
                 hint="Not yet: factual tasks (extracting, answering from a document, classifying) need at most 0.3, "
                      'creative ones (brainstorming, taglines) at least 0.8. Stuck? run checks.hint("1.3").')


@exercise_check("1.4 decision tree", answers=("answers",))
def decision_tree_walk(answers):
    """Exercise 4: the invoice-extraction scenario stops at the data question."""
    return check(decision_tree_walk.exercise, lambda: recommend(**answers).stopped_at == "has_data",
                 success="Exactly: without labelled examples you cannot even tell whether it works. Data first.",
                 hint="Not yet: answer all five questions (True/False) for this team's situation, then see where the "
                      'walk stops. Stuck? run checks.hint("1.4").')


@exercise_check("1.5 a model under a budget", answers=("decision",), tables={"bills": ("model", "per month")})
def model_under_budget(bills: pd.DataFrame, decision, *, budget: float, min_window: int, launch: str = "2027-03-01"):
    """Exercise 5 (decision): a model that fits the monthly budget, holds ``min_window`` tokens and is served at launch.

    ``bills`` is the learner's table with columns "model" and "per month" (dollars), computed from the price table;
    the check recomputes nothing from the model's output, only the constraints from the learner's bills and the catalog.
    ``budget``, ``min_window`` and ``launch`` are the learner's own limits; the ``why`` quotes a monthly figure of
    ``bills``.
    """
    day = dt.date.fromisoformat(launch)
    options = [str(m) for m in bills["model"]]
    unknown = [m for m in options if find_model(m) is None]
    if unknown:
        return check(model_under_budget.exercise, lambda: False,
                     hint=f"`bills` lists {', '.join(map(repr, unknown))}, which the price table does not have: build "
                          "`bills` from the price table's model ids (catalog.price_table()), one row per paid model.")
    choice, problem = read_decision(decision, options)

    def fits(model_id: str) -> list[str]:
        info = model_info(model_id)
        cost = float(bills.loc[bills["model"] == model_id, "per month"].iloc[0])
        out = []
        if cost > budget:
            out.append(f"{model_id} costs {format_money(cost)} a month, over the ${budget:,.0f} budget: at this volume a "
                       "higher price per million tokens is the whole bill, so a stronger model has to earn its price "
                       "in measured quality first")
        if not info.served_on(day):
            out.append(f"{model_id} is {info.status} and shuts down on {info.shutdown_date}, before the {launch} launch: "
                       "cheap today, but you would ship on a model you must migrate off at once")
        if info.context_window < min_window:
            out.append(f"{model_id} holds {info.context_window:,} tokens, below the {min_window:,} the feature needs")
        return out

    valid = [m for m in options if not fits(m)]
    if not problem and not cites_figure(decision.get("why"), bills["per month"].tolist()):
        problem = ("Your `why` quotes no monthly figure from `bills`: back the choice with what it costs a month "
                   f"(e.g. {format_money(float(bills.loc[bills['model'] == choice, 'per month'].iloc[0]))}).")
    elif not problem and choice not in valid:
        problem = "; ".join(fits(choice)) + "."
    return check(model_under_budget.exercise, lambda: not problem,
                 success=f"{choice} fits: within ${budget:,.0f} a month, served at launch, window large enough. "
                         f"Models that also fit: {', '.join(m for m in valid if m != choice) or 'none'}. The price table "
                         "narrows the field; a quality test on your own questions decides among what is left.",
                 hint=problem or 'Choose a model from your bills table. Stuck? run checks.hint("1.5").')
