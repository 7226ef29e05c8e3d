"""Token and cost calculator: a traffic scenario priced for every model in the table, with caching and batching."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ai_pm_lab.limits import common
from ai_pm_lab.limits.common import require_number, require_text

MAX_QUERIES_PER_DAY = 1_000_000_000
MAX_TOKENS_PER_QUERY = 2_000_000


def assumptions() -> dict:
    """The labelled cost assumptions from data/cost/cost_assumptions.csv (name -> row)."""
    return {r["name"]: {**r, "value": float(r["value"])} for r in common.data_csv("cost/cost_assumptions.csv")}


def assumption(name: str) -> float:
    """One assumption's value, e.g. assumption('batch_discount')."""
    require_text(name, "name")
    table = assumptions()
    if name not in table:
        raise ValueError(f"Unknown assumption {name!r}: choose one of {', '.join(table)}.")
    return table[name]["value"]


@dataclass(frozen=True)
class Traffic:
    """A traffic scenario: queries a day, tokens per query, and the caching / batching levers."""

    queries_per_day: float
    input_tokens: int
    output_tokens: int
    cached_prefix_tokens: int = 0
    response_cache_hit_rate: float = 0.0
    batch_share: float = 0.0

    def __post_init__(self):
        require_number(self.queries_per_day, "queries_per_day", low=0, high=MAX_QUERIES_PER_DAY)
        require_number(self.input_tokens, "input_tokens", low=0, high=MAX_TOKENS_PER_QUERY, integer=True)
        require_number(self.output_tokens, "output_tokens", low=0, high=MAX_TOKENS_PER_QUERY, integer=True)
        require_number(self.cached_prefix_tokens, "cached_prefix_tokens", low=0, high=self.input_tokens, integer=True)
        require_number(self.response_cache_hit_rate, "response_cache_hit_rate", low=0, high=1)
        require_number(self.batch_share, "batch_share", low=0, high=1)


def scenario_cost(model_id: str, traffic: Traffic) -> dict:
    """Cost per query, per day and per month of ``traffic`` on one model, with the levers applied."""
    from ai_pm_lab.catalog import model_info
    from ai_pm_lab.cost import estimate_cost

    if not isinstance(traffic, Traffic):
        raise TypeError("traffic must be a Traffic(...) scenario, e.g. Traffic(queries_per_day=10_000, input_tokens=500, output_tokens=200).")
    info = model_info(model_id)  # raises a clear error for an unknown id
    t = traffic
    list_price = estimate_cost(info.model_id, t.input_tokens, t.output_tokens)
    with_prompt_cache = estimate_cost(info.model_id, t.input_tokens, t.output_tokens, cached_prompt_tokens=t.cached_prefix_tokens)
    batch = assumption("batch_discount")
    per_model_call = with_prompt_cache * (1 - t.batch_share * batch)
    per_query = per_model_call * (1 - t.response_cache_hit_rate) + assumption("response_cache_cost") * t.response_cache_hit_rate
    days = assumption("days_per_month")
    return {"provider": info.provider, "model": info.model_id, "list_per_query": list_price, "per_query": per_query,
            "per_day": per_query * t.queries_per_day, "per_month": per_query * t.queries_per_day * days,
            "list_per_month": list_price * t.queries_per_day * days,
            "saving_share": 1 - per_query / list_price if list_price else 0.0}


def cost_table(traffic: Traffic, models=None):
    """scenario_cost() for every model in the price table (or the listed ids), cheapest first."""
    import pandas as pd

    from ai_pm_lab.catalog import models as all_models

    ids = [m.model_id for m in all_models()] if models is None else list(models)
    return pd.DataFrame([scenario_cost(m, traffic) for m in ids]).sort_values("per_month").reset_index(drop=True)


def levers(model_id: str, traffic: Traffic):
    """The monthly bill of one model with no lever, each lever alone, and all levers together."""
    import pandas as pd

    if not isinstance(traffic, Traffic):
        raise TypeError("traffic must be a Traffic(...) scenario, e.g. Traffic(queries_per_day=10_000, input_tokens=500, output_tokens=200).")
    base = Traffic(traffic.queries_per_day, traffic.input_tokens, traffic.output_tokens)
    cases = {
        "list price, no levers": base,
        "prompt caching only": Traffic(**{**asdict(base), "cached_prefix_tokens": traffic.cached_prefix_tokens}),
        "response cache only": Traffic(**{**asdict(base), "response_cache_hit_rate": traffic.response_cache_hit_rate}),
        "batching only": Traffic(**{**asdict(base), "batch_share": traffic.batch_share}),
        "all levers": traffic,
    }
    rows = [{"case": k, **scenario_cost(model_id, v)} for k, v in cases.items()]
    return pd.DataFrame(rows)[["case", "per_query", "per_day", "per_month", "saving_share"]]


def tokens_of(text: str):
    """Tokens ``text`` takes on each backend's tokenizer (exact or a labelled estimate), one row per model."""
    from ai_pm_lab.llm.tokens import compare_tokenizers

    require_text(text, "text")
    return compare_tokenizers(text)

