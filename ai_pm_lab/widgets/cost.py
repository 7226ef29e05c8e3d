"""The token and cost calculator: a traffic scenario priced on every model, with caching and batching levers."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab import budget
from ai_pm_lab.widgets.base import COURSECOURSE_ERRORS, table_html


class CostCalculator:
    """A traffic scenario priced for every model in the table, with prompt caching, a response cache and batching."""

    def __init__(self, queries_per_day: int = 10_000, input_tokens: int = 600, output_tokens: int = 200, model: str = "gpt-4o-mini"):
        from ai_pm_lab.catalog import model_info, models

        model_info(model)  # an unknown id gets the table's clear error, not a widget trait error
        budget.Traffic(queries_per_day, input_tokens, output_tokens)  # impossible traffic fails here, with the fix named
        self.queries = W.IntText(value=queries_per_day, description="queries/day")
        self.input_tokens = W.IntText(value=input_tokens, description="input tok")
        self.output_tokens = W.IntText(value=output_tokens, description="output tok")
        self.cached = W.IntText(value=0, description="cached prefix")
        self.cache_hit = W.FloatSlider(value=0.0, min=0, max=1, step=0.05, description="response cache")
        self.batch = W.FloatSlider(value=0.0, min=0, max=1, step=0.05, description="batched share")
        self.model = W.Dropdown(options=[m.model_id for m in models()], value=model, description="levers for")
        self.table_html = W.HTML()
        self.levers_html = W.HTML()
        self.state: dict = {}
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
        try:
            t = self.traffic()
            table = budget.cost_table(t)[["model", "per_query", "per_day", "per_month", "list_per_month"]]
            self.state = {"traffic": t, "table": table, "levers": budget.levers(self.model.value, t), "error": None}
            self.table_html.value = table_html(table.round(6), "{:,.6f}")
            self.levers_html.value = f"<b>{self.model.value}</b>" + table_html(self.state["levers"].round(6), "{:,.6f}")
        except COURSE_ERRORS as exc:
            self.state = {"error": str(exc)}
            self.table_html.value = f"⚠️ {html.escape(str(exc))}"
            self.levers_html.value = ""
        return self.state

    def _ipython_display_(self):
        note = budget.assumptions()["batch_discount"]
        display(W.VBox([W.HBox([self.queries, self.input_tokens, self.output_tokens]), W.HBox([self.cached, self.cache_hit, self.batch]),
                        W.HTML(f"<i>Assumption (data/cost/cost_assumptions.csv): batch discount {note['value']:.0%}; {html.escape(note['meaning'])}</i>"),
                        self.table_html, self.model, self.levers_html]))
