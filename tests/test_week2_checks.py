"""Week 2 exercise checks: each fails on the stub value (None / a function returning None) and passes on the solution.
The decision checks (2.2-2.4) are tested in test_decision_checks_week02.py."""
import re

import pandas as pd
import pytest

from ai_pm_lab.checks import week02 as checks


def numbers_match(answer, expected, tolerance=0.01):
    found = re.findall(r"-?\d[\d,]*(?:\.\d+)?", answer)
    return bool(found) and abs(float(found[-1].replace(",", "")) - expected) <= tolerance


def stub(*args, **kwargs):
    return None


Y_TRUE = ["billing", "billing", "technical", "account", "billing"]
Y_PRED = ["billing", "technical", "billing", "account", "billing"]
BY_MODE = pd.DataFrame([{"mode": "no context", "samples": 4, "grounded": 0.0, "refused": 0.0, "hallucinated": 1.0},
                        {"mode": "context + only-from-context", "samples": 4, "grounded": 1.0, "refused": 0.0,
                         "hallucinated": 0.0}])


@pytest.mark.parametrize("run_check,solution,stub_value", [
    (checks.numeric_scorer, numbers_match, stub),
    (lambda v: checks.precision_recall(*v, Y_TRUE, Y_PRED, "billing"), (2 / 3, 2 / 3), (None, None)),
    (lambda v: checks.launch_choice(*v, tolerance=0.1),
     (BY_MODE,
      dict(choice="ground", why="the grounded mode stayed within the tolerance")),
     (None, None)),
])
def test_check_fails_on_stub_and_passes_on_solution(run_check, solution, stub_value):
    assert run_check(stub_value).passed is False
    assert run_check(solution).passed is True


def test_checks_catch_near_misses():
    assert not checks.numeric_scorer(lambda a, e, tolerance=0.01: str(e) in a).passed  # "contains" is not "last number"
    assert not checks.numeric_scorer(lambda a, e, tolerance=0.01: abs(float(re.findall(r"\d+", a)[0]) - e) <= tolerance).passed
    assert not checks.precision_recall(2 / 3, 1.0, Y_TRUE, Y_PRED, "billing").passed  # recall over predictions, not truths
