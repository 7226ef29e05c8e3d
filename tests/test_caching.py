"""Prompt caching as providers bill it: minimum cacheable length, rounding step, cache-write premium, cached reads."""
from __future__ import annotations

import math

import pytest

from ai_pm_lab import budget, catalog, cost
from ai_pm_lab.errors import ConfigurationError
from ai_pm_lab.widgets.cost import CostCalculator

SERVED_DAY = "2026-12-01"  # every row priced below is served that day (gpt-4o-mini shuts down on 2027-01-14)


def _cached_vs_list(model_id: str, prefix: int, *, write_share: float = 0.05) -> tuple[dict, float]:
    t = budget.Traffic(10_000, prefix + 100, 150, cached_prefix_tokens=prefix, prompt_cache_write_share=write_share)
    c = budget.scenario_cost(model_id, t, on=SERVED_DAY)
    return c, c["per_query"] / c["list_per_query"]


@pytest.mark.parametrize("model_id", ["gpt-6-luna", "gpt-4o-mini", "claude-sonnet-5-5", "claude-opus-5-5"])
def test_a_65_token_prefix_gets_no_discount_and_a_2000_token_one_does(model_id):
    short, short_ratio = _cached_vs_list(model_id, 65)
    long, long_ratio = _cached_vs_list(model_id, 2_000)
    assert short["cached_tokens"] == 0 and short_ratio == 1.0  # billed exactly at list price
    assert long["cached_tokens"] > 0 and long_ratio < 0.9


@pytest.mark.parametrize("model_id,below,above", [("claude-haiku-5-5", 2_000, 5_000), ("gemini-3.5-flash-lite", 2_000, 5_000),
                                                  ("gpt-6-luna", 1_000, 1_100)])
def test_each_model_has_its_own_minimum(model_id, below, above):
    floor = catalog.model_info(model_id).cache_min_tokens
    assert below < floor <= above
    assert _cached_vs_list(model_id, below)[1] == 1.0 and _cached_vs_list(model_id, above)[1] < 1.0
    assert cost.cacheable_tokens(model_id, floor - 1) == 0 and cost.cacheable_tokens(model_id, floor) == floor


def test_openai_rounds_older_models_down_to_128_token_steps():
    assert [cost.cacheable_tokens("gpt-4o-mini", n) for n in (1_023, 1_024, 1_151, 1_152, 2_000)] == [0, 1_024, 1_024, 1_152, 1_920]
    assert cost.cacheable_tokens("gpt-6-luna", 2_000) == 2_000  # GPT-5.6 and later: no rounding (table step 1)
    assert cost.cacheable_tokens("smollm2-135m-instruct", 5_000) == 0  # the free local model has nothing to discount


def test_reads_bill_at_the_cached_rate_and_writes_carry_the_table_premium():
    m = catalog.model_info("claude-haiku-5-5")
    n = 5_000
    read = cost.estimate_cost(m.model_id, n, 0, cached_prompt_tokens=n)
    write = cost.estimate_cost(m.model_id, n, 0, cache_write_tokens=n)
    write_1h = cost.estimate_cost(m.model_id, n, 0, cache_write_tokens=n, long_cache=True)
    plain = cost.estimate_cost(m.model_id, n, 0)
    assert math.isclose(read, n * m.cached_input_usd_per_1m / 1e6)
    assert math.isclose(write / plain, 1.25) and math.isclose(write_1h / plain, 2.0)  # Anthropic: 5-minute, 1-hour
    assert math.isclose(cost.estimate_cost("gpt-4o", n, 0, cache_write_tokens=n), cost.estimate_cost("gpt-4o", n, 0))
    assert math.isclose(cost.estimate_cost("gpt-6-luna", n, 0, cache_write_tokens=n) / cost.estimate_cost("gpt-6-luna", n, 0), 1.25)


