"""The model trade-off explorer's decision: set a budget per 1,000 queries and a quality floor, see which model to ship
or to measure next. A thin view over ai_pm_lab.platforms.tradeoffs.shortlist."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.platforms.tradeoffs import readable, shortlist
from ai_pm_lab.widgets.base import COURSE_ERRORS, error_message, table_html

COLUMNS = ["provider", "status", "quality", "median latency (s)", "cost per 1,000 queries ($)"]


class TradeoffExplorer:
    """Budget and quality-floor sliders over a measured/projected trade-off table (from compare_models)."""

    def __init__(self, table, budget: float = 1.0, quality_floor: float = 0.5):
        missing = [c for c in COLUMNS if c not in getattr(table, "columns", [])]
        if missing:
            raise ValueError(f"TradeoffExplorer needs the table from compare_models(); missing columns {missing}.")
        self.table = table
        self.budget = W.FloatLogSlider(value=budget, base=10, min=-3, max=2, step=0.25, description="$ / 1,000 q",
                                       continuous_update=False)
        self.floor = W.FloatSlider(value=quality_floor, min=0, max=1, step=0.05, description="quality floor",
                                   continuous_update=False)
        self.result = W.HTML()
        self.state: dict = {}
        for w in (self.budget, self.floor):
            w.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Re-run the shortlist for the current budget and floor."""
        try:
            self.state = {**shortlist(self.table, self.budget.value, self.floor.value), "error": None}
            icon = {"ship candidate": "✅", "measure next": "🔬", "nothing fits": "⛔"}[self.state["decision"]]
            self.result.value = f"<p>{icon} <b>{html.escape(self.state['decision'])}</b>: {html.escape(self.state['reason'])}</p>"
        except COURSE_ERRORS as exc:
            self.state = {"decision": None, "choice": None, "error": error_message(exc)}
            self.result.value = f"⚠️ {html.escape(error_message(exc))}"
        return self.state

    def _ipython_display_(self):
        display(W.VBox([W.HTML(table_html(readable(self.table, COLUMNS).reset_index(), "{:,.4f}")), W.HBox([self.budget, self.floor]), self.result]))
