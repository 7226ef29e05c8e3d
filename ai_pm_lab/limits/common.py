"""Argument checks shared by the limits experiments (sample counts, temperatures)."""
from __future__ import annotations

from ai_pm_lab.errors import require_number


def check_n(n, name: str = "n", high: int = 200) -> int:
    """A whole number of samples between 1 and ``high``."""
    return require_number(n, name, low=1, high=high, integer=True)


def check_temperature(t, name: str = "temperature") -> float:
    """A temperature between 0 and 2."""
    return float(require_number(t, name, low=0, high=2))
