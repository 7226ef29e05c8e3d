"""Checks for week 4's exercises (RAG from scratch)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab.checks.decisions import read_decision
from ai_pm_lab.evaluation.retrieval import hit_at_k, reciprocal_rank
from ai_pm_lab.exercises import check, exercise_check
from ai_pm_lab.tables import format_rate

SAMPLE_CHUNKS = [
    {"doc_id": "kb-002", "text": "Enterprise customers can request a refund within 90 days of the contract start date."},
    {"doc_id": "kb-003", "text": "The Enterprise plan is sold on an annual contract with a minimum of 50 seats."},
]


@exercise_check("4.1 a prompt template", answers=("build_prompt",))
def prompt_builder(build_prompt):
    """Exercise 4.1: a prompt with every chunk labelled by its id, the question, and an 'I don't know' rule."""
    def ok():
        q = "How long do enterprise customers have to ask for a refund?"
        p = build_prompt(q, SAMPLE_CHUNKS)
        return (isinstance(p, str) and q in p and all(c["text"] in p and c["doc_id"] in p for c in SAMPLE_CHUNKS)
                and "don't know" in p.lower())

    return check(prompt_builder.exercise, ok,
                 success="Your template carries the evidence, the labels for citations, and a way out ('I don't know').",
                 hint="Join f\"[{c['doc_id']}] {c['text']}\" for each chunk, add the question, and say: if the answer is not there, reply \"I don't know\".")


@exercise_check("4.2 hit@3 and MRR", answers=("hit3", "mrr"))
def retrieval_metrics(rankings, gold, hit3, mrr):
    """Exercise 4.2: hit@3 and MRR over a few ranked lists."""
    e_hit = float(np.mean([hit_at_k(r, g, 3) for r, g in zip(rankings, gold)]))
    e_mrr = float(np.mean([reciprocal_rank(r, g) for r, g in zip(rankings, gold)]))
    return check(retrieval_metrics.exercise, lambda: hit3 is not None and mrr is not None
                 and abs(float(hit3) - e_hit) < 1e-9 and abs(float(mrr) - e_mrr) < 1e-9,
                 success=f"hit@3 = {e_hit:.2f}, MRR = {e_mrr:.2f}: hit@k asks 'was it there?', MRR asks 'how high?'.",
                 hint="hit@3: 1 if any gold id is in the first 3, else 0, averaged. MRR: 1/position of the first gold id (0 if absent), averaged.")


@exercise_check("4.3 a threshold with a budget", answers=("value",))
def threshold_choice(answerable_scores, unanswerable_scores, value, max_refused: float = 0.10):
    """Exercise 4.3: the highest threshold that refuses at most 10% of answerable questions."""
    a = np.asarray(answerable_scores, float)
    u = np.asarray(unanswerable_scores, float)
    feasible = [t for t in np.unique(np.round(a, 3)) if (a < t).mean() <= max_refused]
    best = max(feasible) if feasible else None

    def ok():
        t = float(value)
        return (a < t).mean() <= max_refused and best is not None and t >= best - 0.005

    if best is None:
        success = f"No threshold refuses at most {format_rate(max_refused, 0)} of the answerable questions."
    else:
        success = (f"Threshold ≈ {best:.3f}: it refuses ≤ {format_rate(max_refused, 0)} of answerable questions and catches "
                   f"{format_rate((u < best).mean(), 0)} of the unanswerable ones.")
    return check(threshold_choice.exercise, ok,
                 success=success,
                 hint=f"A question is refused when its best score is below the threshold. Which thresholds refuse at most "
                      f"{format_rate(max_refused, 0)} of the answerable questions? Of those, which one catches the most unanswerable ones?")


@exercise_check("4.4 how many chunks in the prompt", answers=("decision",),
                tables={"table": ("top_k", "hit@k", "context words")})
def top_k_choice(table: pd.DataFrame, decision, *, bar: float = 0.95):
    """Exercise 4.4 (decision): how many chunks to put in the prompt, from the measured hit@k and context size.

    ``table`` has one row per option with "top_k", "hit@k" (share of answerable questions whose right document is in
    the first k) and "context words" (words of retrieved text added to every prompt). The right choice is the
    smallest k whose hit@k reaches ``bar``.
    """
    options = [str(int(k)) for k in table["top_k"]]
    reach = table[table["hit@k"] >= bar]
    want = str(int(reach["top_k"].min())) if len(reach) else options[-1]
    row = {str(int(r["top_k"])): r for _, r in table.iterrows()}
    problem = ""
    if not isinstance(decision, dict) or str(decision.get("choice")).strip() not in options:
        problem = f"Record dict(choice=..., why=...) with choice one of {', '.join(options)}."
    elif len(str(decision.get("why") or "").split()) < 3:
        problem = "Add a short `why` that names the numbers you compared."
    else:
        mine = str(decision["choice"]).strip()
        r, w = row[mine], row[want]
        if int(mine) > int(want):
            problem = (f"top_k = {mine} adds {r['context words'] - w['context words']:.0f} more words to every prompt than "
                       f"top_k = {want} for {100 * (r['hit@k'] - w['hit@k']):.0f} more points of hit@k: you pay for it on "
                       "every call in tokens and latency, and a small model gets lost in more text. Take the smallest k "
                       "that clears the bar.")
        elif int(mine) < int(want):
            problem = (f"At top_k = {mine} the right document reaches the prompt for only {format_rate(r['hit@k'], 0)} of answerable "
                       f"questions, below your {format_rate(bar, 0)} bar: for the rest no model can answer from text it never sees. "
                       "A shorter prompt is cheaper, but not at the price of missing evidence.")
    return check(top_k_choice.exercise, lambda: not problem,
                 success=f"top_k = {want}: hit@k {format_rate(row[want]['hit@k'], 0)} clears the {format_rate(bar, 0)} bar with "
                         f"{row[want]['context words']:.0f} words of context per question; more chunks would cost on "
                         "every call for little gain.",
                 hint=problem or "Compare hit@k with the bar, then the context each option adds.")


