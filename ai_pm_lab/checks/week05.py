"""Checks for week 5's exercises (evaluation): each decision is tested against the data the learner measured."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab import exercises
from ai_pm_lab.checks.decisions import cites_figure
from ai_pm_lab.evaluation import stats
from ai_pm_lab.evaluation.rag_eval import failure_category
from ai_pm_lab.exercises import check, exercise_check, missing_input
from ai_pm_lab.tables import format_rate

STUCK = "Stuck? run checks.hint(\"{id}\") for a hint."

# Hints on request (contracts §2): checks.hint("5.2") shows the next step each time it is run. The first step of each
# is a nudge: where to look and what to ask of the data, never the rule or the function that computes the answer.
HINTS: dict[str, tuple[str, ...]] = {
    "5.1": ("Sort every question into one of four boxes: refused or not, and should it have been refused or not?",
            "Precision looks only at the questions the gate refused; recall looks only at the questions that should "
            "have been refused. Count the right ones in each group.",
            "precision = refused-and-should / all refused; recall = refused-and-should / all that should be refused."),
    "5.2": ("Every threshold gives some false refusals and some made-up answers. What does each one cost you at your "
            "support lead's prices?",
            "Work out the total cost at each candidate threshold (each distinct p_refuse is one): stats.threshold_sweep "
            "does the whole table, with a cost column.",
            "Pick the threshold in the row with the lowest cost."),
    "5.3": ("How precise must the reported share be, and what share do you expect? Both are in the exercise text.",
            "The closer the expected share is to 50%, the more answers you need. stats.sample_size_for_margin takes "
            "the margin and your expected share (keep it between 5% and 95%)."),
    "5.4": ("For each snapshot, read the interval of B − A: is all of it above zero, all of it below the lift you "
            "care about, or does it straddle them?",
            "The lesson's section 8 states the agreed rule in words; it also stops once the planned number of users "
            "per variant is reached.",),
    "5.5": ("Which of the printed figures tells you how bad a day could be for this judge: kappa itself or the low end "
            "of its interval? And how many failed answers does it catch?",
            "Compare the measured figures with the bar you wrote in my_bar; trust is True only if every part of your "
            "bar is cleared.",
            "Your why must quote a figure as the agreement line prints it (kappa, an end of its interval, TPR or TNR)."),
    "5.6": ("Think about the order in which a support lead would ask the questions: could the base answer it at all? "
            "Was the answer right? Did search find the right page?",
            "Unanswerable questions first (refused is right, anything else is invented); then correct; then "
            "retrieval; then refusal; then invention; what is left is a misreading."),
}
hint = exercises.hint_giver(HINTS)


def _num(x) -> float:
    return float(x)


@exercise_check("5.1 precision and recall of refusals", answers=("precision", "recall"))
def precision_recall(y_refuse, refused, precision, recall):
    """Exercise 5.1: precision and recall of the gate's refusals, by hand."""
    m = stats.classification_metrics(y_refuse, refused)

    def ok():
        return abs(_num(precision) - m["precision"]) < 1e-9 and abs(_num(recall) - m["recall"]) < 1e-9

    return check(precision_recall.exercise, ok,
                 success=f"precision {m['precision']:.2f}: of the questions the gate refused, that share really were "
                         f"unanswerable; recall {m['recall']:.2f}: of the unanswerable questions, that share were caught.",
                 hint="Not yet: here a 'positive' is a refusal, and a true positive is a refused unanswerable question. "
                      + STUCK.format(id="5.1"))


