"""The model trade-off explorer's decision: set a budget per 1,000 queries and a quality floor, see which model to ship
or to measure next. A thin view over ai_pm_lab.platforms.tradeoffs.shortlist."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.platforms.tradeoffs import check_table, readable, shortlist
from ai_pm_lab.widgets.base import CourseWidget, error_html, table_html

COLUMNS = ["provider", "status", "quality", "median latency (s)", "cost per 1,000 queries ($)"]
ICONS = {"ship candidate": "✅", "measure next": "🔬", "nothing fits": "⛔"}


class TradeoffExplorer(CourseWidget):
    """Budget and quality-floor sliders over a measured/projected trade-off table (from compare_models)."""

    def __init__(self, table, budget: float = 1.0, quality_floor: float = 0.5):
        super().__init__()
        self.table = check_table(table, COLUMNS)
        self.budget = W.FloatLogSlider(value=budget, base=10, min=-3, max=2, step=0.25, description="$ / 1,000 q",
                                       continuous_update=False)
        self.floor = W.FloatSlider(value=quality_floor, min=0, max=1, step=0.05, description="quality floor",
                                   continuous_update=False)
        self.result = W.HTML()
        for w in (self.budget, self.floor):
            w.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Re-run the shortlist for the current budget and floor."""
        self.state = {"decision": None, "choice": None,
                      **self.attempt(shortlist, self.table, self.budget.value, self.floor.value)}
        if self.state["error"]:
            self.result.value = error_html(self.state["error"])
        else:
            self.result.value = (f"<p>{html.escape(self.state['filters'])}</p>"
                                 f"<p>{ICONS[self.state['decision']]} <b>{html.escape(self.state['decision'])}</b>: "
                                 f"{html.escape(self.state['reason'])}</p>")
        return self.state

    def _ipython_display_(self):
        display(W.VBox([W.HTML(table_html(readable(self.table, COLUMNS).reset_index())), W.HBox([self.budget, self.floor]), self.result]))
