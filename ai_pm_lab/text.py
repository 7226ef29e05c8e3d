"""Text helpers shared by every scorer: normalisation, whole-phrase matching, one word splitter and one stop-word list."""
from __future__ import annotations

import re

from ai_pm_lab.errors import require_text

# Function words that carry no topic: dropped when two texts are compared by their content words.
STOPWORDS = frozenset(
    "a an the and or but of to in on at for from by with as into about up down out over under again per each "
    "is are was were be been it its this that these those there here than then so if "
    "can could do does did should would will shall may might must has have had "
    "not no yes "
    "i me my you your he she we our us they their them "
    "what which who whom when where why how any all only also just".split()
)
WORD_RE = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def normalise(text: str) -> str:
    """Lower-case, drop punctuation (keeping digits, letters, / . : - inside words), squeeze spaces."""
    text = require_text(text, "text", allow_empty=True).lower().replace("’", "'")
    text = re.sub(r"[^\w\s/:.,'@-]", " ", text)
    text = re.sub(r"(?<!\w)[.,:'-]|[.,:'-](?!\w)", " ", text)
    return " ".join(text.split())


def contains_phrase(answer: str, phrase: str, *, case_sensitive: bool = False) -> bool:
    """Whether ``phrase`` occurs in ``answer`` as whole words (after normalisation unless case-sensitive)."""
    if case_sensitive:
        return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", answer) is not None
    return re.search(rf"(?<!\w){re.escape(normalise(phrase))}(?!\w)", normalise(answer)) is not None


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` in order (letters and digits; "don't", "3.5" and "v2.1" stay one word)."""
    return WORD_RE.findall(require_text(text, "text", allow_empty=True).lower().replace("’", "'"))


def stem(word: str) -> str:
    """A light plural stem: 'refunds' -> 'refund', but 'class', 'bus' and 'is' stay as they are."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic: stop words dropped, plurals stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
