"""One refusal detector for every week: does an answer decline ("I don't know", "not in the documents")?

The phrases live in data/evaluation/refusal_phrases.txt; data/evaluation/refusal_examples.csv holds labelled answers
(refusals and look-alikes that are not) that tests/test_refusals.py checks the list against."""
from __future__ import annotations

import re
from functools import lru_cache

from ai_pm_lab.datafiles import data_csv, data_phrases
from ai_pm_lab.errors import require_text

PHRASES_FILE = "evaluation/refusal_phrases.txt"
EXAMPLES_FILE = "evaluation/refusal_examples.csv"


def _phrases() -> tuple[str, ...]:
    return data_phrases(PHRASES_FILE)


def refusal_phrases() -> list[str]:
    """The phrases that mark a refusal, one per line in data/evaluation/refusal_phrases.txt."""
    return list(_phrases())


def _phrase_pattern(phrase: str) -> str:
    """A phrase as a regex: words separated by any white space, an apostrophe optional ("don't" matches "dont")."""
    return r"\s+".join(re.escape(w).replace("'", "'?") for w in phrase.split())


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    parts = sorted((_phrase_pattern(p) for p in _phrases()), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])")


def is_refusal(answer: str) -> bool:
    """Whether ``answer`` declines to answer: a refusal phrase occurs in it as whole words (case-insensitive)."""
    text = require_text(answer, "answer", allow_empty=True).lower().replace("’", "'")
    return _pattern().search(text) is not None


def refusal_examples() -> list[tuple[str, bool]]:
    """The labelled answers (text, is a refusal) the phrase list is tested against."""
    return [(r["text"], r["is_refusal"].strip().lower() == "true") for r in data_csv(EXAMPLES_FILE)]
