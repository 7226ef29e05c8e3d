"""The opportunity canvas as a form: decision-tree toggles, problem statement, one success criterion and one guardrail;
'Write one-pager' validates and writes the Markdown file. A thin view over ai_pm_lab.framing.canvas."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.decision_tree import QUESTIONS
from ai_pm_lab.framing.canvas import (
    Criterion,
    OpportunityCanvas,
    ProblemStatement,
    SuccessCriteria,
    parse_number,
    review,
    write_one_pager,
)
from ai_pm_lab.widgets.base import CourseWidget, action_style
from ai_pm_lab.widgets.decision_tree import DecisionTreeWidget

DIRECTION_OPTIONS = [("higher is better", "higher"), ("lower is better", "lower")]
DIRECTION_LAYOUT = dict(width="230px", flex="0 0 auto")  # label + "higher is better" readable; never squeezed by the row


def _reading(metric: str, baseline, target, direction: str, kind: str) -> str:
    """How the form reads one criterion row: 'routing F1: today 0.55, target ≥ 0.8 (higher is better)'."""
    shown = lambda v: "?" if v is None else f"{v:g}" if isinstance(v, float) else repr(v)  # noqa: E731
    sign = "≥" if direction == "higher" else "≤"
    goal = "target" if kind == "success" else "limit"
    today = "" if baseline is None and kind == "guardrail" else f"today {shown(baseline)}, "
    return (f"{html.escape(metric.strip() or '(no metric yet)')}: {html.escape(today)}{goal} {sign} "
            f"{html.escape(shown(target))} ({direction} is better)")


class CanvasWidget(CourseWidget):
    """Fill in the canvas; every change re-validates, the button writes the one-pager. Latest result on ``.state``."""

    def __init__(self, title: str = "", *, path=None):
        super().__init__()
        self.path = path
        self.tree = DecisionTreeWidget()
        self.title = W.Text(value=title, description="Opportunity", placeholder="a few words")
        self.fields = {
            "user": W.Text(description="User", placeholder="who has the problem"),
            "problem": W.Text(description="Problem", placeholder="their pain, no technology words"),
            "evidence": W.Text(description="Evidence", placeholder="a number that shows it is real"),
            "today": W.Text(description="Today", placeholder="what they do now"),
            "why_ai": W.Text(description="Why AI", placeholder="why rules or search won't do"),
        }
        self.edge_cases = W.Textarea(description="Edge cases", placeholder="one per line")
        self.metric = W.Text(description="Metric", placeholder="e.g. routing F1")
        self.baseline = W.Text(description="Baseline", placeholder="today's value")
        self.target = W.Text(description="Target")
        self.direction = W.Dropdown(options=DIRECTION_OPTIONS, value="higher", description="Direction",
                                    style={"description_width": "initial"},
                                    layout=W.Layout(**DIRECTION_LAYOUT))
        self.g_metric = W.Text(description="Guardrail", placeholder="e.g. wrong-queue rate")
        self.g_baseline = W.Text(description="Baseline", placeholder="optional")
        self.g_limit = W.Text(description="Limit")
        self.g_direction = W.Dropdown(options=DIRECTION_OPTIONS, value="lower", description="Direction",
                                      style={"description_width": "initial"},
                                      layout=W.Layout(**DIRECTION_LAYOUT))
        self.button = W.Button(description="Write one-pager", style=action_style(), icon="file")
        self.reading = W.HTML()  # how the form reads the two criteria, as they are typed
        self.result = W.HTML()
        watched = [self.title, *self.fields.values(), self.edge_cases, self.metric, self.baseline, self.target,
                   self.direction, self.g_metric, self.g_baseline, self.g_limit, self.g_direction, *self.tree.toggles.values()]
        for w in watched:
            w.observe(lambda _: self.update(), names="value")
        self.button.on_click(lambda _: self.write())
        self.update()

    def canvas(self) -> OpportunityCanvas:
        """The canvas the form describes (not yet validated)."""
        edge = [line.strip() for line in self.edge_cases.value.splitlines() if line.strip()]
        problem = ProblemStatement(**{k: w.value for k, w in self.fields.items()}, edge_cases=tuple(edge))
        criteria = SuccessCriteria([
            Criterion(self.metric.value, parse_number(self.baseline.value), parse_number(self.target.value), self.direction.value, "success"),
            Criterion(self.g_metric.value, parse_number(self.g_baseline.value), parse_number(self.g_limit.value), self.g_direction.value, "guardrail"),
        ])
        return OpportunityCanvas(self.title.value, {k: t.value for k, t in self.tree.toggles.items()}, problem, criteria)

    def update(self) -> dict:
        """Validate the form: the list of fixes still needed (no file is written)."""
        self.state = {"path": None, "markdown": None, **self.attempt(lambda: review(self.canvas()))}
        if self.state["error"]:  # the form could not even be read: its error is the one thing to fix
            self.state.update(ready=False, problems=[self.state["error"]], warnings=[])
        self._draw()
        return self.state

    def _write(self) -> dict:
        path = write_one_pager(self.canvas(), self.path)
        return {"path": str(path), "markdown": path.read_text(encoding="utf-8")}

    def write(self) -> dict:
        """Validate and, if ready, write the one-pager (overwriting); the path is in state['path']."""
        self.update()
        if self.state["ready"]:
            written = self.attempt(self._write)
            self.state.update(written)
            if written["error"]:
                self.state["ready"] = False
        self._draw()
        return self.state

    def _draw(self):
        s = self.state
        self.reading.value = ("<small>Read as: "
                              + _reading(self.metric.value, parse_number(self.baseline.value), parse_number(self.target.value),
                                         self.direction.value, "success")
                              + " · guardrail "
                              + _reading(self.g_metric.value, parse_number(self.g_baseline.value), parse_number(self.g_limit.value),
                                         self.g_direction.value, "guardrail") + "</small>")
        parts = []
        if s.get("path"):
            parts.append(f"✅ One-pager written to <code>{html.escape(s['path'])}</code>")
        elif s.get("ready"):
            parts.append("✅ Ready: press <b>Write one-pager</b>.")
        if s.get("problems"):
            parts.append("<b>Still to fix:</b><ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in s["problems"]) + "</ul>")
        if s.get("error") and not s.get("problems"):
            parts.append(f"⚠️ {html.escape(s['error'])}")
        if s.get("warnings"):
            parts.append("<b>Watch-outs:</b><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in s["warnings"]) + "</ul>")
        self.result.value = "".join(parts)
        # The button can only write a canvas that passes validation: greyed out (with the reason) until then.
        self.button.disabled = not s.get("ready")
        self.button.tooltip = ("Write the one-pager to your outputs/ folder" if s.get("ready")
                               else "Fix the points under 'Still to fix' first")

    def _ipython_display_(self):
        display(W.VBox([
            W.HTML("<b>1. Is AI the right tool?</b>"),
            W.VBox([W.HBox([self.tree.toggles[k], W.Label(q)]) for k, q, _ in QUESTIONS]),
            self.tree.result,
            W.HTML("<b>2. The problem</b>"), self.title, *self.fields.values(), self.edge_cases,
            W.HTML("<b>3. What good looks like</b>"), W.HBox([self.metric, self.baseline, self.target, self.direction]),
            W.HBox([self.g_metric, self.g_baseline, self.g_limit, self.g_direction]), self.reading,
            self.button, self.result,
        ]))
