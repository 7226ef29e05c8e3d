"""The opportunity canvas as a form: decision-tree toggles, problem statement, one success criterion and one guardrail;
'Write one-pager' validates and writes the Markdown file. A thin view over ai_pm_lab.framing.canvas."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.decision_tree import QUESTIONS
from ai_pm_lab.framing.canvas import (CanvasError, Criterion, OpportunityCanvas, ProblemStatement, SuccessCriteria,
                                      write_one_pager)
from ai_pm_lab.widgets.base import COURSE_ERRORS, error_message
from ai_pm_lab.widgets.decision_tree import DecisionTreeWidget

DIRECTION_OPTIONS = [("higher is better", "higher"), ("lower is better", "lower")]
DIRECTION_LAYOUT = dict(width="150px", flex="0 0 auto")  # "higher is better" readable; never squeezed by the row


def _reading(metric: str, baseline, target, direction: str, kind: str) -> str:
    """How the form reads one criterion row: 'routing F1: today 0.55, target ≥ 0.8 (higher is better)'."""
    shown = lambda v: "?" if v is None else f"{v:g}" if isinstance(v, float) else repr(v)  # noqa: E731
    sign = "≥" if direction == "higher" else "≤"
    goal = "target" if kind == "success" else "limit"
    today = "" if baseline is None and kind == "guardrail" else f"today {shown(baseline)}, "
    return (f"{html.escape(metric.strip() or '(no metric yet)')}: {html.escape(today)}{goal} {sign} "
            f"{html.escape(shown(target))} ({direction} is better)")


def _number(text: str):
    """A typed number, None for a blank box, or the raw text (so validation can say what is wrong with it)."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        return text


class CanvasWidget:
    """Fill in the canvas; every change re-validates, the button writes the one-pager. Latest result on ``.state``."""

    def __init__(self, title: str = "", *, path=None):
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
        self.direction = W.Dropdown(options=DIRECTION_OPTIONS, value="higher", description="",
                                    layout=W.Layout(**DIRECTION_LAYOUT))
        self.g_metric = W.Text(description="Guardrail", placeholder="e.g. wrong-queue rate")
        self.g_baseline = W.Text(description="Baseline", placeholder="optional")
        self.g_limit = W.Text(description="Limit")
        self.g_direction = W.Dropdown(options=DIRECTION_OPTIONS, value="lower", description="",
                                      layout=W.Layout(**DIRECTION_LAYOUT))
        self.button = W.Button(description="Write one-pager", button_style="primary", icon="file")
        self.reading = W.HTML()  # how the form reads the two criteria, as they are typed
        self.result = W.HTML()
        self.state: dict = {}
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
            Criterion(self.metric.value, _number(self.baseline.value), _number(self.target.value), self.direction.value, "success"),
            Criterion(self.g_metric.value, _number(self.g_baseline.value), _number(self.g_limit.value), self.g_direction.value, "guardrail"),
        ])
        return OpportunityCanvas(self.title.value, {k: t.value for k, t in self.tree.toggles.items()}, problem, criteria)

    def update(self) -> dict:
        """Validate the form: the list of fixes still needed (no file is written)."""
        try:
            c = self.canvas()
            problems, warnings = c.problems(), c.warnings()
            self.state = {"ready": not problems, "problems": problems, "warnings": warnings, "path": None,
                          "markdown": None, "error": None}
        except COURSE_ERRORS as exc:
            self.state = {"ready": False, "problems": [error_message(exc)], "warnings": [], "path": None,
                          "markdown": None, "error": error_message(exc)}
        self._draw()
        return self.state

    def write(self) -> dict:
        """Validate and, if ready, write the one-pager (overwriting); the path is in state['path']."""
        self.update()
        if self.state["ready"]:
            try:
                c = self.canvas()
                path = write_one_pager(c, self.path)
                self.state.update(path=str(path), markdown=path.read_text(encoding="utf-8"))
            except (CanvasError, *COURSE_ERRORS, OSError) as exc:
                self.state.update(ready=False, error=error_message(exc))
        self._draw()
        return self.state

    def _draw(self):
        s = self.state
        self.reading.value = ("<small>Read as: "
                              + _reading(self.metric.value, _number(self.baseline.value), _number(self.target.value),
                                         self.direction.value, "success")
                              + " · guardrail "
                              + _reading(self.g_metric.value, _number(self.g_baseline.value), _number(self.g_limit.value),
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
