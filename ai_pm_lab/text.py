"""Text helpers shared by every scorer: normalisation and whole-phrase matching."""
from __future__ import annotations

import re


def normalise(text: str) -> str:
    """Lower-case, drop punctuation (keeping digits, letters, / . : - inside words), squeeze spaces."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s/:.,'@-]", " ", text)
    text = re.sub(r"(?<!\w)[.,:'-]|[.,:'-](?!\w)", " ", text)
    return " ".join(text.split())


def contains_phrase(answer: str, phrase: str, *, case_sensitive: bool = False) -> bool:
    """Whether ``phrase`` occurs in ``answer`` as whole words (after normalisation unless case-sensitive)."""
    if case_sensitive:
        return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", answer) is not None
    return re.search(rf"(?<!\w){re.escape(normalise(phrase))}(?!\w)", normalise(answer)) is not None