@exercise_check("5.2 an operating point in dollars", answers=("chosen",))
def operating_point(y_refuse, scores, chosen, *, cost_fp: float, cost_fn: float):
    """Exercise 5.2: the refusal threshold with the lowest error cost for the stated costs."""
    best = stats.cheapest_threshold(y_refuse, scores, cost_fp=cost_fp, cost_fn=cost_fn)

    def ok():
        mine = stats.threshold_metrics(y_refuse, scores, _num(chosen), cost_fp=cost_fp, cost_fn=cost_fn)
        return mine["cost"] <= best["cost"] + 1e-9

    hint = f"Not yet: a cheaper threshold exists for these costs. {STUCK.format(id='5.2')}"
    try:
        mine = stats.threshold_metrics(y_refuse, scores, _num(chosen), cost_fp=cost_fp, cost_fn=cost_fn)
        if mine["cost"] > best["cost"]:
            hint = (f"Your threshold costs ${mine['cost']:.0f} ({mine['fp']} false refusals at ${cost_fp:.0f}, "
                    f"{mine['fn']} missed unanswerable at ${cost_fn:.0f}); the cheapest costs ${best['cost']:.0f}. "
                    + ("A made-up answer costs far more than an escalation, so refuse more readily: lower the threshold."
                       if mine["fn"] * cost_fn > mine["fp"] * cost_fp else
                       "You refuse too many real questions for what they cost: raise the threshold."))
    except Exception:  # noqa: BLE001 - an unfinished answer gets the general hint
        pass
    return check(operating_point.exercise, ok,
                 success=f"Threshold {best['threshold']:.2f} minimises the cost (${best['cost']:.0f}): "
                         f"{int(best['fp'])} false refusals and {int(best['fn'])} unanswerable questions let through.",
                 hint=hint)


@exercise_check("5.3 how many answers to label", answers=("n_to_label",))
def review_size(measured_rate: float, n_to_label, margin: float = 0.05):
    """Exercise 5.3: how many answers to label for a ±margin estimate, planning from the rate you measured."""
    expected = min(0.95, max(0.05, float(measured_rate)))
    need = stats.sample_size_for_margin(margin, expected)

    def ok():
        return int(n_to_label) == need

    return check(review_size.exercise, ok,
                 success=f"{need} answers: the closer the expected rate is to 50%, the more you need "
                         f"(worst case {stats.sample_size_for_margin(margin, 0.5)}).",
                 hint=f"Not yet: plan from the rate you measured and a margin of ±{format_rate(margin, 0)}. "
                      + STUCK.format(id="5.3"))


@exercise_check("5.4 ship, keep running or stop", answers=("decisions",))
def ab_decisions(snapshots, decisions, *, min_lift: float, max_users: int):
    """Exercise 5.4: apply ship / keep running / stop to each A/B snapshot."""
    snapshots = list(snapshots)
    if not all(isinstance(s, stats.ABResult) for s in snapshots):
        return missing_input(ab_decisions.exercise, "snapshots",
                             "should hold one stats.ab_test(...) result per snapshot")
    expected = [stats.decide(s, min_lift=min_lift, max_users_per_variant=max_users).verdict for s in snapshots]

    def ok():
        return [str(d).strip().lower() for d in decisions] == expected

    return check(ab_decisions.exercise, ok,
                 success="Right on every snapshot: " + "; ".join(f"{s.n_a:,} users → {v}" for s, v in zip(snapshots, expected))
                         + ". Early snapshots are noisy: the rule keeps you from shipping on a lucky streak.",
                 hint="Not yet: one decision per snapshot, in order, each \"ship\", \"keep running\" or \"stop\". "
                      + STUCK.format(id="5.4"))


