"""The token and cost calculator: a traffic scenario priced on every model, with caching and batching levers."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab import budget
from ai_pm_lab.catalog import default_model, models, served_model
from ai_pm_lab.tables import format_money, format_rate
from ai_pm_lab.widgets.base import CourseWidget, error_html, table_html

TABLE_COLUMNS = ["model", "cached_tokens", "per_query", "per_day", "per_month", "list_per_month"]


def _dollars(value: float) -> str:
    """"free" for nothing, else dollars by the course's one rule (tables.format_money: $1,200.00, $0.000115)."""
    return "free" if value == 0 else format_money(value)


PER_1000 = "per 1,000 queries"  # one query costs a fraction of a cent: priced per thousand, as providers quote it


def readable_table(df) -> str:
    """A cost table as a PM reads it: dollars with cents (a query priced per 1,000 queries), shares in %, counts."""
    out = df.copy()
    if "per_query" in out.columns:
        out = out.rename(columns={"per_query": PER_1000})
        out[PER_1000] = out[PER_1000] * 1000
    for col in out.columns:
        if col.startswith(("per_", "list_per", "per ")):
            out[col] = out[col].map(_dollars)
        elif col.endswith("share"):
            out[col] = out[col].map(format_rate)
        elif col.endswith("tokens"):
            out[col] = out[col].map("{:,}".format)
    return table_html(out)


class CostCalculator(CourseWidget):
    """A traffic scenario priced for every served model, with prompt caching as billed, a response cache and batching.

    The "cached prefix" box is the part of every prompt that repeats; the table's ``cached_tokens`` column shows how
    much of it each provider actually discounts (none below the model's minimum cacheable length).
    """

    def __init__(self, queries_per_day: int = 10_000, input_tokens: int = 600, output_tokens: int = 200,
                 model: str | None = None, cached_prefix_tokens: int = 0):
        super().__init__()
        model = served_model(model or default_model("openai")).model_id  # an unknown or retired id: a clear error
        served = [m.model_id for m in models()]
        budget.Traffic(queries_per_day, input_tokens, output_tokens, cached_prefix_tokens)  # impossible traffic fails here
        wide = {"description_width": "initial"}  # labels are never cut off
        self.queries = W.IntText(value=queries_per_day, description="queries/day", style=wide)
        self.input_tokens = W.IntText(value=input_tokens, description="input tokens", style=wide)
        self.output_tokens = W.IntText(value=output_tokens, description="output tokens", style=wide)
        self.cached = W.IntText(value=cached_prefix_tokens, description="cached prefix tokens", style=wide)
        self.cache_hit = W.FloatSlider(value=0.0, min=0, max=1, step=0.05, description="response cache hits",
                                       readout_format=".0%", style=wide)
        self.batch = W.FloatSlider(value=0.0, min=0, max=1, step=0.05, description="batched share",
                                   readout_format=".0%", style=wide)
        self.model = W.Dropdown(options=served, value=model, description="levers for", style=wide)
        self.table_html = W.HTML()
        self.levers_html = W.HTML()
        for w in (self.queries, self.input_tokens, self.output_tokens, self.cached, self.cache_hit, self.batch, self.model):
            w.observe(lambda _: self.update(), names="value")
        self.update()

    def traffic(self) -> budget.Traffic:
        """The scenario the controls describe (raises a clear error for impossible values)."""
        return budget.Traffic(self.queries.value, self.input_tokens.value, self.output_tokens.value,
                              cached_prefix_tokens=self.cached.value, response_cache_hit_rate=self.cache_hit.value,
                              batch_share=self.batch.value)

    def update(self) -> dict:
        """Recompute the bill for every model and the levers for the chosen one (no model call)."""
        self.state = s = self.attempt(lambda: budget.calculator(self.traffic(), self.model.value))
        if s["error"]:
            self.table_html.value = error_html(s["error"])
            self.levers_html.value = ""
            return s
        self.table_html.value = readable_table(s["table"][TABLE_COLUMNS])
        floor = (f"caches prefixes from {s['cache_min_tokens']:,} tokens" if s["caches_prompts"]
                 else "has no prompt caching")
        self.levers_html.value = (f"<b>{html.escape(s['model'])}</b> {floor}: {s['cached_tokens']:,} of your "
                                  f"{s['traffic'].cached_prefix_tokens:,} prefix tokens can be read from the provider's cache"
                                  + readable_table(s["levers"]))
        return s

    def _ipython_display_(self):
        notes = budget.assumptions()
        lines = "; ".join(f"{k.replace('_', ' ')} {notes[k]['value']:g} ({html.escape(notes[k]['meaning'])})"
                          for k in ("batch_discount", "prompt_cache_write_share"))
        display(W.VBox([W.HBox([self.queries, self.input_tokens, self.output_tokens]), W.HBox([self.cached, self.cache_hit, self.batch]),
                        W.HTML(f"<i>Assumptions (data/cost/cost_assumptions.csv): {lines}</i>"),
                        self.table_html, self.model, self.levers_html]))
