"""Token and cost calculator: a traffic scenario priced for every model in the table, with caching and batching.

Prompt caching follows the providers' billing rules, kept as data in data/models.csv: a prefix shorter than the
model's minimum cacheable length gets no discount at all; a long enough prefix is read at the cached price on most
calls, and written to the cache (at the write price, a premium on some providers) on the calls that find it cold.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ai_pm_lab.catalog import model_info, served_model
from ai_pm_lab.catalog import models as table_models
from ai_pm_lab.cost import cacheable_tokens, estimate_cost
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.llm.tokens import compare_tokenizers
from ai_pm_lab.tables import returns_course_table

MAX_QUERIES_PER_DAY = 1_000_000_000
MAX_TOKENS_PER_QUERY = 2_000_000
CACHE_LIFETIMES = ("default", "long")


def assumptions() -> dict:
    """The labelled cost assumptions from data/cost/cost_assumptions.csv (name -> row)."""
    return {r["name"]: {**r, "value": float(r["value"])} for r in data_csv("cost/cost_assumptions.csv")}


def assumption(name: str) -> float:
    """One assumption's value, e.g. assumption('batch_discount')."""
    require_text(name, "name")
    table = assumptions()
    if name not in table:
        raise InputError(f"Unknown assumption {name!r}: choose one of {', '.join(table)}.")
    return table[name]["value"]


@dataclass(frozen=True)
class Traffic:
    """A traffic scenario: queries a day, tokens per query, and the caching / batching levers.

    ``cached_prefix_tokens`` is the part of every prompt that is identical on every call (instructions, policy text);
    the provider discounts it only if it reaches the model's minimum cacheable length. ``prompt_cache_write_share`` is
    the share of calls that find the cache cold and write it (None: the course assumption); ``cache_lifetime`` 'long'
    prices those writes at the longer lifetime (Anthropic's 1-hour cache).
    """

    queries_per_day: float
    input_tokens: int
    output_tokens: int
    cached_prefix_tokens: int = 0
    response_cache_hit_rate: float = 0.0
    batch_share: float = 0.0
    prompt_cache_write_share: float | None = None
    cache_lifetime: str = "default"

    def __post_init__(self):
        require_number(self.queries_per_day, "queries_per_day", low=0, high=MAX_QUERIES_PER_DAY)
        require_number(self.input_tokens, "input_tokens", low=0, high=MAX_TOKENS_PER_QUERY, integer=True)
        require_number(self.output_tokens, "output_tokens", low=0, high=MAX_TOKENS_PER_QUERY, integer=True)
        require_number(self.cached_prefix_tokens, "cached_prefix_tokens", low=0, high=self.input_tokens, integer=True)
        require_number(self.response_cache_hit_rate, "response_cache_hit_rate", low=0, high=1)
        require_number(self.batch_share, "batch_share", low=0, high=1)
        if self.prompt_cache_write_share is not None:
            require_number(self.prompt_cache_write_share, "prompt_cache_write_share", low=0, high=1)
        if self.cache_lifetime not in CACHE_LIFETIMES:
            raise InputError(f"cache_lifetime must be one of {CACHE_LIFETIMES}, not {self.cache_lifetime!r}.")

    def write_share(self) -> float:
        """The share of calls that write the prompt cache: the scenario's own, else the course assumption."""
        if self.prompt_cache_write_share is not None:
            return float(self.prompt_cache_write_share)
        return assumption("prompt_cache_write_share")


def _require_traffic(traffic) -> None:
    if not isinstance(traffic, Traffic):
        raise InputTypeError("traffic must be a Traffic(...) scenario, e.g. Traffic(queries_per_day=10_000, input_tokens=500, output_tokens=200).")


def prompt_cache_call_cost(model_id: str, traffic: Traffic) -> tuple[float, int]:
    """(average dollars per model call with prompt caching as billed, prefix tokens the provider caches)."""
    _require_traffic(traffic)
    t = traffic
    cached = cacheable_tokens(model_id, t.cached_prefix_tokens)
    if cached == 0:  # below the model's minimum cacheable length: no discount, no write premium
        return estimate_cost(model_id, t.input_tokens, t.output_tokens), 0
    read = estimate_cost(model_id, t.input_tokens, t.output_tokens, cached_prompt_tokens=cached)
    write = estimate_cost(model_id, t.input_tokens, t.output_tokens, cache_write_tokens=cached,
                          long_cache=t.cache_lifetime == "long")
    share = t.write_share()
    return share * write + (1 - share) * read, cached