@exercise_check("5.5 trust the judge?", answers=("trust", "why"))
def judge_trust(agreement: dict, my_bar: dict, trust, why):
    """Exercise 5.5: trust the judge only if it clears the bar the learner set (``my_bar``: min_kappa_low, min_tnr),
    with a why that quotes a measured agreement figure."""
    kappa_low, tnr = float(agreement["kappa_low"]), float(agreement["tnr"].rate)
    if not (np.isfinite(kappa_low) and np.isfinite(tnr)):  # no data never clears a bar
        return missing_input(judge_trust.exercise, "agreement", "has a NaN kappa CI or TNR: label more answers")
    try:
        min_kappa, min_tnr = float(my_bar["min_kappa_low"]), float(my_bar["min_tnr"])
    except (KeyError, TypeError, ValueError):
        return missing_input(judge_trust.exercise, "my_bar", "needs numbers for 'min_kappa_low' and 'min_tnr'")
    if not (0 < min_kappa <= 1 and 0 < min_tnr <= 1):
        return check(judge_trust.exercise, lambda: False,
                     hint="Not yet: set a bar a judge could fail: min_kappa_low between 0 and 1 (0 is chance), and "
                          "min_tnr as a share above 0 (0.7 means it must fail 70% of bad answers).")
    should = kappa_low >= min_kappa and tnr >= min_tnr
    figures = [agreement["kappa"], kappa_low, agreement["kappa_high"], tnr, agreement["tpr"].rate]
    cited = isinstance(why, str) and cites_figure(why, figures)
    measured = (f"kappa {agreement['kappa']:.2f} (interval from {kappa_low:.2f}) and TNR {format_rate(tnr, 0)}, "
                f"against your bar of {min_kappa:.2f} and {format_rate(min_tnr, 0)}")

    def ok():
        return isinstance(trust, bool) and trust == should and cited

    if isinstance(trust, bool) and trust == should and not cited:
        return check(judge_trust.exercise, lambda: False,
                     hint="Not yet: your why must quote a figure from the agreement line you printed (kappa, an end of "
                          "its interval, TPR or TNR), as it prints.")
    short = [what for what, missed in (
        ("on a bad day its agreement with people could be near chance (the low end of kappa's interval)",
         kappa_low < min_kappa),
        ("it misses too many failed answers, which would wave bad releases through", tnr < min_tnr)) if missed]
    return check(judge_trust.exercise, ok,
                 success=(f"Right: {measured}: " + ("it clears your bar, so it can screen releases (keep auditing a "
                                                    "sample against people)." if should else
                                                    "it does not clear it: " + " and ".join(short) + ". Keep people "
                                                    "labelling, label more answers to narrow the interval, or try a "
                                                    "stronger judge.")),
                 hint="Not yet: set trust to True or False by comparing what was measured with your own bar. "
                      + STUCK.format(id="5.5"))


@exercise_check("5.6 failure categories", answers=("category",))
def categorise(category):
    """Exercise 5.6: sort failures into the harness's four causes."""
    cases = [
        {"answerable": True, "refused": False, "made_up": False, "correct": True, "retrieved_gold": True},
        {"answerable": True, "refused": False, "made_up": False, "correct": False, "retrieved_gold": False},
        {"answerable": True, "refused": True, "made_up": False, "correct": False, "retrieved_gold": True},
        {"answerable": True, "refused": False, "made_up": True, "correct": False, "retrieved_gold": True},
        {"answerable": True, "refused": False, "made_up": False, "correct": False, "retrieved_gold": True},
        {"answerable": False, "refused": False, "made_up": True, "correct": False, "retrieved_gold": False},
        {"answerable": False, "refused": True, "made_up": False, "correct": True, "retrieved_gold": False},
    ]

    def ok():
        return all(category(dict(c)) == failure_category(c) for c in cases)

    return check(categorise.exercise, ok,
                 success="Your rules match the harness: retrieval first, then refusal, then invention, then misreading.",
                 hint="Not yet: some of the seven kinds of question get a different cause from the harness's. "
                      + STUCK.format(id="5.6"))


def snapshot_table(snapshots) -> pd.DataFrame:
    """The A/B snapshots as a table a PM reads: users per variant, each variant's share right, B − A and its 95%
    interval (no p-values)."""
    return pd.DataFrame([{"users per variant": f"{s.n_a:,}", "A right": format_rate(s.rate_a),
                          "B right": format_rate(s.rate_b), "B − A": format_rate(s.diff, sign=True),
                          "95% CI of B − A": f"{format_rate(s.low, sign=True)} to {format_rate(s.high, sign=True)}"}
                         for s in snapshots])


def simulated_snapshots(outcome_a, outcome_b, sizes=(40, 400, 4000), seed: int = 0):
    """A/B snapshots at growing numbers of users, simulated from each variant's measured per-question outcomes."""
    out = []
    for i, n in enumerate(sizes):
        a = stats.simulate_users(np.asarray(outcome_a, bool), n, seed=seed + 2 * i)
        b = stats.simulate_users(np.asarray(outcome_b, bool), n, seed=seed + 2 * i + 1)
        out.append(stats.ab_test(int(a.sum()), n, int(b.sum()), n))
    return out
