"""Shared helpers for week 2: data loading, one call to the model, text normalisation."""
from __future__ import annotations

import csv
import json
import re
from functools import lru_cache
from importlib import resources

from ..errors import require_number, require_text


def data_text(name: str) -> str:
    """The text of a file in ai_pm_lab/data/week2/."""
    return resources.files("ai_pm_lab").joinpath(f"data/week2/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def data_csv(name: str) -> tuple[dict, ...]:
    """Rows of a CSV file in ai_pm_lab/data/week2/ as dicts."""
    return tuple(csv.DictReader(data_text(name).splitlines()))


@lru_cache(maxsize=None)
def data_jsonl(name: str) -> tuple[dict, ...]:
    """Records of a JSON-lines file in ai_pm_lab/data/week2/."""
    return tuple(json.loads(line) for line in data_text(name).splitlines() if line.strip())


def ask(prompt: str, *, system: str | None = None, history=None, temperature: float = 0.0, max_tokens: int = 32,
        seed: int | None = 0, backend: str | None = None):
    """One call to the active model (tests replace this function to run without a model)."""
    from ..llm import generate

    return generate(prompt, system=system, history=history, temperature=temperature, max_tokens=max_tokens,
                    seed=seed, backend=backend)


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


def check_n(n, name: str = "n", high: int = 200) -> int:
    """A whole number of samples between 1 and ``high``."""
    return require_number(n, name, low=1, high=high, integer=True)


def check_temperature(t, name: str = "temperature") -> float:
    """A temperature between 0 and 2."""
    return float(require_number(t, name, low=0, high=2))


__all__ = ["ask", "check_n", "check_temperature", "contains_phrase", "data_csv", "data_jsonl", "data_text", "normalise",
           "require_number", "require_text"]
