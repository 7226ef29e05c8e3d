"""Automatic scorers: each takes a model's answer and returns a verdict or a score.

Exact-ish checks for labelled tasks (contains, normalised, JSON fields, last number, first label, a rubric), and
checks against a gold answer or a retrieved context (answer_correct, groundedness, unsupported_numbers)."""
from __future__ import annotations

import json
import re

from ai_pm_lab.errors import require_text
from ai_pm_lab.evaluation.refusals import is_refusal
from ai_pm_lab.text import contains_phrase, content_words, normalise, words

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
SIGNED_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
# Words that turn a "yes" into a "no", besides any word ending in "n't" (don't, isn't, won't, …). Not "only":
# "Yes, only on annual plans" is a yes with a condition.
NEGATIONS = frozenset({"no", "not", "never", "cannot", "cant", "dont", "doesnt", "isnt", "arent", "wont"})
_DECODER = json.JSONDecoder()


# ---------- answers to labelled tasks ----------

def score_contains(answer: str, accepted, *, case_sensitive: bool = False) -> bool:
    """True if ``answer`` contains any accepted phrase as whole words."""
    require_text(answer, "answer", allow_empty=True)
    if isinstance(accepted, str):
        accepted = [accepted]
    return any(contains_phrase(answer, a, case_sensitive=case_sensitive) for a in accepted)


def score_normalised(answer: str, expected: str) -> bool:
    """True if ``answer`` equals ``expected`` after lower-casing and dropping punctuation."""
    require_text(answer, "answer", allow_empty=True)
    return normalise(answer) == normalise(require_text(expected, "expected"))


def extract_json(answer: str):
    """The first JSON object in ``answer`` (code fences allowed), or None if there is no valid one."""
    require_text(answer, "answer", allow_empty=True)
    start = answer.find("{")
    while start != -1:  # one decode per opening brace: the decoder stops where the value ends, whatever follows
        try:
            value, _ = _DECODER.raw_decode(answer, start)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
        start = answer.find("{", start + 1)
    return None


def is_negated(answer: str) -> bool:
    """Whether ``answer`` says no: a negation word (no, not, never, cannot, …) or any word ending in "n't"."""
    return any(w in NEGATIONS or w.endswith("n't") for w in words(answer))


def score_json(answer: str, expected: dict) -> bool:
    """True if ``answer`` holds a JSON object with every expected field (values compared after normalisation)."""
    obj = extract_json(answer)
    if obj is None:
        return False
    got = {str(k).strip().lower(): v for k, v in obj.items()}
    for key, want in expected.items():
        if key.lower() not in got:
            return False
        if normalise(str(got[key.lower()])) != normalise(str(want)):
            return False
    return True


def last_number(answer: str) -> float | None:
    """The last number written in ``answer`` (commas ignored), or None."""
    require_text(answer, "answer", allow_empty=True)
    found = [m.group(0).replace(",", "") for m in SIGNED_NUMBER_RE.finditer(answer)]
    found = [f for f in found if f not in ("-", "")]
    return float(found[-1]) if found else None


def score_numeric(answer: str, expected: float, *, tolerance: float = 0.01) -> bool:
    """True if the last number in ``answer`` is within ``tolerance`` of ``expected``."""
    value = last_number(answer)
    return value is not None and abs(value - float(expected)) <= tolerance


def first_label(answer: str, options) -> str | None:
    """The allowed label mentioned first in ``answer`` (longest wins a tie, so 'not spam' beats 'spam')."""
    require_text(answer, "answer", allow_empty=True)
    text = normalise(answer)
    best = None
    for opt in options:
        m = re.search(rf"(?<!\w){re.escape(normalise(opt))}(?!\w)", text)
        if m and (best is None or (m.start(), -len(opt)) < (best[0], -len(best[1]))):
            best = (m.start(), opt)
    return None if best is None else best[1]


def score_label(answer: str, expected: str, *, options) -> bool:
    """True if the first allowed label in ``answer`` is ``expected``."""
    return first_label(answer, options) == expected


def score_rubric(answer: str, topic_words, *, min_words: int = 4, max_words: int = 40) -> bool:
    """Open-generation rubric: min..max words and at least one topic word (prefix match) present."""
    require_text(answer, "answer", allow_empty=True)
    n = len(answer.split())
    low = answer.lower()
    return min_words <= n <= max_words and any(w.lower() in low for w in topic_words)


# ---------- answers against a gold answer or a context ----------

def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER_RE.findall(text or "")}


def answer_correct(answer: str, gold: str) -> bool:
    """Lenient match: every number in the gold answer appears in the answer; with no numbers, half its key words do;
    a gold 'yes'/'no' must match the answer's polarity. An empty gold answer means 'should refuse' (is_refusal)."""
    require_text(answer, "answer", allow_empty=True)
    require_text(gold, "gold", allow_empty=True)
    if not gold:
        return is_refusal(answer)
    if is_refusal(answer):
        return False
    first = gold.strip().lower().split(",")[0].split()[0] if gold.strip() else ""
    if first in ("yes", "no"):
        negated = is_negated(answer)
        if (first == "no") != negated:
            return False
        rest = gold.strip()[len(first):].strip(" ,.;")
        return answer_correct(answer, rest) if rest else True
    nums = _numbers(gold)
    if nums:
        return nums <= _numbers(answer)
    g, a = set(content_words(gold)), set(content_words(answer))
    return bool(g) and len(g & a) / len(g) >= 0.5


def groundedness(answer: str, context: str) -> float:
    """Share of the answer's key words that also appear in the context (1.0 = every word traceable to a source)."""
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    found = content_words(answer)
    if not found:
        return 1.0
    ctx = set(content_words(context))
    return sum(w in ctx for w in found) / len(found)


def unsupported_numbers(answer: str, context: str) -> list[str]:
    """Numbers in the answer that appear nowhere in the context (a common sign of a made-up detail)."""
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    ctx = _numbers(context)
    return sorted(n for n in _numbers(answer) if n not in ctx)
