"""Week 6 exercise checks: each fails on the stub's None, passes on the right decision, and never raises."""
import pandas as pd

from ai_pm_lab.checks import week06 as checks


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
