"""The AI product decision tree as toggles: answer each question and see the recommendation."""
from __future__ import annotations

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.decision_tree import QUESTIONS, recommend
from ai_pm_lab.errors import CourseError


class DecisionTreeWidget:
    """Answer the five questions with toggles; the recommendation updates as you click."""

    def __init__(self):
        self.toggles = {key: W.ToggleButtons(options=[("Yes", True), ("No", False)], value=True, description="", style={"button_width": "60px"})
                        for key, _, _ in QUESTIONS}
        self.result = W.HTML()
        self.state = None
        for t in self.toggles.values():
            t.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self):
        """Walk the tree with the current answers and show where it stops."""
        self.state = recommend(**{k: t.value for k, t in self.toggles.items()})
        icon = "✅" if self.state.go else "⛔"
        steps = "".join(f"<li>{s}</li>" for s in self.state.path)
        self.result.value = f"<ol>{steps}</ol><p>{icon} <b>{self.state.verdict}</b></p>"
        return self.state

    def _ipython_display_(self):
        rows = [W.HBox([self.toggles[k], W.Label(q)]) for k, q, _ in QUESTIONS]
        display(W.VBox([*rows, self.result]))
