"""One runner for every measurement loop: items in, one call and an optional score per item, a DataFrame out."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from tqdm.auto import tqdm

from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.tables import returns_course_table

ERROR_COLUMN = "error"


class HarnessWarning(UserWarning):
    """Some items of a run failed; their rows carry the error instead of a result."""


warnings.filterwarnings("always", category=HarnessWarning)


def _as_row(value, what: str) -> dict:
    """A call's or scorer's return value as row fields (a mapping, or one value under ``what``)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return {what: value}


@returns_course_table
def run_harness(items: Iterable[Mapping], call: Callable, score: Callable | None = None, *, desc: str = "Running",
                progress: bool = True, warn: bool = True) -> pd.DataFrame:
    """Run ``call(item)`` (and ``score(item, result)``) for every item; one row each, errors recorded, never raised.

    A row holds the item's fields, then the call's fields (a dict, or one value under ``result``), then the score's
    (a dict, or one value under ``score``), then ``error``: None, or "ErrorType: message" when the call or the scorer
    raised (a call may also report its own ``error`` field). Failed items are announced with a HarnessWarning unless ``warn``
    is False (for callers that turn each failure into a row of their own, such as a day of traffic)."""
    if not callable(call):
        raise InputTypeError(f"call must be a function of one item, not {type(call).__name__}.")
    if score is not None and not callable(score):
        raise InputTypeError(f"score must be a function of (item, result) or None, not {type(score).__name__}.")
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InputTypeError(f"items must be a list of dicts (one per item), not {type(items).__name__}.")
    items = list(items)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InputTypeError(f"items[{i}] must be a dict of the item's fields, not {type(item).__name__}.")
    rows, failed = [], []
    for item in tqdm(items, desc=desc, disable=not progress or not items, leave=False):
        row = dict(item)
        row[ERROR_COLUMN] = None
        try:
            result = call(item)
            row.update(_as_row(result, "result"))
            if score is not None:
                row.update(_as_row(score(item, result), "score"))
        except Exception as exc:  # noqa: BLE001 - one failing item is recorded in its row; the run goes on
            row[ERROR_COLUMN] = f"{type(exc).__name__}: {exc}"
            failed.append(row[ERROR_COLUMN])
        rows.append(row)
    if failed and warn:
        warnings.warn(f"{desc}: {len(failed)} of {len(items)} items failed (see the 'error' column); first: {failed[0]}",
                      HarnessWarning, stacklevel=2)
    df = pd.DataFrame(rows)
    if ERROR_COLUMN in df:  # keep the error column last, after the result and score fields
        df = df[[c for c in df.columns if c != ERROR_COLUMN] + [ERROR_COLUMN]]
    return df


def successful(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of a run_harness() result whose item did not fail; a clear error when every item failed."""
    if not isinstance(results, pd.DataFrame):
        raise InputTypeError(f"results must be the DataFrame run_harness() returns, not {type(results).__name__}.")
    if ERROR_COLUMN not in results or results.empty:
        return results
    ok = results[results[ERROR_COLUMN].isna()]
    if ok.empty:
        raise InputError(f"Every item failed, so there is nothing to measure. First error: {results[ERROR_COLUMN].iloc[0]}")
    return ok
