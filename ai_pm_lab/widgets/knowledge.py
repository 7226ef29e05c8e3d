"""Knowledge-check widget: a week's questions as radio buttons, a Check button, feedback per answer with its why,
and (after the lesson) the learner's own before/after result as one line and one small chart."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab import knowledge
from ai_pm_lab.errors import InputTypeError
from ai_pm_lab.plots import figure_html
from ai_pm_lab.widgets.base import CourseWidget, action_style, error_html

RIGHT, WRONG, SKIPPED = "#2e7d32", "#c62828", "#757575"


class KnowledgeCheck(CourseWidget):
    """The week's questions; press Check for feedback. ``.state``: answers, rows, correct, total, score, path, sent.

    ``measured`` (after the lesson) is a dict of figures the lesson computed; feedback quotes them where a question
    asks for one, and falls back to the plain why when a figure is missing."""

    def __init__(self, week: int, phase: str = "before", *, measured: dict | None = None, folder=None):
        super().__init__()
        if measured is not None and not isinstance(measured, dict):
            raise InputTypeError("measured must be a dict of name -> value computed in the lesson.")
        self.questions = knowledge.load_questions(week)
        self.week, self.phase = week, knowledge.check_phase(phase)
        self.measured = dict(measured or {})
        self.folder = folder
        when = "before the lesson" if phase == "before" else "after the lesson"
        head = W.HTML(f"<b>Knowledge check · week {week} · {when}</b> ({len(self.questions)} questions)")
        self.radios, self.feedback, rows = {}, {}, []
        for n, q in enumerate(self.questions, 1):
            prompt = W.HTML(f"<b>{n}.</b> {html.escape(q.prompt)}")
            radio = W.RadioButtons(options=knowledge.shown_choices(q), value=None, description=f"Question {n}",
                                   tooltip=q.prompt, style={"description_width": "initial"},
                                   layout=W.Layout(width="auto"))
            radio.observe(lambda _: self._answers_changed(), names="value")
            self.radios[q.id] = radio
            self.feedback[q.id] = W.HTML()
            rows.append(W.VBox([prompt, radio, self.feedback[q.id]]))
        self.status = W.HTML()
        self.button = W.Button(description="Check", style=action_style(),
                               tooltip="Score your answers and show why each answer is right")
        self.button.on_click(lambda _: self.check())
        self.summary = W.HTML()
        self.chart = W.HTML(layout=W.Layout(display="none"))  # an <img> with alt text (plots.figure_html)
        self.box = W.VBox([head, *rows, W.HBox([self.button, self.status]), self.summary, self.chart])
        self._answers_changed()

    def _ipython_display_(self):
        display(self.box)

    def answers(self) -> dict:
        """The choices as set in the widget (question id -> choice, None where not answered)."""
        return {qid: radio.value for qid, radio in self.radios.items()}

    def _answers_changed(self) -> None:
        answered = sum(v is not None for v in self.answers().values())
        self.status.value = f"Answered {answered} of {len(self.questions)}"
        for box in self.feedback.values():  # feedback belongs to the answers that were checked
            box.value = ""
        self.button.disabled = False

    def _score_and_keep(self) -> dict:
        scored = knowledge.score_answers(self.questions, self.answers(), self.measured)
        path = knowledge.record_result(self.week, self.phase, scored, self.folder)
        sent = knowledge.send_to_room(self.week, self.phase, scored)
        rows = knowledge.progress(self.folder)
        return {**scored, "answers": self.answers(), "path": path, "sent": sent, "progress": rows,
                "line": knowledge.progress_line(rows, self.week)}

    def check(self) -> dict:
        """Score the answers, keep the result on this machine and show feedback; errors are shown, never raised."""
        self.state = self.attempt(self._score_and_keep)
        if self.state["error"]:
            self.summary.value = error_html(self.state["error"])
            return self.state
        for row in self.state["rows"]:
            if row["correct"] is None:
                mark, colour = f"Not answered. The answer: {row['answer']}.", SKIPPED
            elif row["correct"]:
                mark, colour = "Right.", RIGHT
            else:
                mark, colour = f"Not quite: the answer is {row['answer']}.", WRONG
            self.feedback[row["id"]].value = (f"<span style='color:{colour}'><b>{html.escape(mark)}</b></span> "
                                              f"{html.escape(row['feedback'])}")
        s = self.state
        self.summary.value = (f"<b>{s['correct']} of {s['total']} right.</b> {html.escape(s['line'])}"
                              " (kept on this machine)")
        if self.phase == "after":
            self.chart.value = _chart_html(s["progress"])
            self.chart.layout.display = None
        self.button.disabled = True
        self.button.tooltip = "Checked: change an answer to check again"
        return self.state


def _chart_html(rows: list[dict]) -> str:
    ax = knowledge.progress_chart(rows)
    fig = ax.figure
    fig.set_dpi(90)
    fig.tight_layout()
    page = figure_html(fig)
    plt.close(fig)
    return page


def knowledge_check(week: int, phase: str = "before", measured: dict | None = None) -> KnowledgeCheck:
    """The week's knowledge check as a widget (``phase`` 'before' or 'after'; ``measured``: figures the lesson computed)."""
    return KnowledgeCheck(week, phase, measured=measured)
