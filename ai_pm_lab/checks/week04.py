"""Checks for week 4's exercises (RAG from scratch)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab import exercises
from ai_pm_lab.checks.decisions import cites_figure, read_decision
from ai_pm_lab.evaluation.retrieval import hit_at_k, reciprocal_rank
from ai_pm_lab.exercises import check, exercise_check
from ai_pm_lab.tables import format_rate

# Hints on request (contracts §2): checks.hint("4.4") shows the next step each time it is run. The first step of each is
# a nudge (where to look, what to ask of the data), never the rule that computes the answer.
HINTS: dict[str, tuple[str, ...]] = {
    "4.1": ("Print your prompt for the sample chunks: could a reader tell which text came from which document?",
            "Put each chunk on its own line with its id in square brackets in front, e.g. \"[kb-002] ...\".",
            "End with the question and one sentence saying what to reply when the chunks do not contain the answer: "
            "\"I don't know\"."),
    "4.2": ("Work one question by hand first: where does its first gold document sit in its ranking?",
            "hit@3 is 1 when that position is 3 or better, else 0; MRR uses 1 / position (0 when absent). Average each "
            "over the three questions."),
    "4.3": ("A question is refused when its best score is below the threshold. How many answerable questions does a "
            "threshold of 0.40 refuse? Is that within your budget?",
            "Try the answerable scores themselves as thresholds, from low to high: the share refused only changes at "
            "those values.",
            "Keep the last one whose refused share of answerable questions is still within max_refused."),
    "4.4": ("Read the table row by row: which options put the right document in the prompt often enough for your bar?",
            "Among the options that clear it, what does each extra chunk add to every single prompt?",
            "Your why must quote a figure from topk_table (a hit@k or a context size), as it prints."),
    "4.5": ("Look at the injected document in the lesson: which two things in it would harm a customer?",
            "No code needed: safety.output_guard(allowed_domains=[...], blocked_phrases=[...]) builds the check from "
            "two lists you choose; or write is_safe with a regex that finds web domains.",),
    "4.6": ("For each situation, ask: does the product know who is asking, and which policy applies to them?",
            "Read the 'right policy' column per situation; where two rules tie, look at 'documents per prompt'.",
            "Your why must quote a figure from scores (a right-policy share or documents per prompt), as it prints."),
}
hint = exercises.hint_giver(HINTS)

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
                 hint="The prompt needs each chunk's text with its id, the question, and a way out ('I don't know'). "
                      'For a step-by-step hint run checks.hint("4.1").')


@exercise_check("4.2 hit@3 and MRR", answers=("hit3", "mrr"))
def retrieval_metrics(rankings, gold, hit3, mrr):
    """Exercise 4.2: hit@3 and MRR over a few ranked lists."""
    e_hit = float(np.mean([hit_at_k(r, g, 3) for r, g in zip(rankings, gold)]))
    e_mrr = float(np.mean([reciprocal_rank(r, g) for r, g in zip(rankings, gold)]))
    return check(retrieval_metrics.exercise, lambda: hit3 is not None and mrr is not None
                 and abs(float(hit3) - e_hit) < 1e-9 and abs(float(mrr) - e_mrr) < 1e-9,
                 success=f"hit@3 = {e_hit:.2f}, MRR = {e_mrr:.2f}: hit@k asks 'was it there?', MRR asks 'how high?'.",
                 hint='Not yet: recount the positions of the first gold document. For a step-by-step hint run checks.hint("4.2").')


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
                 hint=f"Not yet: check how many answerable questions your threshold refuses against your budget of "
                      f"{format_rate(max_refused, 0)}, and whether a higher one would still fit. For a step-by-step hint run "
                      'checks.hint("4.3").')


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
    elif not cites_figure(decision["why"], [*table["hit@k"], *table["context words"]]):
        problem = ("Your why must quote what you measured: a hit@k or a context size from topk_table, as it prints "
                   "(e.g. a share as a percent or with two decimals).")
    else:
        mine = str(decision["choice"]).strip()
        r, w = row[mine], row[want]
        if int(mine) > int(want):
            problem = (f"top_k = {mine} adds {r['context words'] - w['context words']:.0f} more words to every prompt than "
                       f"top_k = {want} for {100 * (r['hit@k'] - w['hit@k']):.0f} more points of hit@k: you pay for it on "
                       "every call in tokens and latency, and a small model gets lost in more text.")
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
        if not problem and not cites_figure(decisions[situation]["why"],
                                            [*part["right policy"], *part["documents per prompt"]]):
            problem = ("your why must quote a figure from scores for this situation (a right-policy share or the "
                       "documents per prompt), as it prints.")
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
                 hint="Not yet: your guard must pass normal answers (including links to tidewell.example) and stop "
                      "unknown web domains and requests for a card number. For a step-by-step hint run checks.hint(\"4.5\").")
