"""Evaluation statistics against hand-computed cases, edge cases and bad input."""
import math

import numpy as np
import pytest

from ai_pm_lab.evaluation import stats as S


def test_wilson_interval_matches_the_formula():
    k, n, z = 9, 18, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = S.proportion_ci(k, n)
    assert low == pytest.approx(centre - half) and high == pytest.approx(centre + half)
    r = S.rate([True, False, True, True])
    assert (r.k, r.n, r.rate) == (3, 4, 0.75) and r.low < 0.75 < r.high and "3/4" in str(r)
    assert S.rate([0, 0, 0]).low == 0.0  # no successes still gets an interval, not NaN
    with pytest.raises(ValueError, match="empty"):
        S.rate([])


def test_classification_metrics_hand_computed():
    m = S.classification_metrics([1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0])
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 4)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3) and m["accuracy"] == pytest.approx(6 / 8)


def test_no_positives_and_one_class_only_are_explained_not_nan():
    m = S.classification_metrics([0, 0, 0], [0, 0, 0])
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["accuracy"] == 1.0
    assert "no real positives" in m["note"] and "nothing predicted positive" in m["note"]
    m = S.classification_metrics([1, 1], [1, 1])
    assert m["precision"] == m["recall"] == m["f1"] == 1.0 and m["note"] == ""