def test_scenario_averages_writes_and_reads_by_the_write_share():
    m = "claude-sonnet-5-5"
    all_write, ratio_w = _cached_vs_list(m, 2_000, write_share=1.0)
    all_read, _ = _cached_vs_list(m, 2_000, write_share=0.0)
    half, _ = _cached_vs_list(m, 2_000, write_share=0.5)
    assert ratio_w > 1.0  # every call writing the cache costs more than no caching at all
    assert math.isclose(half["per_query"], (all_write["per_query"] + all_read["per_query"]) / 2)
    default = budget.scenario_cost(m, budget.Traffic(10_000, 2_100, 150, cached_prefix_tokens=2_000))
    assumed, _ = _cached_vs_list(m, 2_000, write_share=budget.assumption("prompt_cache_write_share"))
    assert math.isclose(default["per_query"], assumed["per_query"])
    long = budget.scenario_cost(m, budget.Traffic(10_000, 2_100, 150, cached_prefix_tokens=2_000, prompt_cache_write_share=1.0,
                                                  cache_lifetime="long"))
    assert long["per_query"] > all_write["per_query"]


def test_prefix_caching_table_and_rules_are_computed_from_the_table():
    defaults = [catalog.default_model(p) for p in ("openai", "anthropic", "google")]
    t = budget.prefix_caching({"instructions only": 65, "instructions + handbook": 5_000}, defaults)
    short, long = t[t["prefix"] == "instructions only"], t[t["prefix"] == "instructions + handbook"]
    assert (short["cached tokens"] == 0).all() and (short["saving"] == 0).all()
    assert (long["cached tokens"] == 5_000).all() and (long["saving"] > 0.5).all()
    rules = budget.caching_rules(defaults).set_index("model")
    for m in defaults:
        info = catalog.model_info(m)
        assert rules.loc[m, "caches from (tokens)"] == info.cache_min_tokens
        assert math.isclose(rules.loc[m, "write × input"], info.cache_write_usd_per_1m / info.input_usd_per_1m)


@pytest.mark.parametrize("call,error,needle", [
    (lambda: cost.estimate_cost("gpt-6-luna", 100, 0, cached_prompt_tokens=80, cache_write_tokens=30), ValueError, "cache_write_tokens"),
    (lambda: cost.estimate_cost("gpt-6-luna", 100, 0, cache_write_tokens=10, long_cache=True), ConfigurationError, "long_cache"),
    (lambda: cost.cacheable_tokens("gpt-6-luna", -1), ValueError, "prefix_tokens"),
    (lambda: budget.Traffic(10, 100, 10, cache_lifetime="forever"), ValueError, "cache_lifetime"),
    (lambda: budget.Traffic(10, 100, 10, prompt_cache_write_share=1.5), ValueError, "prompt_cache_write_share"),
    (lambda: budget.prefix_caching({}, ["gpt-6-luna"]), TypeError, "prefixes"),
    (lambda: budget.prefix_caching({"x": -5}, ["gpt-6-luna"]), ValueError, "tokens of 'x'"),
])
def test_bad_caching_input_gets_a_clear_error(call, error, needle):
    with pytest.raises(error, match=needle):
        call()


def test_cost_widget_shows_which_prefixes_are_cached():
    w = CostCalculator(queries_per_day=1_000, input_tokens=2_200, output_tokens=100, cached_prefix_tokens=65)
    table = w.state["table"].set_index("model")
    assert (table["cached_tokens"] == 0).all() and (table["per_month"] == table["list_per_month"]).all()
    w.cached.value = 2_000
    table = w.state["table"].set_index("model")
    luna, haiku = catalog.default_model("openai"), catalog.default_model("anthropic")
    assert table.loc[luna, "cached_tokens"] == 2_000 and table.loc[luna, "per_month"] < table.loc[luna, "list_per_month"]
    assert table.loc[haiku, "cached_tokens"] == 0  # below Haiku's own minimum
    assert w.state["cached_tokens"] == 2_000 and "1,024" in w.levers_html.value
    w.model.value = haiku
    assert w.state["cached_tokens"] == 0 and "0 of your 2,000" in w.levers_html.value
    with pytest.raises(ConfigurationError, match="no longer served"):
        CostCalculator(model=next(m.model_id for m in catalog.models(include_retired=True) if not m.served_on()))
