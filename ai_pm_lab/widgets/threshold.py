"""Threshold widget: slide a classifier's cutoff and watch the confusion matrix, precision, recall, F1, accuracy and
the dollar cost of each kind of error change (all computed by scikit-learn through evaluation.stats)."""
from __future__ import annotations

import html

import ipywidgets as W
import pandas as pd
from IPython.display import display

from ai_pm_lab.errors import InputError
from ai_pm_lab.evaluation.stats import as_labels, as_probabilities, threshold_metrics
from ai_pm_lab.tables import format_money
from ai_pm_lab.widgets.base import CourseWidget, error_html, table_html


def threshold_view(y_true, scores, threshold: float, *, cost_fp: float = 0.0, cost_fn: float = 0.0,
                   positive: str = "positive", negative: str = "negative",
                   fp_name: str = "false positive", fn_name: str = "false negative") -> dict:
    """Plain data behind the widget: threshold_metrics plus a labelled confusion matrix and the cost of each error."""
    m = threshold_metrics(y_true, scores, threshold, cost_fp=cost_fp, cost_fn=cost_fn)
    matrix = pd.DataFrame([[m["tp"], m["fn"]], [m["fp"], m["tn"]]],
                          index=[f"really {positive}", f"really {negative}"],
                          columns=[f"predicted {positive}", f"predicted {negative}"])
    errors = pd.DataFrame([
        {"error": fp_name, "count": m["fp"], "cost each ($)": m["cost_fp"], "cost ($)": m["fp"] * m["cost_fp"]},
        {"error": fn_name, "count": m["fn"], "cost each ($)": m["cost_fn"], "cost ($)": m["fn"] * m["cost_fn"]},
    ])
    return {**m, "matrix": matrix, "errors": errors}


class ThresholdWidget(CourseWidget):
    """Sliders for the threshold and the cost of each error type over fixed labels and scores; state = threshold_view."""

    def __init__(self, y_true, scores, *, threshold: float = 0.5, cost_fp: float = 5.0, cost_fn: float = 50.0,
                 positive: str = "positive", negative: str = "negative", fp_name: str = "false positive",
                 fn_name: str = "false negative"):
        super().__init__()
        self.y_true = as_labels(y_true, "y_true")
        self.scores = as_probabilities(scores, "scores")
        if len(self.y_true) != len(self.scores):
            raise InputError(f"y_true has {len(self.y_true)} values and scores has {len(self.scores)}: one score per item.")
        self.names = {"positive": positive, "negative": negative, "fp_name": fp_name, "fn_name": fn_name}
        # every label readable: as wide as the longest one (about 0.6 em per character of the widget font)
        longest = max(len(f"$ per {fp_name}"), len(f"$ per {fn_name}"), len("threshold"))
        style = {"description_width": f"{max(13.0, longest * 0.6 + 1):.1f}em"}
        layout = W.Layout(width=f"{max(460, 300 + longest * 9)}px")
        self.threshold = W.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01, description="threshold",
                                       style=style, layout=layout, continuous_update=False)
        self.cost_fp = W.FloatSlider(value=cost_fp, min=0.0, max=200.0, step=1.0, description=f"$ per {fp_name}",
                                     style=style, layout=layout, continuous_update=False)
        self.cost_fn = W.FloatSlider(value=cost_fn, min=0.0, max=200.0, step=1.0, description=f"$ per {fn_name}",
                                     style=style, layout=layout, continuous_update=False)
        self.out = W.HTML()
        for w in (self.threshold, self.cost_fp, self.cost_fn):
            w.observe(lambda _change: self.update(), names="value")
        self.box = W.VBox([self.threshold, self.cost_fp, self.cost_fn, self.out])
        self.update()

    def update(self) -> dict:
        """Recompute for the current sliders, store the result on .state and redraw."""
        self.state = self.attempt(threshold_view, self.y_true, self.scores, self.threshold.value,
                                  cost_fp=self.cost_fp.value, cost_fn=self.cost_fn.value, **self.names)
        self.out.value = self._html(self.state)
        return self.state

    def _html(self, s: dict) -> str:
        if s.get("error"):
            return error_html(s["error"])
        metrics = (f"precision {s['precision']:.2f} · recall {s['recall']:.2f} · F1 {s['f1']:.2f} · "
                   f"accuracy {s['accuracy']:.2f}")
        note = f"<br><i>{html.escape(s['note'])}</i>" if s["note"] else ""
        return (f"{s['matrix'].to_html(border=0)}<p>{metrics}{note}</p>{table_html(s['errors'])}"
                f"<p><b>total cost of errors: {format_money(s['cost'])}</b> ({format_money(s['cost_per_item'])} per item, {s['n']} items)</p>")

    def _ipython_display_(self):
        display(self.box)
