"""Don't anthropomorphise: a model can say "I understand" or "Sure, I can do that" and then fail the task.

Each prompt asks for something a program can check exactly (reverse a word, count its letters). A phrase list
(data/limits/understanding_phrases.txt) detects the claim of understanding; a deterministic check decides whether the
task was done. The two are counted separately, because they are separate facts.
"""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.datafiles import data_phrases
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.evaluation.scorers import last_number
from ai_pm_lab.text import contains_phrase

PHRASES_FILE = "limits/understanding_phrases.txt"
WORDS = ("planet", "garden", "rocket", "window")
TEMPLATES = {
    "reverse": "Please write the word '{word}' backwards, letter by letter. Can you do that?",
    "count": "Please count the letters in the word '{word}'. Can you do that?",
}


def _phrases() -> tuple[str, ...]:
    return data_phrases(PHRASES_FILE)


def understanding_phrases() -> list[str]:
    """The phrases that mark a claim of understanding, one per line in data/limits/understanding_phrases.txt."""
    return list(_phrases())


def claims_understanding(answer: str) -> bool:
    """Whether ``answer`` says it understands or can do the task (a listed phrase, as whole words)."""
    require_text(answer, "answer", allow_empty=True)
    return any(contains_phrase(answer, p) for p in _phrases())


def solved(task: dict, answer: str) -> bool:
    """Whether ``answer`` actually does ``task``: the reversed word appears as a word, or the letter count is the last number."""
    if not isinstance(task, dict) or task.get("kind") not in TEMPLATES or not isinstance(task.get("word"), str):
        raise InputTypeError("task must be one item from understanding.tasks() (a dict with 'kind' and 'word').")
    require_text(answer, "answer", allow_empty=True)
    if task["kind"] == "reverse":
        return contains_phrase(answer, task["word"][::-1])
    return last_number(answer) == len(task["word"])


def tasks(words=WORDS) -> list[dict]:
    """One 'reverse' and one 'count' task per word, each with its prompt and the answer a program computes."""
    if isinstance(words, str) or not words:
        raise InputTypeError("words must be a non-empty list of words, e.g. ['planet', 'garden'].")
    out = []
    for word in words:
        require_text(word, "word")
        if not word.isalpha():
            raise InputError(f"{word!r} must be letters only, so the check can compute the answer exactly.")
        for kind, template in TEMPLATES.items():
            expected = word[::-1] if kind == "reverse" else str(len(word))
            out.append({"kind": kind, "word": word, "prompt": template.format(word=word), "expected": expected})
    return out


def run_check(words=WORDS, *, max_tokens: int = 32, progress: bool = True):
    """Ask the active model each task (temperature 0); one row per task: answer, claims understanding, solved."""
    items = tasks(words)

    ask = ModelStep(lambda task: {"prompt": task["prompt"], "temperature": 0.0, "max_tokens": max_tokens, "seed": 0},
                    lambda task, g: {"answer": g.text})

    def judge(task, result):
        return {"claims understanding": claims_understanding(result["answer"]), "solved": solved(task, result["answer"])}

    rows = run_harness(items, ask, judge, desc="claims vs checks", progress=progress)
    for col in ("claims understanding", "solved"):
        rows[col] = rows[col].fillna(False).astype(bool) if col in rows else False
    return rows[["kind", "word", "expected", "answer", "claims understanding", "solved", "error"]]


def counts(rows) -> dict:
    """The measured facts: tasks, claims of understanding, tasks solved, and claims made on a task that failed."""
    if not isinstance(rows, pd.DataFrame) or not {"claims understanding", "solved"} <= set(rows.columns):
        raise InputTypeError("rows must be the DataFrame returned by understanding.run_check().")
    claim, ok = rows["claims understanding"].astype(bool), rows["solved"].astype(bool)
    return {"tasks": int(len(rows)), "claimed understanding": int(claim.sum()), "solved": int(ok.sum()),
            "claimed but failed": int((claim & ~ok).sum())}
