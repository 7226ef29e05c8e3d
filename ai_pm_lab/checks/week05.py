"""Checks for week 5's exercises (evaluation): each decision is tested against the data the learner measured."""
from __future__ import annotations

import numpy as np

from ai_pm_lab.evaluation import stats
from ai_pm_lab.evaluation.rag_eval import failure_category
from ai_pm_lab.exercises import check, exercise_check, missing_input
from ai_pm_lab.tables import format_rate


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
                 hint="precision = TP / (TP + FP) over refused questions; recall = TP / (TP + FN) over unanswerable ones. "
                      "Here a 'positive' is a refusal, and a true positive is a refused unanswerable question.")


@exercise_check("5.2 an operating point in dollars", answers=("chosen",))
def operating_point(y_refuse, scores, chosen, *, cost_fp: float, cost_fn: float):
    """Exercise 5.2: the refusal threshold with the lowest error cost for the stated costs."""
    best = stats.cheapest_threshold(y_refuse, scores, cost_fp=cost_fp, cost_fn=cost_fn)

    def ok():
        mine = stats.threshold_metrics(y_refuse, scores, _num(chosen), cost_fp=cost_fp, cost_fn=cost_fn)
        return mine["cost"] <= best["cost"] + 1e-9

    hint = (f"Sweep the thresholds (stats.threshold_sweep) and take the one with the lowest total cost. "
            f"The cheapest costs ${best['cost']:.0f}.")
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
                 hint=f"Use stats.sample_size_for_margin({margin}, expected) with your measured rate as the expectation "
                      "(kept between 5% and 95%).")


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
                 hint="For each snapshot: ship if its CI low > 0; stop if its CI high < the minimum lift, or if it reached "
                      "the planned users per variant; otherwise keep running.")


@exercise_check("5.5 trust the judge?", answers=("trust",))
def judge_trust(agreement: dict, trust, *, min_kappa: float = 0.4, min_tnr: float = 0.7):
    """Exercise 5.5: trust the judge for release decisions only if kappa's CI low and its TNR clear the bar."""
    kappa_low, tnr = float(agreement["kappa_low"]), float(agreement["tnr"].rate)
    if not (np.isfinite(kappa_low) and np.isfinite(tnr)):  # no data never clears a bar
        return missing_input(judge_trust.exercise, "agreement", "has a NaN kappa CI or TNR: label more answers")
    should = kappa_low >= min_kappa and tnr >= min_tnr

    def ok():
        return isinstance(trust, bool) and trust == should

    why = (f"kappa {agreement['kappa']:.2f} (CI low {agreement['kappa_low']:.2f}) and TNR {format_rate(agreement['tnr'].rate, 0)}")
    return check(judge_trust.exercise, ok,
                 success=(f"Right: {why} " + ("clear the bar, so the judge can screen releases (keep auditing a sample)."
                                              if should else "do not clear it: a judge that misses failed answers would "
                                              "wave bad releases through. Keep people labelling, or try a stronger judge.")),
                 hint=f"Trust it only if kappa's CI low ≥ {min_kappa} and TNR ≥ {format_rate(min_tnr, 0)}; yours: {why}. "
                      "Set trust to True or False.")


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
                 hint="Order matters: unanswerable → correct if refused else made-up detail; answerable and correct → "
                      "correct; gold not retrieved → retrieval miss; refused → wrong refusal; made_up → made-up detail; "
                      "else wrong answer from the right context.")


def simulated_snapshots(outcome_a, outcome_b, sizes=(40, 400, 4000), seed: int = 0):
    """A/B snapshots at growing numbers of users, simulated from each variant's measured per-question outcomes."""
    out = []
    for i, n in enumerate(sizes):
        a = stats.simulate_users(np.asarray(outcome_a, bool), n, seed=seed + 2 * i)
        b = stats.simulate_users(np.asarray(outcome_b, bool), n, seed=seed + 2 * i + 1)
        out.append(stats.ab_test(int(a.sum()), n, int(b.sum()), n))
    return out
