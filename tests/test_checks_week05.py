"""Week 5's exercise checks: the stub's None answers fail, the right decisions pass, a plausible wrong decision gets
feedback that names the trade-off, and a missing input is "not yet", never a raise or a pass (the nbval hook also runs
the solution and the generated exercise notebooks)."""
import numpy as np

from ai_pm_lab.checks import week05 as C
from ai_pm_lab.evaluation import stats
from ai_pm_lab.exercises import MISSING

Y = np.array([True] * 4 + [False] * 16)                     # should refuse
P = np.array([0.9, 0.7, 0.45, 0.2] + [0.6, 0.3, 0.25] + [0.1] * 13)


def _passed(result):
    return result.passed


def test_precision_recall():
    refused = P >= 0.5
    assert not _passed(C.precision_recall(Y, refused, None, None))
    m = stats.classification_metrics(Y, refused)
    assert _passed(C.precision_recall(Y, refused, m["precision"], m["recall"]))
    assert not _passed(C.precision_recall(Y, refused, m["recall"], m["precision"]))


def test_operating_point_names_the_trade_off():
    assert not _passed(C.operating_point(Y, P, None, cost_fp=6, cost_fn=80))
    best = stats.cheapest_threshold(Y, P, cost_fp=6, cost_fn=80)
    assert _passed(C.operating_point(Y, P, best["threshold"], cost_fp=6, cost_fn=80))
    wrong = C.operating_point(Y, P, 0.95, cost_fp=6, cost_fn=80)  # refuses almost nothing: made-up answers pile up
    assert not wrong.passed and "lower the threshold" in wrong.message
    wrong = C.operating_point(Y, P, 0.05, cost_fp=6, cost_fn=80)  # refuses everything: escalations pile up
    assert not wrong.passed and "raise the threshold" in wrong.message


def test_review_size():
    assert not _passed(C.review_size(0.8, None))
    assert _passed(C.review_size(0.8, stats.sample_size_for_margin(0.05, 0.8)))
    assert not _passed(C.review_size(0.8, 385))


def test_ab_decisions():
    snaps = C.simulated_snapshots([True] * 7 + [False] * 3, [True] * 9 + [False], sizes=(40, 400, 4000))
    right = [stats.decide(s, min_lift=0.05, max_users_per_variant=4000).verdict for s in snaps]
    assert not _passed(C.ab_decisions(snaps, None, min_lift=0.05, max_users=4000))
    assert _passed(C.ab_decisions(snaps, right, min_lift=0.05, max_users=4000))
    assert not _passed(C.ab_decisions(snaps, ["ship"] * 3, min_lift=0.05, max_users=4000)) or right == ["ship"] * 3


BAR = {"min_kappa_low": 0.4, "min_tnr": 0.7}


def test_judge_trust_follows_the_learners_bar_and_needs_a_measured_figure():
    weak = stats.judge_agreement([1] * 10 + [0] * 10, [1] * 10 + [1] * 8 + [0] * 2)  # TNR 20%
    cite = f"TNR is only {weak['tnr'].rate:.0%}"
    assert not _passed(C.judge_trust(weak, BAR, None, None))                  # the stub
    assert _passed(C.judge_trust(weak, BAR, False, cite))
    wrong = C.judge_trust(weak, BAR, True, cite)                               # the wrong call
    assert not wrong.passed
    assert not _passed(C.judge_trust(weak, BAR, False, "it is not good enough"))  # right call, no measured figure
    assert not _passed(C.judge_trust(weak, BAR, False, "my bar is 0.4"))           # the bar is not a measurement
    lenient = {"min_kappa_low": 0.01, "min_tnr": 0.1}                          # the learner's own bar decides
    strong = stats.judge_agreement([1] * 10 + [0] * 10, [1] * 10 + [0] * 10)
    assert _passed(C.judge_trust(strong, lenient, True, f"kappa {strong['kappa']:.2f}"))
    assert not _passed(C.judge_trust(strong, lenient, False, f"kappa {strong['kappa']:.2f}"))
    assert not _passed(C.judge_trust(weak, {"min_kappa_low": 0, "min_tnr": 0}, True, cite))  # a bar nothing fails
    missing = C.judge_trust(weak, None, False, cite)
    assert not missing.passed and (missing.status, missing.missing) == (MISSING, "my_bar")


