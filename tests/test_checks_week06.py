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
    assert not checks.alert_threshold(normal, launch, None).passed
    assert checks.alert_threshold(normal, launch, 0.19).passed
    assert not checks.alert_threshold(normal, launch, 0.10).passed  # too many false alarms
    assert not checks.alert_threshold(normal, launch, 0.25).passed  # quiet, but misses launch windows it could catch
    rates = {"a": 0.20, "b": 0.26, "c": 0.40}
    assert not checks.canary_go(rates, 0.15, None).passed
    assert checks.canary_go(rates, 0.15, ["a"]).passed and not checks.canary_go(rates, 0.15, ["a", "b"]).passed
    table = pd.DataFrame({"group": ["x", "y"], "selection_rate": [0.6, 0.4]})
    assert not checks.four_fifths_call(table, 0.3, None, None).passed
    assert checks.four_fifths_call(table, 0.3, True, False).passed
    assert not checks.four_fifths_call(table, 0.3, True, True).passed
    by_type = pd.DataFrame({"type": ["EMAIL", "PHONE", "CARD", "IBAN", "NAME"], "missed": [1, 0, 0, 0, 3],
                            "recall": [0.8, 1.0, 1.0, 1.0, 0.7]})
    assert not checks.pii_blockers(by_type, None).passed
    assert checks.pii_blockers(by_type, ["NAME", "EMAIL"]).passed and not checks.pii_blockers(by_type, ["EMAIL"]).passed


# -- a missing input is "not yet", never a raise or a pass -----------------------------------------
def test_a_p_value_typed_as_text_is_missing_not_a_float_error():
    table = pd.DataFrame({"group": ["x", "y"], "selection_rate": [0.6, 0.4]})
    result = checks.four_fifths_call(table, "abc", True, False)
    assert not result.passed and (result.status, result.missing) == (MISSING, "swap_p_value")


def test_an_unmeasured_candidate_rate_never_goes_and_never_passes():
    # Before: a NaN rate silently failed the guardrail, so "go: none" passed on a canary that measured nothing.
    result = checks.canary_go({"a": float("nan"), "b": 0.30}, 0.15, [])
    assert not result.passed and (result.status, result.missing) == (MISSING, "candidate_rates")
    assert not checks.canary_go({"a": None}, 0.15, []).passed


def test_an_unmeasured_name_recall_never_clears_the_bar():
    unmeasured = BY_TYPE.assign(recall=pd.Series([0.8, 1.0, 1.0, 1.0, None], dtype=object))
    result = checks.pii_blockers(unmeasured, ["EMAIL"])
    assert not result.passed and (result.status, result.missing) == (MISSING, "by_type")
    assert checks.pii_blockers(BY_TYPE, ["EMAIL", "NAME"]).passed


def test_skipped_data_cells_are_missing_not_a_raise():
    assert checks.cache_hit_rate(None, 0.5).missing == "questions"
    assert checks.alert_threshold([], [0.2], 0.1).missing == "null_values"
    assert checks.psi_by_hand([0.5, float("nan")], [0.25, 0.75], 0.1).missing == "expected_shares"
