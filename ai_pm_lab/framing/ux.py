"""The human side of an AI feature, as a worksheet: how the product shows it is unsure, what happens when it is wrong,
and how users' corrections come back to the team. The questions follow the ideas of Google's People + AI Research
(PAIR) guidebook, in the course's own words. A filled worksheet goes on the one-pager (OpportunityCanvas.ux)."""
from __future__ import annotations

from dataclasses import dataclass

from ai_pm_lab.errors import CanvasError, InputTypeError

QUESTIONS = {
    "expectations": "What will you tell users the feature can and cannot do, before they rely on it?",
    "uncertainty": "When the model is unsure, what does the user see (a confidence cue, a shorter answer, a question "
                   "back, nothing automatic)? Which measured figure sets that line?",
    "errors": "Which mistake hurts users more, and how does a user notice and undo one (a fallback, a human, an undo)?",
    "feedback": "How do users correct the feature, what signal is kept, and who looks at it how often?",
}
MIN_WORDS = 6


@dataclass(frozen=True)
class UXWorksheet:
    """Answers to the four questions in ``QUESTIONS`` (expectations, uncertainty, errors, feedback)."""

    expectations: str
    uncertainty: str
    errors: str
    feedback: str

    def problems(self) -> list[str]:
        """Every answer still missing or too thin to act on, each saying what to write (empty list = ready)."""
        out = []
        for name, question in QUESTIONS.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                out.append(f"worksheet: {name} must be text, not {type(value).__name__}.")
            elif not value or len(value.split()) < MIN_WORDS:
                out.append(f"worksheet: {name} needs an answer of at least {MIN_WORDS} words: {question}")
        return out

    def validate(self) -> "UXWorksheet":
        """Return self if every answer is there, else raise CanvasError listing what to write."""
        problems = self.problems()
        if problems:
            raise CanvasError(problems, "The worksheet")
        return self

    def to_markdown(self) -> str:
        """The worksheet as a Markdown section body (question in bold, answer below)."""
        self.validate()
        return "\n\n".join(f"**{QUESTIONS[name]}**\n{getattr(self, name).strip()}" for name in QUESTIONS)


def ux_worksheet(expectations: str, uncertainty: str, errors: str, feedback: str) -> UXWorksheet:
    """A validated worksheet (raises CanvasError naming every missing answer)."""
    for name, value in (("expectations", expectations), ("uncertainty", uncertainty), ("errors", errors),
                        ("feedback", feedback)):
        if value is not None and not isinstance(value, str):
            raise InputTypeError(f"{name} must be text (your answer in quotes), not {type(value).__name__}.")
    return UXWorksheet(expectations, uncertainty, errors, feedback).validate()
