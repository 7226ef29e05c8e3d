"""The capstone's self-assessment rubric and the 'what next' page, as data (the notebook shows them as tables)."""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.tables import returns_course_table

RUBRIC = (
    ("Problem and criteria", "Criteria written after seeing results, or no baseline",
     "Criteria with a measured baseline and a target", "Criteria and guardrails agreed before measuring, each tied to a user or business harm"),
    ("Data and documents", "Ran on the sample only", "Ran on own documents; skipped files not explained",
     "Own documents; every skipped file and every date source checked; versions of the same policy resolved on purpose"),
    ("Evaluation", "Looked at a few answers", "Ran the test set and read the gate table",
     "Test set includes questions the documents cannot answer; knows which failures are retrieval and which are the model"),
    ("Launch decision", "Launch or not decided by impression", "Decision follows the gate",
     "Decision follows the gate, names the blocking criterion and what would change it"),
    ("Shadow and canary", "Skipped", "Ran both and read the verdict",
     "Can explain each canary decision from the guardrails and why early stages need enough requests to judge"),
    ("Monitoring", "No log", "Log kept and dashboard looked at", "Knows which dashboard number would trigger a rollback or a content fix"),
    ("Improvement loop", "No change measured", "Added content and re-ran",
     "Picked the gap from the log by volume, added content, measured before/after on the same questions, checked for regressions"),
    ("Presentation", "No memo", "Memo generated", "Memo and deck presented; every number in them traced to the run; the ask is explicit"),
)
LEVELS = ("1 · getting started", "2 · solid", "3 · strong")

NEXT_STEPS = (
    ("Try a stronger model", "Put OPENAI_API_KEY or ANTHROPIC_API_KEY in .env (or OPENAI_BASE_URL for a local server such as "
     "llama.cpp's or Ollama's OpenAI-compatible endpoint), restart the kernel and run this notebook again: the same cells "
     "measure the new model against the same criteria, so the memo's tables compare like for like."),
    ("Use your own documents", "Set MY_FOLDER to a folder of your help articles, add questions.csv with real customer "
     "questions (and expected answers), and rerun."),
    ("Keep the loop running", "Review declined questions weekly, fix the largest group first, and re-run the gate before "
     "every prompt, model or content change."),
    ("Keep learning", "Try new models and tools as they appear and measure them with your own test set; join an AI product "
     "community; read how teams in your industry evaluate and monitor their AI features; then build something bigger."),
)


@returns_course_table
def rubric_table() -> pd.DataFrame:
    """The self-assessment rubric: one row per area, one column per level."""
    return pd.DataFrame([row[1:] for row in RUBRIC], index=[row[0] for row in RUBRIC], columns=list(LEVELS))


def self_assess(scores: dict) -> dict:
    """Your scores from {area: level 1-3}: 'scored' (how many rows), 'to score' (rows still empty), and once every row
    is scored, 'total', 'out of' and 'work on next' (the lowest rows). An empty dict is "not scored yet", never a total.
    Unknown areas or levels are a clear InputError."""
    if scores is None:
        scores = {}
    if not isinstance(scores, dict):
        raise InputTypeError("scores must be a dict of area -> level (1, 2 or 3), e.g. {'Evaluation': 2}.")
    areas = [r[0] for r in RUBRIC]
    for area, level in scores.items():
        if area not in areas:
            raise InputError(f"Unknown area {area!r}: choose from {', '.join(areas)}.")
        if isinstance(level, bool) or level not in (1, 2, 3):
            raise InputError(f"{area}: level must be 1, 2 or 3, not {level!r}.")
    left = [a for a in areas if a not in scores]
    if left:
        return {"status": "not scored yet" if not scores else "partly scored", "scored": len(scores),
                "to score": left}
    low = min(scores.values())
    return {"status": "scored", "scored": len(scores), "total": sum(scores.values()), "out of": 3 * len(scores),
            "work on next": [a for a, v in scores.items() if v == low and low < 3]}


@returns_course_table
def next_steps_table() -> pd.DataFrame:
    """What to do after the course."""
    return pd.DataFrame(NEXT_STEPS, columns=["next step", "how"])