def test_threshold_metrics_and_costs():
    y, s = [1, 0, 1, 0], [0.9, 0.6, 0.2, 0.1]
    m = S.threshold_metrics(y, s, 0.5, cost_fp=4, cost_fn=40)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 1) and m["cost"] == 44 and m["cost_per_item"] == 11
    best = S.cheapest_threshold(y, s, cost_fp=4, cost_fn=40)
    assert best["threshold"] == pytest.approx(0.2) and best["cost"] == 4
    best = S.cheapest_threshold(y, s, cost_fp=40, cost_fn=4)
    assert best["cost"] == 4 and best["threshold"] == pytest.approx(0.9)  # one missed positive beats any false positive
    sweep = S.threshold_sweep(y, s)
    assert sweep["threshold"].is_monotonic_increasing and sweep["tp"].iloc[0] == 2


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="y_true has 3 values and y_pred has 2"):
        S.classification_metrics([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match=r"scores\[1\] = 1.5 is not a probability"):
        S.threshold_metrics([1, 0], [0.2, 1.5], 0.5)
    with pytest.raises(ValueError, match=r"scores\[0\] = -0.1"):
        S.threshold_metrics([1, 0], [-0.1, 0.5], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        S.threshold_metrics([1, 0], [np.nan, 0.5], 0.5)
    with pytest.raises(ValueError, match="True/False"):
        S.classification_metrics(["pass", "fail"], [1, 0])
    with pytest.raises(ValueError, match="empty"):
        S.classification_metrics([], [])
    with pytest.raises(TypeError, match="list or array"):
        S.rate("yes")


def test_kappa_agreement_and_one_class_only():
    human = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0]
    judge = [1, 1, 1, 0, 0, 0, 0, 1, 1, 0]
    # observed agreement 0.8, chance agreement 0.5 → kappa 0.6
    assert S.cohen_kappa(human, judge) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="kappa is undefined"):
        S.cohen_kappa([1, 1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="Every human label is pass"):
        S.judge_agreement([1, 1, 1], [1, 0, 1])
    a = S.judge_agreement(human, judge)
    assert a["tpr"].rate == pytest.approx(0.8) and a["tnr"].rate == pytest.approx(0.8)
    assert a["kappa_low"] <= a["kappa"] <= a["kappa_high"]


def test_rogan_gladen_hand_computed_and_edge_cases():
    # true rate 0.5, TPR 0.9, TNR 0.8 → observed 0.5*0.9 + 0.5*0.2 = 0.55
    assert S.rogan_gladen(0.55, 0.9, 0.8) == pytest.approx(0.5)
    assert S.rogan_gladen(0.01, 0.9, 0.8) == 0.0  # clipped into [0, 1]
    with pytest.raises(ValueError, match="no better than a coin"):
        S.rogan_gladen(0.5, 0.5, 0.5)
    human = [1] * 20 + [0] * 20
    judge = [1] * 18 + [0] * 2 + [1] * 4 + [0] * 16  # TPR 0.9, TNR 0.8
    out = S.corrected_pass_rate([1] * 55 + [0] * 45, human, judge, n_resamples=500)
    assert out["observed"] == pytest.approx(0.55) and out["corrected"] == pytest.approx(0.5)
    assert out["low"] <= 0.5 <= out["high"]


def test_sample_sizes():
    assert S.sample_size_for_margin(0.05) == 385  # the textbook 1.96² × 0.25 / 0.05² = 384.1 → 385
    assert S.sample_size_for_margin(0.05, 0.9) < 385
    n = S.sample_size_for_lift(0.70, 0.05)
    assert 1000 < n < 1500  # two-sided 5% test, 80% power, 70% → 75%
    assert S.sample_size_for_lift(0.70, 0.10) < n
    with pytest.raises(ValueError, match="lift must not be 0"):
        S.sample_size_for_lift(0.5, 0.0)
    with pytest.raises(ValueError, match="not a rate"):
        S.sample_size_for_lift(0.95, 0.1)


def test_ab_test_and_decision_rule():
    r = S.ab_test(700, 1000, 760, 1000)
    assert r.diff == pytest.approx(0.06) and r.low > 0 and r.p_value < 0.01
    assert S.decide(r, min_lift=0.02).verdict == "ship"
    worse = S.ab_test(760, 1000, 700, 1000)
    assert S.decide(worse, min_lift=0.02).verdict == "stop"
    small = S.ab_test(70, 100, 74, 100)
    assert small.low < 0 < small.high and S.decide(small, min_lift=0.05).verdict == "keep running"
    assert S.decide(small, min_lift=0.05, max_users_per_variant=100).verdict == "stop"
    same = S.ab_test(0, 10, 0, 10)
    assert same.p_value == 1.0 and same.diff == 0
    with pytest.raises(TypeError, match="ABResult"):
        S.decide({"diff": 0.1}, min_lift=0.01)
    with pytest.raises(ValueError, match="successes_a"):
        S.ab_test(11, 10, 5, 10)


def test_simulated_users_follow_the_measured_outcomes():
    users = S.simulate_users([True, False, False, False], 4000, seed=1)
    assert users.shape == (4000,) and abs(users.mean() - 0.25) < 0.03
    assert (S.simulate_users([1, 0], 50, seed=3) == S.simulate_users([1, 0], 50, seed=3)).all()
    with pytest.raises(ValueError, match="empty"):
        S.simulate_users([], 10)


def test_one_threshold_picker_budget_and_balanced_rules():
    keep = [0.05, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    assert S.pick_threshold(keep, max_lost=0.10) == pytest.approx(0.3)  # 1 of 10 may fall below: cut on the 2nd lowest
    assert S.pick_threshold(keep, max_lost=0.0) == pytest.approx(0.05)
    assert S.pick_threshold(keep, max_lost=1.0) == pytest.approx(0.99)
    assert S.pick_threshold(keep, max_lost=1.0, ceiling=1.0) == 1.0
    # balanced accuracy: 0.6 keeps all of keep2 and turns away both rejects
    assert S.pick_threshold([0.6, 0.7, 0.8], [0.2, 0.3]) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="reject_scores"):
        S.pick_threshold([0.6, 0.7])
    with pytest.raises(ValueError, match="at least one finite"):
        S.pick_threshold([], max_lost=0.1)


def test_the_other_pickers_and_wilson_intervals_are_the_stats_ones():
    import pandas as pd

    from ai_pm_lab.evaluation.retrieval import suggest_threshold
    from ai_pm_lab.operations import dashboard, drift

    a, u = [0.61, 0.7, 0.8, 0.52], [0.2, 0.55, 0.3]
    assert suggest_threshold(a, u) == S.pick_threshold(a, u)
    null = pd.DataFrame({"centroid_distance": [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.20]})
    assert drift.pick_threshold(null, "centroid_distance", 0.10) == -S.pick_threshold(-null.centroid_distance, max_lost=0.10)
    assert dashboard.wilson(3, 17) == S.proportion_ci(3, 17)
    assert dashboard.wilson(12, 12)[1] == 1.0 and dashboard.wilson(0, 7)[0] == 0.0  # one interval, exact at the ends


def test_roc_table_hand_computed():
    roc = S.roc_table([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1])
    assert roc["tpr"].is_monotonic_increasing and roc["fpr"].is_monotonic_increasing
    assert roc.iloc[0][["threshold", "tpr", "fpr"]].tolist() == pytest.approx([0.9, 0.5, 0.0])
    assert roc.iloc[-1][["tpr", "fpr"]].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="only one kind"):
        S.roc_table([1, 1], [0.2, 0.3])
