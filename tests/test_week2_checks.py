"""Week 2 exercise checks: each fails on the stub value (None / a function returning None) and passes on the solution."""
import re

import pytest

from ai_pm_lab.checks import week02 as checks
from ai_pm_lab import budget, catalog


def numbers_match(answer, expected, tolerance=0.01):
    found = re.findall(r"-?\d[\d,]*(?:\.\d+)?", answer)
    return bool(found) and abs(float(found[-1].replace(",", "")) - expected) <= tolerance


def rate(verdicts):
    if not verdicts:
        raise ValueError("empty")
    return sum(v == "hallucinated" for v in verdicts) / len(verdicts)


def keep_tail(sentences, costs, budget):
    kept, used = [], 0
    for i in range(len(sentences) - 1, -1, -1):
        if used + costs[i] > budget:
            break
        kept.append(sentences[i])
        used += costs[i]
    return kept[::-1]


def stub(*args, **kwargs):
    return None


SCENARIO = budget.Traffic(50_000, 900, 200, cached_prefix_tokens=600, response_cache_hit_rate=0.25)
WITH_POLICY = budget.Traffic(50_000, 3_300, 200, cached_prefix_tokens=3_000, response_cache_hit_rate=0.25)
MODEL = catalog.default_model("openai")
BILLS = (budget.scenario_cost(MODEL, SCENARIO)["per_month"], budget.scenario_cost(MODEL, WITH_POLICY)["per_month"])
Y_TRUE = ["billing", "billing", "technical", "account", "billing"]
Y_PRED = ["billing", "technical", "billing", "account", "billing"]


@pytest.mark.parametrize("run_check,solution,stub_value", [
    (checks.numeric_scorer, numbers_match, stub),
    (checks.hallucination_rate, rate, stub),
    (checks.keep_tail, keep_tail, stub),
    (lambda v: checks.caching_bills(v, MODEL, SCENARIO, WITH_POLICY), BILLS, (None, None)),
    (lambda v: checks.precision_recall(*v, Y_TRUE, Y_PRED, "billing"), (2 / 3, 2 / 3), (None, None)),
])
def test_check_fails_on_stub_and_passes_on_solution(run_check, solution, stub_value):
    assert run_check(stub_value).passed is False
    assert run_check(solution).passed is True


def test_checks_catch_near_misses():
    assert not checks.hallucination_rate(lambda v: sum(x == "hallucinated" for x in v) / len(v)).passed  # no clear error on []
    assert not checks.keep_tail(lambda s, c, b: keep_tail(s, c, b)[::-1]).passed  # wrong order
    assert not checks.numeric_scorer(lambda a, e, tolerance=0.01: str(e) in a).passed  # "contains" is not "last number"
    assert not checks.caching_bills((123.0, 456.0), MODEL, SCENARIO, WITH_POLICY).passed
    list_price = tuple(budget.scenario_cost(MODEL, budget.Traffic(50_000, t.input_tokens, 200, response_cache_hit_rate=0.25))["per_month"]
                       for t in (SCENARIO, WITH_POLICY))
    assert not checks.caching_bills(list_price, MODEL, SCENARIO, WITH_POLICY).passed  # caching ignored on the long prefix
    assert "none of it" in checks.caching_bills(BILLS, MODEL, SCENARIO, WITH_POLICY).message  # feedback explains the minimum
