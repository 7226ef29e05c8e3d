"""Checklist widget: the eight responsible-AI questions, each answered next to the evidence the course measured,
and a button that writes the launch-readiness report."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.errors import InputTypeError
from ai_pm_lab.responsibility.checklist import QUESTIONS, assess, write_report
from ai_pm_lab.widgets.base import CourseWidget, action_style

COLOURS = {"met": "#2e7d32", "gap": "#c62828", "missing": "#757575"}
NOT_ANSWERED = "—"


class ChecklistWidget(CourseWidget):
    """One row per question: yes / partly / no, a note, the measured evidence and, as you answer, whether the answer
    is ok, a follow-up or a blocker; 'Write report' writes the Markdown report (the path is on .state['path'])."""

    def __init__(self, evidence: dict, *, path=None, product: str = "Tidewell support assistant"):
        super().__init__()
        if not isinstance(evidence, dict):
            raise InputTypeError("evidence must be the dict from checklist.collect_evidence(...).")
        self.evidence = evidence
        self.path = path
        self.product = product
        self.answers, self.notes, self.verdicts, rows = {}, {}, {}, []
        for q in QUESTIONS:
            ev = evidence.get(q.key)
            status = ev.status if ev is not None else "missing"
            summary = ev.summary if ev is not None else "no measurement supplied"
            # Each control is named (its description is its label, what a screen reader announces): the question's key.
            self.answers[q.key] = W.ToggleButtons(options=[NOT_ANSWERED, "yes", "partly", "no"], value=NOT_ANSWERED,
                                                  description=q.key, style={"button_width": "70px", "description_width": "7.5em"})
            self.notes[q.key] = W.Text(placeholder="note or plan (needed for 'partly')", description="note",
                                       style={"description_width": "7.5em"}, layout=W.Layout(width="95%"))
            label = W.HTML(f"<b>{html.escape(q.text)}</b><br><span style='color:{COLOURS[status]}'>"
                           f"evidence ({html.escape(q.evidence)}): {html.escape(status)}: {html.escape(summary)}</span>")
            self.verdicts[q.key] = W.HTML()
            rows.append(W.VBox([label, W.HBox([self.answers[q.key], self.verdicts[q.key]]), self.notes[q.key]]))
        self.button = W.Button(description="Write report", style=action_style())
        self.summary = W.HTML()
        self.output = W.HTML()
        self._written_with = None  # the answers and notes of the report on screen
        self.button.on_click(lambda _: self.write())
        for w in (*self.answers.values(), *self.notes.values()):
            w.observe(lambda _: self.preview(), names="value")
        self.box = W.VBox([*rows, self.summary, self.button, self.output])
        self.preview()

    def _ipython_display_(self):
        display(self.box)

    def current_answers(self) -> dict:
        """The answers as set in the widget ('' where not answered)."""
        return {k: ("" if w.value == NOT_ANSWERED else w.value) for k, w in self.answers.items()}

    def _inputs(self) -> tuple:
        return tuple(self.current_answers().items()) + tuple(self._notes().items())

    def _notes(self) -> dict:
        return {k: w.value for k, w in self.notes.items()}

    def preview(self) -> dict:
        """Judge the answers as they are set (no file written): each row says ok / follow-up / blocker and why, the
        summary line gives the verdict the report would carry. Write report is greyed out while the report on screen
        already matches the answers."""
        self.state = {"path": None, **self.attempt(assess, self.current_answers(), self.evidence, self._notes())}
        self._draw_assessment()
        return self.state

    def _draw_assessment(self) -> None:
        s = self.state
        if s["error"]:
            self.summary.value = f"<span style='color:#c62828'>{html.escape(s['error'])}</span>"
        else:
            for row in s["rows"]:
                colour = {"ok": COLOURS["met"], "follow-up": "#ef6c00", "blocker": COLOURS["gap"]}[row["status"]]
                self.verdicts[row["key"]].value = (f"<span style='color:{colour}'>{html.escape(row['status'])}: "
                                                   f"{html.escape(row['why'])}</span>")
            self.summary.value = (f"Answered {s['answered']} of {len(QUESTIONS)} · so far: <b>{html.escape(s['verdict'])}</b>"
                                  " (Write report saves it)")
        self._sync_button()

    def _sync_button(self) -> None:
        written = self._written_with == self._inputs()
        self.button.disabled = written
        self.button.tooltip = ("The report below matches these answers: change an answer or a note to write it again"
                               if written else "Assess the answers against the evidence and write the report")

    def _assess_and_write(self) -> dict:
        result = assess(self.current_answers(), self.evidence, self._notes())
        return {**result, "path": write_report(result, self.path, product=self.product)}

    def write(self) -> dict:
        """Assess the answers against the evidence and write the report; errors are shown, never raised."""
        self.state = self.attempt(self._assess_and_write)
        if self.state["error"]:
            self.output.value = f"<span style='color:#c62828'>{html.escape(self.state['error'])}</span>"
            self._written_with = None
            self._sync_button()
        else:
            blockers = ", ".join(self.state["blockers"]) or "none"
            self.output.value = (f"<b>{html.escape(self.state['verdict'])}</b> · blockers: {html.escape(blockers)}"
                                 f"<br>report written to <code>{html.escape(str(self.state['path']))}</code>")
            self._written_with = self._inputs()
            self._draw_assessment()
        return self.state