def scenario_cost(model_id: str, traffic: Traffic, *, on=None) -> dict:
    """Cost per query, per day and per month of ``traffic`` on one model, with the levers applied.

    Only a model the provider serves on ``on`` (a date or "YYYY-MM-DD", default today) is priced: a shut-down one is a
    clear error naming the served ids (the table keeps its old prices as history, never as a bill)."""
    _require_traffic(traffic)
    info = served_model(model_id, on=on)  # a clear error for an unknown id or one no longer served
    t = traffic
    list_price = estimate_cost(info.model_id, t.input_tokens, t.output_tokens)
    with_prompt_cache, cached = prompt_cache_call_cost(info.model_id, t)
    batch = assumption("batch_discount")
    per_model_call = with_prompt_cache * (1 - t.batch_share * batch)
    per_query = per_model_call * (1 - t.response_cache_hit_rate) + assumption("response_cache_cost") * t.response_cache_hit_rate
    days = assumption("days_per_month")
    return {"provider": info.provider, "model": info.model_id, "status": info.status_on(on), "cached_tokens": cached,
            "list_per_query": list_price, "per_query": per_query,
            "per_day": per_query * t.queries_per_day, "per_month": per_query * t.queries_per_day * days,
            "list_per_month": list_price * t.queries_per_day * days,
            "saving_share": 1 - per_query / list_price if list_price else 0.0}


@returns_course_table
def cost_table(traffic: Traffic, models=None, *, on=None):
    """scenario_cost() for every model the providers serve on ``on`` (default today), or for the listed ids, cheapest
    first. A listed id that has shut down stays in the table as a marked row (status 'retired', no price, its successor
    named) at the bottom, and one printed line says so: a bill is never computed at a price nobody charges any more."""
    import pandas as pd

    ids = [m.model_id for m in table_models(on=on)] if models is None else list(models)
    rows, gone = [], []
    for model_id in ids:
        info = model_info(model_id)  # a clear error for an unknown id
        if info.served_on(on):
            rows.append(scenario_cost(model_id, traffic, on=on))
        else:
            gone.append(info)
    table = pd.DataFrame(rows).sort_values("per_month").reset_index(drop=True) if rows else pd.DataFrame()
    if gone:
        print("Not priced (shut down): " + "; ".join(f"{m.model_id} on {m.shutdown_date}, successor {m.successor}"
                                                       for m in gone) + ".")
        marked = pd.DataFrame([{"provider": m.provider, "model": m.model_id, "status": "retired",
                                "successor": m.successor} for m in gone])
        table = pd.concat([table, marked], ignore_index=True)
    return table


@returns_course_table
def levers(model_id: str, traffic: Traffic, *, on=None):
    """The monthly bill of one model with no lever, each lever alone, and all levers together."""
    import pandas as pd

    _require_traffic(traffic)
    base = Traffic(traffic.queries_per_day, traffic.input_tokens, traffic.output_tokens,
                   prompt_cache_write_share=traffic.prompt_cache_write_share, cache_lifetime=traffic.cache_lifetime)
    cases = {
        "list price, no levers": base,
        "prompt caching only": Traffic(**{**asdict(base), "cached_prefix_tokens": traffic.cached_prefix_tokens}),
        "response cache only": Traffic(**{**asdict(base), "response_cache_hit_rate": traffic.response_cache_hit_rate}),
        "batching only": Traffic(**{**asdict(base), "batch_share": traffic.batch_share}),
        "all levers": traffic,
    }
    rows = [{"case": k, **scenario_cost(model_id, v, on=on)} for k, v in cases.items()]
    return pd.DataFrame(rows)[["case", "cached_tokens", "per_query", "per_day", "per_month", "saving_share"]]


