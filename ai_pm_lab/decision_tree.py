"""The AI product decision tree: five yes/no questions that decide whether (and how) to build with AI."""
from __future__ import annotations

from dataclasses import dataclass

from ai_pm_lab.errors import InputError, InputTypeError

QUESTIONS = (
    ("needs_ai", "Does the problem actually need AI (fuzzy language, judgement, patterns rules can't capture)?",
     "Use traditional software: rules, search or a form will be cheaper, faster and predictable."),
    ("has_data", "Do you have data to build and, above all, to evaluate it (real examples with known good answers)?",
     "Start with a data strategy: collect and label examples before building anything."),
    ("tolerates_variability", "Can users and the business live with answers that are sometimes wrong or vary run to run?",
     "Consider a hybrid (AI drafts, rules or people approve) or traditional software."),
    ("affords_inference", "Can the unit economics absorb a cost on every single request?",
     "Optimise (smaller model, caching, shorter prompts) or reconsider the feature."),
    ("has_feedback_loop", "Is there a feedback loop (ratings, corrections, escalations) to learn what goes wrong?",
     "Build the feedback loop before launch: without it you can't improve or even notice failures."),
)
GO = "Build it, ship a small version, measure, and iterate."


@dataclass(frozen=True)
class Recommendation:
    """Where the answers lead: the questions walked, the verdict and whether it is a go."""

    path: tuple[str, ...]
    verdict: str
    go: bool
    stopped_at: str | None


def recommend(**answers: bool) -> Recommendation:
    """Walk the tree with yes/no answers (keyword per question id) and return the recommendation."""
    keys = [q[0] for q in QUESTIONS]
    unknown = set(answers) - set(keys)
    if unknown:
        raise InputError(f"Unknown question id(s) {sorted(unknown)}: use {keys}.")
    path = []
    for key, question, if_no in QUESTIONS:
        if key not in answers:
            raise InputError(f"Answer every question the walk reaches: missing {key!r} ({question})")
        value = answers[key]
        if not isinstance(value, bool):
            raise InputTypeError(f"Answer {key!r} with True (yes) or False (no), not {value!r}.")
        path.append(f"{question} → {'yes' if value else 'no'}")
        if not value:
            return Recommendation(tuple(path), if_no, False, key)
    return Recommendation(tuple(path), GO, True, None)
