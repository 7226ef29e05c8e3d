"""One runner for every measurement loop: items in, one call and an optional score per item, a DataFrame out."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from tqdm.auto import tqdm

ERROR_COLUMN = "error"


def _as_row(value, what: str) -> dict:
    """A call's or scorer's return value as row fields (a mapping, or one value under ``what``)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return {what: value}


def run_harness(items: Iterable[Mapping], call: Callable, score: Callable | None = None, *, desc: str = "Running",
                progress: bool = True) -> pd.DataFrame:
    """Run ``call(item)`` (and ``score(item, result)``) for every item; one row each, errors recorded, never raised."""
    if not callable(call):
        raise TypeError(f"call must be a function of one item, not {type(call).__name__}.")
    if score is not None and not callable(score):
        raise TypeError(f"score must be a function of (item, result) or None, not {type(score).__name__}.")
    items = list(items)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(f"items[{i}] must be a dict of the item's fields, not {type(item).__name__}.")
    rows = []
    for item in tqdm(items, desc=desc, disable=not progress or not items, leave=False):
        row = dict(item)
        try:
            result = call(item)
            row.update(_as_row(result, "result"))
            if score is not None:
                row.update(_as_row(score(item, result), "score"))
            row[ERROR_COLUMN] = None
        except Exception as exc:  # noqa: BLE001 - one failing item is recorded in its row; the run goes on
            row[ERROR_COLUMN] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return pd.DataFrame(rows)