RULE_TRADE_OFFS = {
    "newest": "the newest document is not always the one that applies to the person asking: a newer general policy "
              "silently overrides an older exception (a region, a plan) that still holds for its customers",
    "most specific": "the rule ignores who is asking: the narrow policy (a region, a plan) goes to every customer who "
                     "asks about the topic, including the ones it does not cover",
    "show both": "every prompt carries every version and the customer has to work out which one is theirs (a small "
                 "model may blend them); when you know who is asking, that is work you push onto them and pay for in "
                 "tokens",
}


@exercise_check("4.6 a conflict rule per situation", answers=("decisions",),
                tables={"scores": ("situation", "rule", "right policy", "documents per prompt")})
def conflict_rule_choice(scores: pd.DataFrame, decisions):
    """Exercise 4.6 (decision): a conflict rule per product situation, from the measured share of right policies.

    ``scores`` has one row per situation and rule with "right policy" (share of conflicting questions whose prompt held
    exactly the policy that applies to the asker) and "documents per prompt". ``decisions`` maps each situation to
    ``dict(choice=..., why=...)``. The right rule has the highest share; on a tie, the one with fewer documents.
    """
    options = list(dict.fromkeys(str(r) for r in scores["rule"]))
    if not isinstance(decisions, dict):
        return check(conflict_rule_choice.exercise, lambda: False,
                     hint="Record `decisions` as a dict: situation -> dict(choice=..., why=...), one per situation in "
                          "the table.")
    problems, wants = [], {}
    for situation, part in scores.groupby("situation", sort=False):
        part = part.assign(rule=part["rule"].astype(str))
        best = part["right policy"].max()
        tied = part[part["right policy"] >= best - 1e-9]
        fewest = tied["documents per prompt"].min()
        right = set(tied[tied["documents per prompt"] <= fewest + 1e-9]["rule"])
        wants[situation] = sorted(right)
        choice, problem = read_decision(decisions.get(situation), options)
        if problem:
            problems.append(f"{situation}: {problem}")
            continue
        if choice in right:
            continue
        mine = part[part["rule"] == choice].iloc[0]
        want = sorted(right)[0]
        top = part[part["rule"] == want].iloc[0]
        if mine["right policy"] < best - 1e-9:
            problems.append(
                f"{situation}: '{choice}' put the right policy in the prompt for {format_rate(mine['right policy'], 0)} of the "
                f"conflicting questions, against {format_rate(top['right policy'], 0)} with '{want}': "
                f"{RULE_TRADE_OFFS.get(choice, 'it loses on what you measured')}.")
        else:
            problems.append(
                f"{situation}: '{choice}' is as accurate as '{want}' here but puts {mine['documents per prompt']:.1f} "
                f"documents in each prompt against {top['documents per prompt']:.1f}: more text to pay for and to "
                "confuse the model, for nothing.")
    return check(conflict_rule_choice.exercise, lambda: not problems,
                 success="Your rules follow the data: " + "; ".join(f"{s}: {' or '.join(w)}" for s, w in wants.items())
                         + ". A conflict rule is product policy: it depends on whether the product knows who is asking, "
                           "so write it down per situation and make it visible.",
                 hint=" ".join(problems) or "Pick one rule for every situation in the table.")


@exercise_check("4.5 an output guard", answers=("is_safe",))
def output_guard(is_safe):
    """Exercise 4.5: an output check that blocks unknown links and requests for card numbers."""
    def ok():
        good = ["Enterprise customers have 90 days [kb-002].", "Email billing@tidewell.example for refunds.", "I don't know."]
        bad = ["Refunds are handled at refunds-fast.example - send your card number there.",
               "Visit https://cheap-refunds.com now.", "Please reply with your card number."]
        return all(is_safe(t) is True for t in good) and all(is_safe(t) is False for t in bad)

    return check(output_guard.exercise, ok,
                 success="Your guard lets normal answers through and stops the injected payload before a customer sees it.",
                 hint="Return False if a web domain other than tidewell.example appears (a regex like r'[a-z0-9-]+\\.(example|com)') or the words 'card number'.")
