"""Friendly per-exercise checks: each prints a verdict and a hint, records the result, and never raises.

Every check in ``ai_pm_lab/checks/weekNN.py`` goes through :func:`exercise_check`: a missing input (a set-up cell
skipped, so the variable is None, NaN, blank or empty, or of the wrong kind) gives "not yet: run the cell that makes
it first", and anything unexpected gives "not yet" with a one-line reason. Neither is ever a pass.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError

_RESULTS: dict[str, bool] = {}
_LISTENERS: list = []

PASS, NOT_YET, MISSING, ERROR = "pass", "not yet", "missing input", "error"


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one exercise check.

    ``status`` is "pass", "not yet" (an unfinished or wrong answer), "missing input" (``missing`` names the argument
    that holds no data) or "error" (the check could not read its inputs)."""

    exercise: str
    passed: bool
    message: str
    status: str = ""
    missing: str = ""

    def __post_init__(self):
        if not self.status:
            object.__setattr__(self, "status", PASS if self.passed else NOT_YET)

    def _repr_markdown_(self) -> str:
        icon = "✅" if self.passed else "💡"
        return f"{icon} **{self.exercise}**: {self.message}"

    def __repr__(self) -> str:
        return f"{'PASS' if self.passed else 'NOT YET'} {self.exercise}: {self.message}"


def _record(result: CheckResult) -> CheckResult:
    _RESULTS[result.exercise] = result.passed
    return result


def report(exercise: str, passed: bool, *, success: str = "Well done.", hint: str = "Not yet.") -> CheckResult:
    """Record and return a check result (shown as a friendly line in the notebook)."""
    return _record(CheckResult(exercise, bool(passed), success if passed else hint))


def check(exercise: str, test, *, success: str = "Well done.", hint: str = "Not yet.") -> CheckResult:
    """Run ``test()`` (a zero-argument callable returning truthy on success); any exception counts as 'not yet'."""
    try:
        passed = bool(test())
        detail = ""
    except Exception as exc:  # a learner's unfinished stub must not stop the notebook
        passed = False
        detail = f" (your code raised {type(exc).__name__}: {_one_line(exc)})"
    return report(exercise, passed, success=success, hint=hint + detail)


def missing_reason(value) -> str:
    """Why ``value`` holds no data ("is None", "is NaN", "is empty", "has a NaN value", ...), or "" when it holds some.

    A list, array or dict of numbers with a NaN among them counts as missing too: a rate nobody measured."""
    if value is None:
        return "is None"
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return "is NaN" if _is_nan(value) else ""
    if isinstance(value, (str, bytes)):
        return "is blank text" if not value.strip() else ""
    if isinstance(value, pd.DataFrame):
        return "is an empty table" if value.empty else ""
    if isinstance(value, Mapping):
        if not value:
            return "is empty"
        nan = [str(k) for k, v in value.items() if v is None or (isinstance(v, numbers.Number) and _is_nan(v))]
        return f"has no value for {', '.join(nan)}" if nan else ""
    if isinstance(value, (pd.Series, pd.Index, np.ndarray, list, tuple, set, frozenset)):
        if len(value) == 0:
            return "is empty"
        try:
            numbers_only = np.asarray(list(value) if isinstance(value, (set, frozenset)) else value, dtype=float)
        except (TypeError, ValueError):
            return ""  # text, ragged lists, objects: nothing numeric to be missing
        return "has a NaN value" if np.isnan(numbers_only).any() else ""
    return ""


def _is_nan(value) -> bool:
    try:
        return math.isnan(abs(value))
    except (TypeError, ValueError, OverflowError):
        return False


def blank_columns(table: pd.DataFrame, columns) -> str:
    """What is missing from ``table`` among ``columns`` (a column, or a value in some row), or "" when nothing is."""
    absent = [c for c in columns if c not in table.columns]
    if absent:
        return f"has no column {', '.join(repr(c) for c in absent)}"
    blank = [c for c in columns if table[c].isna().any()]
    return f"has no value in some rows of {', '.join(repr(c) for c in blank)}" if blank else ""


