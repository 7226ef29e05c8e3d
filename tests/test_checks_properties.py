"""Every exercise check, driven with missing and wrong-kind arguments: it never raises, never prints a traceback, and
never passes when a data argument holds no data (a set-up cell skipped: None, NaN, blank, empty, or a NaN inside).

The checks are found by introspection (every public function in ai_pm_lab.checks.weekNN), so a new check is covered
without editing this file; hypothesis draws the arguments, bounded to run in well under a minute.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import pkgutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_pm_lab.checks
from ai_pm_lab.exercises import ERROR, MISSING, NOT_YET, CheckResult

WEEKS = sorted(m.name for m in pkgutil.iter_modules(ai_pm_lab.checks.__path__) if m.name.startswith("week"))
# Data helpers, not verdicts: the A/B snapshots exercise 5.4 reads and their table, and 2.1's no-code table of numbers.
HELPERS = {"week05.simulated_snapshots", "week05.snapshot_table", "week02.numeric_cases"}
NAN = float("nan")


def _public_functions():
    for week in WEEKS:
        module = importlib.import_module(f"ai_pm_lab.checks.{week}")
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{week}.{name}", fn


FUNCTIONS = dict(_public_functions())
CHECKS = {k: fn for k, fn in FUNCTIONS.items() if k not in HELPERS}

MISSING_VALUES = st.one_of(
    st.none(), st.just(NAN), st.just(np.float64("nan")), st.sampled_from(["", "   "]), st.just([]), st.just(()),
    st.just({}), st.builds(pd.DataFrame), st.builds(lambda: pd.Series(dtype=float)), st.builds(lambda: np.array([])),
    st.just([0.2, NAN]), st.builds(lambda: {"requests on AI": 100, "wrong answers": NAN}),
)
WRONG_KIND = st.one_of(
    st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=True), st.booleans(), st.text(min_size=1, max_size=6),
    st.binary(min_size=1, max_size=4), st.builds(object), st.lists(st.integers(0, 5), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(0, 5), min_size=1, max_size=2),
    st.builds(lambda: pd.DataFrame({"x": [1, 2]})), st.builds(lambda: np.array([1.0, 0.0])),
)
ANSWERS = st.one_of(MISSING_VALUES, WRONG_KIND, st.sampled_from(
    ["proceed", "wait", "roll back", "never", "ship", "keep running", "none", True, False, 0, 1.0, [], {}]))


def _no_model(prompt):
    raise RuntimeError("no model in this test")


def _run(fn, args: dict):
    """(result, printed) of one call, stdout captured; the local model replaced by an error (no model call here)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr("ai_pm_lab.checks.week01.next_token_distribution", _no_model)
        result = fn(**args)
    return result, out.getvalue()


def _draw_arguments(data, fn, *, missing: bool) -> tuple[dict, str | None]:
    """Arguments for every parameter; with ``missing``, one data parameter certainly holds no data (its name returned)."""
    params = inspect.signature(fn).parameters
    data_params = [n for n in params if n not in fn.answers]
    forced = data.draw(st.sampled_from(data_params), label="missing") if missing and data_params else None
    args = {}
    for name, p in params.items():
        if name == forced:
            args[name] = data.draw(MISSING_VALUES, label=name)
        elif name in fn.answers:
            args[name] = data.draw(ANSWERS, label=name)
        elif p.default is not inspect.Parameter.empty and data.draw(st.booleans(), label=f"keep {name}"):
            continue  # a setting left at its default
        else:
            args[name] = data.draw(st.one_of(MISSING_VALUES, WRONG_KIND), label=name)
    return args, forced


def test_checks_are_found_and_each_goes_through_the_one_decorator():
    assert len(WEEKS) == 8 and len(CHECKS) >= 40
    undecorated = [k for k, fn in CHECKS.items() if not hasattr(fn, "exercise")]
    assert not undecorated, f"decorate with ai_pm_lab.exercises.exercise_check (or list a data helper in HELPERS): {undecorated}"
    ids = [fn.exercise for fn in CHECKS.values()]
    assert len(set(ids)) == len(ids)
    assert all(k.split(".")[0][-1] == fn.exercise[0] for k, fn in CHECKS.items())  # 8.4 lives in week08


PROPERTY = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("key", sorted(CHECKS))
@PROPERTY
@given(data=st.data())
def test_a_missing_data_argument_never_raises_and_never_passes(key, data):
    fn = CHECKS[key]
    args, forced = _draw_arguments(data, fn, missing=True)
    result, printed = _run(fn, args)
    assert isinstance(result, CheckResult) and result.exercise == fn.exercise
    assert not result.passed, (key, forced, args, result)
    assert result.status in (MISSING, ERROR, NOT_YET) and "Traceback" not in printed + result.message


@pytest.mark.parametrize("key", sorted(CHECKS))
@PROPERTY
@given(data=st.data())
def test_wrong_kinds_of_argument_never_raise(key, data):
    fn = CHECKS[key]
    args, _ = _draw_arguments(data, fn, missing=False)
    result, printed = _run(fn, args)
    assert isinstance(result, CheckResult) and result.exercise == fn.exercise
    assert "Traceback" not in printed + result.message


@pytest.mark.parametrize("key", sorted(CHECKS))
def test_a_wrong_number_of_arguments_is_not_yet(key):
    result, _ = _run(lambda **_: CHECKS[key](1, 2, 3, 4, 5, 6, 7, 8, 9), {})
    assert not result.passed and result.status == ERROR
