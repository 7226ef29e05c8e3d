"""The AI product decision tree as toggles: answer each question and see the recommendation."""
from __future__ import annotations

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.decision_tree import QUESTIONS, recommend
from ai_pm_lab.widgets.base import CourseWidget, error_html


class DecisionTreeWidget(CourseWidget):
    """Answer the five questions with toggles; the recommendation updates as you click.

    ``state`` holds the answers, the Recommendation (``result``) and its fields (path, verdict, go, stopped_at)."""

    def __init__(self):
        super().__init__()
        self.toggles = {key: W.ToggleButtons(options=[("Yes", True), ("No", False)], value=True, description="Answer",
                                               style={"button_width": "60px", "description_width": "initial"})
                        for key, _, _ in QUESTIONS}
        self.result = W.HTML()
        for t in self.toggles.values():
            t.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self):
        """Walk the tree with the current answers and show where it stops."""
        answers = {k: t.value for k, t in self.toggles.items()}
        self.state = self.attempt(recommend, **answers)
        if self.state["error"]:
            self.result.value = error_html(self.state["error"])
            return self.state
        rec = self.state["result"]
        self.state.update(answers=answers, path=rec.path, verdict=rec.verdict, go=rec.go, stopped_at=rec.stopped_at)
        # The walk stops at the first "No": later questions are not asked, so their toggles are greyed out.
        keys = [k for k, _, _ in QUESTIONS]
        stop = keys.index(rec.stopped_at) if rec.stopped_at in keys else len(keys) - 1
        for i, key in enumerate(keys):
            self.toggles[key].disabled = i > stop
        skipped = len(keys) - 1 - stop
        note = (f"<p><i>{skipped} later question{'s are' if skipped > 1 else ' is'} not asked (greyed out): "
                f"the walk stops at the first No.</i></p>" if skipped else "")
        icon = "✅" if rec.go else "⛔"
        steps = "".join(f"<li>{s}</li>" for s in rec.path)
        self.result.value = f"<ol>{steps}</ol><p>{icon} <b>{rec.verdict}</b></p>{note}"
        return self.state

    def _ipython_display_(self):
        rows = [W.HBox([self.toggles[k], W.Label(q)]) for k, q, _ in QUESTIONS]
        display(W.VBox([*rows, self.result]))
