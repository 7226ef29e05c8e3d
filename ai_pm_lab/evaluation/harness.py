"""One runner for every measurement loop: items in, one call and an optional score per item, a DataFrame out.

The call is either any function of one item, run item by item, or a ModelStep (a prepare step that writes each item's
model request and a finish step that turns the answer into row fields): then every request goes to the model at once
through generate_many, batched on the local model and sent concurrently to a hosted one, with the same rows."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.llm.backends import check_request, generate, generate_many, get_backend
from ai_pm_lab.progress import bar as progress_bar
from ai_pm_lab.tables import returns_course_table

ERROR_COLUMN = "error"


class HarnessWarning(UserWarning):
    """Some items of a run failed; their rows carry the error instead of a result."""


warnings.filterwarnings("always", category=HarnessWarning)


@dataclass(frozen=True)
class ModelStep:
    """A harness call that asks the model once per item, written in two halves so run_harness can send every request
    together (batched on the local model, concurrent on a hosted one):

    ``prepare(item)`` returns the request: a dict of generate() keywords (``prompt``, and any of ``system``, ``history``,
    ``temperature``, ``max_tokens``, ``seed``, ``stop``); ``finish(item, generation)`` turns the answer into the row's
    fields (a dict, or one value under ``result``), as a plain call would. ``prepare`` may return None for an item
    that needs no model call (an answer decided before the model): ``finish`` then gets None. ``backend``, ``model``, ``fallback``,
    ``concurrency`` and ``batch_size`` apply to every request (see generate_many). The rows are the ones the plain function
    ``lambda item: finish(item, generate(**prepare(item), backend=..., model=..., fallback=...))`` gives."""

    prepare: Callable
    finish: Callable
    backend: str | None = None
    model: str | None = None
    fallback: str | None = None
    concurrency: int | None = None
    batch_size: int | None = None

    def __post_init__(self):
        for name in ("prepare", "finish"):
            if not callable(getattr(self, name)):
                raise InputTypeError(f"ModelStep's {name} must be a function, not {type(getattr(self, name)).__name__}.")


def sharing_prefixes(step: ModelStep):
    """``step`` for a hosted model (its requests go out together); on the local model, the plain call that asks one
    request at a time in item order, for runs whose consecutive prompts share long starts (the same prompt with
    several seeds, one RAG template over many questions): one by one, each prompt reuses the previous one's evaluated
    start exactly, which a local batch does not (measured: week 4's injection trial 14 CPU-s one by one, 42 batched).
    The rows are the same either way."""
    try:
        hosted = get_backend(step.backend, step.model).name != "local"
    except Exception:  # noqa: BLE001 - a wrong backend or model: the batch path records it in every row
        hosted = True
    if hosted:
        return step

    def one_by_one(item):
        request = step.prepare(item)
        answer = None if request is None else generate(**request, backend=step.backend, model=step.model,
                                                       fallback=step.fallback)
        return step.finish(item, answer)

    return one_by_one


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
    is False (for callers that turn each failure into a row of their own, such as a day of traffic).

    ``call`` may be a ModelStep: every item is prepared first, all the requests go to the model together
    (generate_many), and each answer is finished into its row; the rows, columns and errors are the same as the plain
    function's, in input order, and the progress bar moves as each answer arrives."""
    if not callable(call) and not isinstance(call, ModelStep):
        raise InputTypeError(f"call must be a function of one item or a ModelStep, not {type(call).__name__}.")
    if score is not None and not callable(score):
        raise InputTypeError(f"score must be a function of (item, result) or None, not {type(score).__name__}.")
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise InputTypeError(f"items must be a list of dicts (one per item), not {type(items).__name__}.")
    items = list(items)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InputTypeError(f"items[{i}] must be a dict of the item's fields, not {type(item).__name__}.")
    rows, failed = [], []
    if isinstance(call, ModelStep):
        answers = _ask_model(items, call, desc=desc, progress=progress)
        steps = [(lambda item, answer=answer: call.finish(item, _unwrap(answer))) for answer in answers]
        work = zip(items, steps)
    else:
        work = ((item, call) for item in progress_bar(items, desc=desc, disable=not progress or not items, leave=False))
    for item, step in work:
        row = dict(item)
        row[ERROR_COLUMN] = None
        try:
            result = step(item)
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


def _ask_model(items: list, step: ModelStep, *, desc: str, progress: bool) -> list:
    """Each item's answer (a Generation) or what failed (its prepare step's error or the model's), in input order."""
    answers: list = [None] * len(items)
    requests, where = [], []
    for i, item in enumerate(items):
        try:
            request = step.prepare(item)
            if request is None:  # this item needs no model call (e.g. a refusal decided before the model)
                continue
            if not isinstance(request, Mapping):
                raise InputTypeError(f"ModelStep's prepare must return a dict of generate() keywords (prompt=...), "
                                     f"not {type(request).__name__}.")
            requests.append(dict(request))
            where.append(i)
        except Exception as exc:  # noqa: BLE001 - recorded in the item's row, like a failing call
            answers[i] = exc
    if not requests:
        return answers
    with progress_bar(total=len(items), desc=desc, disable=not progress or not items, leave=False) as bar:
        bar.update(len(items) - len(requests))  # items with no request (none needed, or it failed) are done already
        try:
            results = generate_many(requests, backend=step.backend, model=step.model, fallback=step.fallback,
                                    concurrency=step.concurrency, batch_size=step.batch_size, progress=False,
                                    on_done=lambda k: bar.update(1))
        except Exception as exc:  # noqa: BLE001 - a setting wrong for the whole run (backend, fallback): every row says so,
            results = [_first_error(request, exc) for request in requests]  # after its own request's error, as generate()
    for i, result in zip(where, results):
        answers[i] = result
    return answers


def _first_error(request: dict, run_error: Exception) -> Exception:
    """What generate() would raise for ``request`` when the run's settings are wrong: the request's own error first."""
    try:
        check_request(request)
    except Exception as exc:  # noqa: BLE001 - returned, to be recorded in the row
        return exc
    return run_error


def _unwrap(answer):
    """The Generation, or raise what failed in its place (so the row records it as a plain call's error)."""
    if isinstance(answer, BaseException):
        raise answer
    return answer


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
