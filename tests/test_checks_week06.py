"""Week 6's exercise checks: each fails on the stub's None, passes on the right decision, and never raises; a missing
input is "not yet", and an unmeasured rate never clears a guardrail."""
import pandas as pd

from ai_pm_lab.checks import week06 as checks
from ai_pm_lab.exercises import MISSING

BY_TYPE = pd.DataFrame({"type": ["EMAIL", "PHONE", "CARD", "IBAN", "NAME"], "missed": [1, 0, 0, 0, 3],
                        "recall": [0.8, 1.0, 1.0, 1.0, 0.7]})


def test_checks_fail_on_stub_and_pass_on_the_right_answer():
    qs = ["How long is the trial?", "how long is the trial", "", "Refund window?"]
    assert not checks.cache_hit_rate(qs, None).passed
    assert checks.cache_hit_rate(qs, 1 / 3).passed
    assert not checks.psi_by_hand([0.5, 0.5], [0.25, 0.75], None).passed
    assert checks.psi_by_hand([0.5, 0.5], [0.25, 0.75], 0.25 * 0.6931471805599453 + 0.25 * 0.4054651081081644).passed
    normal = [0.01 * i for i in range(1, 21)]  # 20 windows: one false alarm allowed at 5%
    launch = [0.15, 0.195, 0.30]
    why = "At 0.19 it fires on 5% of normal windows and catches 67% of launch windows."
    assert not checks.alert_threshold(normal, launch, None, None).passed
    assert checks.alert_threshold(normal, launch, 0.19, why).passed
    assert not checks.alert_threshold(normal, launch, 0.10, why).passed  # too many false alarms
    assert not checks.alert_threshold(normal, launch, 0.25, why).passed  # quiet, but misses launch windows it could catch
    rates = {"a": 0.20, "b": 0.26, "c": 0.40}
    why = "a refuses 20%, b 26%, c 40%, against a limit of 25%."
    assert not checks.canary_go(rates, 0.15, None, None).passed
    assert checks.canary_go(rates, 0.15, ["a"], why).passed and not checks.canary_go(rates, 0.15, ["a", "b"], why).passed
    table = pd.DataFrame({"group": ["x", "y"], "selection_rate": [0.6, 0.4]})
    why = "The ratio is 0.67 and the swap test's p-value is 0.3."
    assert not checks.four_fifths_call(table, 0.3, None, None, None).passed
    assert checks.four_fifths_call(table, 0.3, True, False, why).passed
    assert not checks.four_fifths_call(table, 0.3, True, True, why).passed
    why = "EMAIL missed 1 and NAME recall is 70%."
    assert not checks.pii_blockers(BY_TYPE, None, None).passed
    assert checks.pii_blockers(BY_TYPE, ["NAME", "EMAIL"], why).passed and not checks.pii_blockers(BY_TYPE, ["EMAIL"], why).passed


def test_a_right_decision_needs_a_why_that_quotes_a_measured_figure():
    # Before: no why at all, so trying each option until the check passed was the fastest route.
    normal, launch = [0.01 * i for i in range(1, 21)], [0.15, 0.195, 0.30]
    # a why that only repeats the option chosen (the threshold) or the learner's own setting is no evidence either
    assert not checks.alert_threshold(normal, launch, 0.19, "I picked 0.19 as the threshold").passed
    for why in (None, "it looks right to me", "it fires on 42% of windows"):
        assert not checks.alert_threshold(normal, launch, 0.19, why).passed
        assert not checks.canary_go({"a": 0.20, "b": 0.26}, 0.15, ["a"], why).passed
        assert not checks.pii_blockers(BY_TYPE, ["NAME", "EMAIL"], why).passed
        table = pd.DataFrame({"group": ["x", "y"], "selection_rate": [0.6, 0.4]})
        assert not checks.four_fifths_call(table, 0.3, True, False, why).passed
    result = checks.canary_go({"a": 0.20, "b": 0.26}, 0.15, ["a"], "it looks right to me")
    assert "candidate_rates" in result.message and "hint" in result.message


def test_the_learners_own_tolerances_decide():
    normal, launch = [0.01 * i for i in range(1, 21)], [0.15, 0.195, 0.30]
    # a team that accepts 10% false alarms may alert lower and catch more
    assert checks.alert_threshold(normal, launch, 0.18, "fires on 10% of normal windows, catches 100%",
                                  max_false_alarm=0.10).passed
    assert not checks.alert_threshold(normal, launch, 0.18, "fires on 10% of normal windows", max_false_alarm=0.05).passed
    rates = {"a": 0.20, "b": 0.26}
    assert checks.canary_go(rates, 0.15, ["a", "b"], "b refuses 26%", max_increase=0.15).passed
    assert checks.pii_blockers(BY_TYPE, ["EMAIL"], "NAME recall 70%", name_recall=0.5).passed
    assert checks.pii_blockers(BY_TYPE, ["EMAIL", "NAME"], "NAME missed 3", strict_types=("EMAIL", "NAME")).passed


def test_hints_come_on_request_and_the_first_step_states_no_rule():
    assert set(checks.HINTS) == {"6.1", "6.2", "6.3", "6.4", "6.5", "6.6"}
    assert all(len(steps) >= 2 for steps in checks.HINTS.values())
    for rule_word in ("<=", "0.05", "0.8", "0.75", "baseline_rate +"):
        assert not any(rule_word in steps[0] for steps in checks.HINTS.values())
    checks.hint.reset()
    assert checks.hint("6.4").text == checks.HINTS["6.4"][0]


# -- a missing input is "not yet", never a raise or a pass -----------------------------------------
def test_a_p_value_typed_as_text_is_missing_not_a_float_error():
    table = pd.DataFrame({"group": ["x", "y"], "selection_rate": [0.6, 0.4]})
    result = checks.four_fifths_call(table, "abc", True, False, "ratio 0.67")
    assert not result.passed and (result.status, result.missing) == (MISSING, "swap_p_value")


def test_an_unmeasured_candidate_rate_never_goes_and_never_passes():
    # Before: a NaN rate silently failed the guardrail, so "go: none" passed on a canary that measured nothing.
    result = checks.canary_go({"a": float("nan"), "b": 0.30}, 0.15, [], "b refuses 30%")
    assert not result.passed and (result.status, result.missing) == (MISSING, "candidate_rates")
    assert not checks.canary_go({"a": None}, 0.15, [], "none").passed


def test_an_unmeasured_name_recall_never_clears_the_bar():
    unmeasured = BY_TYPE.assign(recall=pd.Series([0.8, 1.0, 1.0, 1.0, None], dtype=object))
    result = checks.pii_blockers(unmeasured, ["EMAIL"], "EMAIL missed 1")
    assert not result.passed and (result.status, result.missing) == (MISSING, "by_type")
    assert checks.pii_blockers(BY_TYPE, ["EMAIL", "NAME"], "EMAIL missed 1").passed


def test_skipped_data_cells_are_missing_not_a_raise():
    assert checks.cache_hit_rate(None, 0.5).missing == "questions"
    assert checks.alert_threshold([], [0.2], 0.1, "5%").missing == "null_values"
    assert checks.psi_by_hand([0.5, float("nan")], [0.25, 0.75], 0.1).missing == "expected_shares"