def calculator(traffic: Traffic, model_id: str) -> dict:
    """What the cost calculator shows: the bill of every served model, the levers of one served model, and how many
    of the scenario's prefix tokens that model's provider caches (0 below its minimum)."""
    _require_traffic(traffic)
    info = served_model(model_id)  # a retired model gets a clear error, never a price
    return {"traffic": traffic, "table": cost_table(traffic), "levers": levers(info.model_id, traffic),
            "model": info.model_id, "caches_prompts": info.caches_prompts, "cache_min_tokens": info.cache_min_tokens,
            "cached_tokens": cacheable_tokens(info.model_id, traffic.cached_prefix_tokens)}


@returns_course_table
def caching_rules(models=None):
    """Each model's prompt-caching rule as billed: shortest cached prefix, rounding step, read and write prices.

    Prices are also shown as multiples of the plain input price; the provider-wide rules (how caching is switched on,
    cache lifetimes) come from data/cost/prompt_caching.csv.
    """
    import pandas as pd

    rules = {r["provider"]: r for r in data_csv("cost/prompt_caching.csv")}
    infos = table_models() if models is None else [model_info(m) for m in models]
    rows = []
    for m in infos:
        paid = m.input_usd_per_1m > 0
        rows.append({
            "provider": m.provider, "model": m.model_id,
            "caches from (tokens)": m.cache_min_tokens if m.caches_prompts else None,
            "step (tokens)": m.cache_step_tokens if m.caches_prompts else None,
            "read × input": m.cached_input_usd_per_1m / m.input_usd_per_1m if paid and m.caches_prompts else None,
            "write × input": m.cache_write_usd_per_1m / m.input_usd_per_1m if paid and m.caches_prompts else None,
            "long write × input": (m.cache_write_long_usd_per_1m / m.input_usd_per_1m
                                   if paid and m.caches_prompts and m.cache_write_long_usd_per_1m is not None else None),
            "how": rules.get(m.provider, {}).get("how", ""),
        })
    df = pd.DataFrame(rows)
    return df.astype({"caches from (tokens)": "Int64", "step (tokens)": "Int64"})


@returns_course_table
def prefix_caching(prefixes: dict, models, *, write_share: float | None = None, on=None):
    """For each named prefix (tokens) and model: tokens the provider caches and what the prefix costs per call.

    ``prefixes`` maps a label to a token count, e.g. {"instructions only": 65, "instructions + policy": 2400}.
    The cost columns are dollars per 1,000 calls for the prefix alone, at list price and with caching as billed
    (a ``write_share`` of the calls write the cache, the rest read it; None: the course assumption). Only models served
    on ``on`` (default today) are priced.
    """
    import pandas as pd

    if not isinstance(prefixes, dict) or not prefixes:
        raise InputTypeError("prefixes must be a non-empty dict of label -> prefix tokens, e.g. {'instructions only': 65}.")
    if isinstance(models, str):
        models = [models]
    rows = []
    for label, tokens in prefixes.items():
        require_text(label, "prefix label")
        tokens = require_number(tokens, f"tokens of {label!r}", low=0, high=MAX_TOKENS_PER_QUERY, integer=True)
        for model_id in models:
            t = Traffic(1, tokens, 0, cached_prefix_tokens=tokens, prompt_cache_write_share=write_share)
            info = served_model(model_id, on=on)  # a shut-down model is never priced
            with_cache, cached = prompt_cache_call_cost(model_id, t)
            plain = estimate_cost(model_id, tokens, 0)
            rows.append({"prefix": label, "prefix tokens": tokens, "model": model_id,
                         "caches from (tokens)": info.cache_min_tokens if info.caches_prompts else None,
                         "cached tokens": cached, "$ per 1k calls, list": plain * 1000,
                         "$ per 1k calls, cached": with_cache * 1000,
                         "saving": 1 - with_cache / plain if plain else 0.0})
    return pd.DataFrame(rows).astype({"caches from (tokens)": "Int64"})


@returns_course_table
def tokens_of(text: str):
    """Tokens ``text`` takes on each backend's tokenizer (exact or a labelled estimate), one row per model."""
    require_text(text, "text")
    return compare_tokenizers(text)
