"""The form every decision exercise records: ``dict(choice=..., why=...)`` with the choice taken from listed options."""
from __future__ import annotations


def read_decision(decision, options) -> tuple[str | None, str]:
    """(choice, problem) from a learner's ``dict(choice=..., why=...)``; problem is "" when the form is right."""
    if not isinstance(decision, dict) or "choice" not in decision:
        return None, "Record the decision as dict(choice=..., why=...)."
    choice = str(decision.get("choice")).strip()
    if choice not in options:
        return None, f"Pick one of the listed options: {', '.join(options)} (you wrote {choice!r})."
    if len(str(decision.get("why") or "").split()) < 3:
        return choice, "Add a short `why` (a sentence) that names what you measured."
    return choice, ""