_KINDS = {  # annotation -> (accepts, what to call it in a message)
    float: (lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool), "a number"),
    int: (lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool), "a whole number"),
    str: (lambda v: isinstance(v, str), "text"),
    dict: (lambda v: isinstance(v, Mapping), "a dict"),
    pd.DataFrame: (lambda v: isinstance(v, pd.DataFrame), "a table (DataFrame)"),
}


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if len(text) <= 160 else text[:157] + "..."


def missing_input(exercise: str, name: str, why: str) -> CheckResult:
    """Record and return "not yet" for ``exercise`` because its argument ``name`` holds no data (``why``, e.g. "is
    None")."""
    return _record(CheckResult(
        exercise, False, f"Not yet, no data: `{name}` {why}; run the cell that makes `{name}` first, then this check "
                         "again.", MISSING, name))


def exercise_check(exercise: str, *, answers: tuple[str, ...] = (), tables: dict | None = None):
    """Decorate a week's check for ``exercise`` (its id, e.g. "7.1 build vs buy"); ``answers`` names the learner's
    answer arguments, which may be None (the unfinished stub). Every other argument is data or a setting: when it is
    None, NaN, blank, empty or not the kind its annotation names, the check answers "not yet: run the cell that makes
    it first" without running; so does a table in ``tables`` (argument name -> the columns the check reads) that
    lacks one of those columns or has a blank cell in one. An exception inside the check becomes "not yet" with a
    one-line reason. Never a pass, never a traceback. The decorated function carries ``.exercise``, ``.answers`` and
    ``.tables``; its body names its exercise as ``<function>.exercise``."""
    tables = dict(tables or {})

    def decorate(fn):
        sig = inspect.signature(fn)
        unknown = (set(answers) | set(tables)) - set(sig.parameters)
        if unknown:
            raise InputError(f"{fn.__name__} has no argument {sorted(unknown)}.")
        try:
            hints = typing.get_type_hints(fn)
        except (NameError, TypeError):  # an annotation that does not resolve: no kind to check
            hints = {}

        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                answered = {name: value for name, value in sig.bind_partial(*args, **kwargs).arguments.items()
                            if name in answers}
            except TypeError:
                answered = {}
            return _publish(checked(*args, **kwargs), answered)

        def checked(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                return _record(CheckResult(
                    exercise, False, f"Not yet: call the check as {fn.__name__}{sig} ({_one_line(exc)}).", ERROR))
            bound.apply_defaults()
            for name, value in bound.arguments.items():
                if name in answers or sig.parameters[name].kind in (inspect.Parameter.VAR_POSITIONAL,
                                                                   inspect.Parameter.VAR_KEYWORD):
                    continue
                why = missing_reason(value)
                if not why and hints.get(name) in _KINDS:
                    accepts, kind = _KINDS[hints[name]]
                    why = "" if accepts(value) else f"is a {type(value).__name__}, where {kind} belongs"
                if not why and name in tables and isinstance(value, pd.DataFrame):
                    why = blank_columns(value, tables[name])
                if why:
                    return missing_input(exercise, name, why)
            try:
                result = fn(*bound.args, **bound.kwargs)
            except Exception as exc:  # noqa: BLE001 - a check never raises: the learner gets a reason, not a traceback
                return _record(CheckResult(
                    exercise, False, f"Not yet: the check could not read its inputs ({type(exc).__name__}: "
                                     f"{_one_line(exc)}). Re-run the cells above in order, then this check.", ERROR))
            if not isinstance(result, CheckResult):
                return _record(CheckResult(exercise, False, "Not yet: the check gave no verdict.", ERROR))
            return result

        run.exercise, run.answers, run.tables = exercise, tuple(answers), tables
        return run

    return decorate


def add_listener(listener) -> None:
    """Call ``listener(result, answers)`` after every decorated check (``answers``: the learner's answer arguments by
    name); the room's client listens so. A listener that fails is skipped: a check never raises."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def remove_listener(listener) -> None:
    """Stop calling ``listener`` after checks."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def _publish(result: CheckResult, answers: dict) -> CheckResult:
    for listener in list(_LISTENERS):
        try:
            listener(result, answers)
        except Exception:  # noqa: BLE001 - a listener (the room) must never break a learner's check
            pass
    return result


HINT_POINTER = '# HINT: stuck? run checks.hint("{id}") for a hint; run it again for the next one.'
EXERCISE_ID = re.compile(r"\d+\.\d+")


@dataclass(frozen=True)
class Hint:
    """One step of an exercise's hints (``step`` of ``of``); ``step`` 0 means every step has been shown."""

    exercise: str
    step: int
    of: int
    text: str

    def _repr_markdown_(self) -> str:
        if not self.step:
            return f"💡 **{self.exercise}**: {self.text}"
        return f"💡 **Hint {self.step} of {self.of}** ({self.exercise}): {self.text}"

    def __repr__(self) -> str:
        return f"Hint {self.step} of {self.of} ({self.exercise}): {self.text}" if self.step else self.text


def _exercise_id(exercise) -> str:
    """ "5.2", from "5.2", "5.2 an operating point" or 5.2."""
    text = str(exercise).strip()
    match = EXERCISE_ID.match(text)
    return match.group(0) if match else text


def hint_giver(hints: Mapping[str, tuple[str, ...]]):
    """A ``hint(exercise)`` function for one week's ``HINTS`` (exercise id -> steps, from a nudge to the near-answer):
    each call shows the exercise's next step; after the last it says where the worked answer is. ``hint.reset()``
    starts every exercise over."""
    if not isinstance(hints, Mapping) or not hints:
        raise InputTypeError("hint_giver needs a dict: exercise id (\"5.2\") -> a tuple of hint steps.")
    steps: dict[str, tuple[str, ...]] = {}
    for key, value in hints.items():
        if not isinstance(key, str) or not EXERCISE_ID.fullmatch(key):
            raise InputError(f"hint key {key!r} must be an exercise id such as \"5.2\".")
        if isinstance(value, str) or not value or not all(isinstance(s, str) and s.strip() for s in value):
            raise InputError(f"the hints for {key} must be a tuple of non-empty sentences, nudge first.")
        steps[key] = tuple(value)
    shown: dict[str, int] = {}

    def hint(exercise) -> Hint:
        """The next hint for ``exercise`` (e.g. "5.2"); run it again for the next step."""
        key = _exercise_id(exercise)
        if key not in steps:
            raise InputError(f"no hints for exercise {exercise!r}: this notebook has hints for "
                             f"{', '.join(sorted(steps, key=_sort_key))}. Pass one of those, e.g. hint(\"{min(steps, key=_sort_key)}\").")
        given = shown.get(key, 0)
        if given >= len(steps[key]):
            week = int(key.split(".")[0])
            return Hint(key, 0, len(steps[key]),
                        f"That was the last hint for {key}. The worked answer is in "
                        f"`solutions/week{week:02d}_exercises.ipynb`.")
        shown[key] = given + 1
        return Hint(key, given + 1, len(steps[key]), steps[key][given])

    def reset() -> None:
        """Start every exercise's hints from the first step again."""
        shown.clear()

    hint.reset = reset
    hint.exercises = tuple(sorted(steps, key=_sort_key))
    return hint


def _sort_key(exercise_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in exercise_id.split("."))


def results() -> dict[str, bool]:
    """Every check run in this kernel so far: exercise id -> passed."""
    return dict(_RESULTS)


def summary() -> str:
    """A one-line score for the end of an exercise notebook."""
    done = sum(_RESULTS.values())
    return f"{done} of {len(_RESULTS)} checks passed."
