"""Friendly per-exercise checks: each prints a verdict and a hint, records the result, and never raises."""
from __future__ import annotations

from dataclasses import dataclass

_RESULTS: dict[str, bool] = {}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one exercise check."""

    exercise: str
    passed: bool
    message: str

    def _repr_markdown_(self) -> str:
        icon = "✅" if self.passed else "💡"
        return f"{icon} **{self.exercise}**: {self.message}"

    def __repr__(self) -> str:
        return f"{'PASS' if self.passed else 'NOT YET'} {self.exercise}: {self.message}"


def report(exercise: str, passed: bool, *, success: str = "Well done.", hint: str = "Not yet.") -> CheckResult:
    """Record and return a check result (shown as a friendly line in the notebook)."""
    result = CheckResult(exercise, bool(passed), success if passed else hint)
    _RESULTS[exercise] = result.passed
    return result


def check(exercise: str, test, *, success: str = "Well done.", hint: str = "Not yet.") -> CheckResult:
    """Run ``test()`` (a zero-argument callable returning truthy on success); any exception counts as 'not yet'."""
    try:
        passed = bool(test())
        detail = ""
    except Exception as exc:  # a learner's unfinished stub must not stop the notebook
        passed = False
        detail = f" (your code raised {type(exc).__name__}: {exc})"
    return report(exercise, passed, success=success, hint=hint + detail)


def results() -> dict[str, bool]:
    """Every check run in this kernel so far: exercise id -> passed."""
    return dict(_RESULTS)


def summary() -> str:
    """A one-line score for the end of an exercise notebook."""
    done = sum(_RESULTS.values())
    return f"{done} of {len(_RESULTS)} checks passed."
