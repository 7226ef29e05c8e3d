"""Shared helpers of the limits experiments: one call to the model, and argument checks."""
from __future__ import annotations

from ai_pm_lab.datafiles import data_csv, data_jsonl, data_text
from ai_pm_lab.errors import require_number, require_text
from ai_pm_lab.text import contains_phrase, normalise


def ask(prompt: str, *, system: str | None = None, history=None, temperature: float = 0.0, max_tokens: int = 32,
        seed: int | None = 0, backend: str | None = None):
    """One call to the active model (tests replace this function to run without a model)."""
    from ai_pm_lab.llm.generate import generate

    return generate(prompt, system=system, history=history, temperature=temperature, max_tokens=max_tokens,
                    seed=seed, backend=backend)


def check_n(n, name: str = "n", high: int = 200) -> int:
    """A whole number of samples between 1 and ``high``."""
    return require_number(n, name, low=1, high=high, integer=True)


def check_temperature(t, name: str = "temperature") -> float:
    """A temperature between 0 and 2."""
    return float(require_number(t, name, low=0, high=2))


__all__ = ["ask", "check_n", "check_temperature", "contains_phrase", "data_csv", "data_jsonl", "data_text", "normalise",
           "require_number", "require_text"]
