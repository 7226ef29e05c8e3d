"""One refusal detector for every week: does an answer decline ("I don't know", "not in the documents")?"""
from __future__ import annotations

import re
from functools import lru_cache

from ai_pm_lab.datafiles import data_text
from ai_pm_lab.errors import require_text

PHRASES_FILE = "evaluation/refusal_phrases.txt"


def refusal_phrases() -> list[str]:
    """The phrases that mark a refusal, one per line in data/evaluation/refusal_phrases.txt."""
    return [ln.strip() for ln in data_text(PHRASES_FILE).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    parts = [r"\s+".join(re.escape(w) for w in p.lower().split()) for p in refusal_phrases()]
    return re.compile(r"(?<![\w'])(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?![\w'])")


def is_refusal(answer: str) -> bool:
    """Whether ``answer`` declines to answer: a refusal phrase occurs as whole words (case-insensitive)."""
    text = require_text(answer, "answer", allow_empty=True).lower().replace("’", "'")
    return _pattern().search(text) is not None