def test_hints_come_on_request_and_the_not_yet_messages_state_no_rule():
    assert set(C.HINTS) == {"5.1", "5.2", "5.3", "5.4", "5.5", "5.6"}
    C.hint.reset()
    first, second = C.hint("5.4"), C.hint("5.4")
    assert (first.step, second.step) == (1, 2) and first.text == C.HINTS["5.4"][0]
    snaps = C.simulated_snapshots([True] * 7 + [False] * 3, [True] * 9 + [False], sizes=(40, 400, 4000))
    message = C.ab_decisions(snaps, ["keep running"] * 2, min_lift=0.05, max_users=4000).message
    assert "CI low" not in message and "checks.hint" in message  # before: the rule itself ("ship if its CI low > 0")
    message = C.review_size(0.8, 1).message
    assert "sample_size_for_margin" not in message and "checks.hint" in message


def test_categorise():
    from ai_pm_lab.evaluation.rag_eval import failure_category

    assert not _passed(C.categorise(lambda row: None))
    assert _passed(C.categorise(failure_category))
    assert not _passed(C.categorise(lambda row: "correct" if row["correct"] else "made-up detail"))


# -- a missing input is "not yet", never a raise or a pass -----------------------------------------
def test_ab_decisions_on_no_snapshots_never_pass():
    # Before: no snapshots meant no expected verdicts, and an empty answer matched them: a pass on no data.
    for snapshots, decisions in (({}, {}), ([], [])):
        result = C.ab_decisions(snapshots, decisions, min_lift=0.05, max_users=4000)
        assert not result.passed and (result.status, result.missing) == (MISSING, "snapshots")
    result = C.ab_decisions([{"n_a": 40}], ["ship"], min_lift=0.05, max_users=4000)
    assert not result.passed and (result.status, result.missing) == (MISSING, "snapshots")


def test_review_size_with_a_missing_or_text_rate_is_missing_not_a_raise():
    for rate in (None, "abc", float("nan")):
        result = C.review_size(rate, 246)
        assert not result.passed and (result.status, result.missing) == (MISSING, "measured_rate")
    assert not C.review_size(0.8, "abc").passed  # a learner's text answer: not yet


def test_a_judge_without_a_measured_kappa_is_never_trusted_or_distrusted():
    weak = stats.judge_agreement([1] * 10 + [0] * 10, [1] * 10 + [1] * 8 + [0] * 2)
    result = C.judge_trust({**weak, "kappa_low": float("nan")}, BAR, False, "kappa 0.2")
    assert not result.passed and (result.status, result.missing) == (MISSING, "agreement")


def test_snapshots_show_no_p_values_and_the_judge_feedback_names_the_part_of_the_bar_it_missed():
    snaps = C.simulated_snapshots([True] * 7 + [False] * 3, [True] * 9 + [False], sizes=(40, 4000))
    table = C.snapshot_table(snaps)
    assert list(table["users per variant"]) == ["40", "4,000"] and not any("p" == c for c in table.columns)
    assert not table.astype(str).apply(lambda col: col.str.contains("e-")).any().any()  # before: p = 1.11e-44
    # kappa's interval too low, TNR fine: the feedback must blame the interval, not missed failures
    judge = stats.judge_agreement([1] * 6 + [0] * 6, [1] * 5 + [0] + [0] * 5 + [1])
    result = C.judge_trust(judge, {"min_kappa_low": 0.99, "min_tnr": 0.5}, False, f"kappa {judge['kappa']:.2f}")
    assert result.passed and "interval" in result.message and "misses too many" not in result.message
