"""The one dated price-and-context table: every model id, price and prompt-caching rule lives in data/models.csv.

Each row has a ``status``: *current*, *deprecated* (still served until its ``shutdown_date``) or *retired* (shut down
on ``shutdown_date``, kept only as history). A deprecated row whose shutdown date has passed counts as retired, so no
code path defaults to, prices a traffic scenario on or offers a model the provider no longer serves. A row that is not
current names its ``successor``: the provider's named replacement where the source gives one, else the course's pick of
the current model in the same tier. A provider's default that has shut down is replaced by its successor, with one
printed line (``in_service``); a model the learner named (model=..., AI_PM_LAB_MODEL) is kept as named, and the
backend line's live check and ``status_note`` name its successor first.

"Today" comes from one place, ``today()``; every function that depends on the date takes ``on=`` (a date or an ISO
string like "2027-02-01"), and tests pass it (or hold the clock with ``frozen_today``) so they never depend on the day
they run.
``python -m ai_pm_lab.catalog`` prints the table; with a key or base URL it also asks the provider what it serves.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError
from ai_pm_lab.tables import returns_course_table

BACKENDS = ("local", "openai", "anthropic", "gemini")  # gemini: Google's OpenAI-compatible endpoint, priced as "google" rows
STATUSES = ("current", "deprecated", "retired")
MODELS_CSV = "ai_pm_lab/data/models.csv"
_FROZEN: list[dt.date] = []  # days held by frozen_today(), innermost last


def today() -> dt.date:
    """Today's date: the one place the course asks the clock (frozen_today() holds it for a test or a what-if)."""
    return _FROZEN[-1] if _FROZEN else dt.date.today()


@contextmanager
def frozen_today(day):
    """Inside the block, today() is ``day`` (a date or "YYYY-MM-DD"): what the course shows on that day."""
    _FROZEN.append(as_day(day))
    try:
        yield _FROZEN[-1]
    finally:
        _FROZEN.pop()


def as_day(on=None) -> dt.date:
    """``on`` as a date: None is today(); a date, a datetime or an ISO string like "2027-02-01" are accepted."""
    if on is None:
        return today()
    if isinstance(on, dt.datetime):
        return on.date()
    if isinstance(on, dt.date):
        return on
    if isinstance(on, str):
        try:
            return dt.date.fromisoformat(on.strip())
        except ValueError:
            raise InputError(f"on={on!r} is not a date: write it as YYYY-MM-DD, e.g. on='2027-02-01'.") from None
    raise InputTypeError(f"on must be a date or a string like '2027-02-01', not {type(on).__name__} ({on!r}).")


@dataclass(frozen=True)
class ModelInfo:
    """One row of the price-and-context table (prices in US dollars per 1M tokens).

    ``cache_write_usd_per_1m`` is what writing a prompt prefix to the cache costs at the provider's default cache
    lifetime (equal to the input price where writes carry no premium); ``cache_write_long_usd_per_1m`` the price for
    the longer lifetime where one is offered (None otherwise). ``cache_min_tokens`` is the shortest prefix the provider
    caches (None: no prompt caching), ``cache_step_tokens`` the step the cached length is rounded down to.
    """

    provider: str
    model_id: str
    display_name: str
    status: str
    shutdown_date: str | None
    input_usd_per_1m: float
    cached_input_usd_per_1m: float
    cache_write_usd_per_1m: float
    cache_write_long_usd_per_1m: float | None
    output_usd_per_1m: float
    context_window: int
    cache_min_tokens: int | None
    cache_step_tokens: int | None
    default: bool
    checked: str
    source: str
    successor: str | None = None

    def status_on(self, day: dt.date | str | None = None) -> str:
        """The row's status on ``day`` (default today()): a deprecated model past its shutdown date counts as retired."""
        day = as_day(day)
        if self.status == "deprecated" and self.shutdown_date and dt.date.fromisoformat(self.shutdown_date) <= day:
            return "retired"
        return self.status

    def served_on(self, day: dt.date | str | None = None) -> bool:
        """Whether the provider still serves the model on ``day`` (current, or deprecated before its shutdown)."""
        return self.status_on(day) != "retired"

    @property
    def caches_prompts(self) -> bool:
        """Whether the provider discounts a repeated prompt prefix for this model."""
        return self.cache_min_tokens is not None


def _number(row: dict, column: str, *, integer: bool = False, optional: bool = False):
    raw = (row.get(column) or "").strip()
    if not raw:
        if optional:
            return None
        raise ConfigurationError(f"{MODELS_CSV}: row {row.get('model_id')!r} has no {column}; fill it in.")
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        raise ConfigurationError(f"{MODELS_CSV}: row {row.get('model_id')!r} has {column}={raw!r}, not a number.") from None


def _parse(row: dict) -> ModelInfo:
    status = (row.get("status") or "").strip()
    if status not in STATUSES:
        raise ConfigurationError(f"{MODELS_CSV}: row {row.get('model_id')!r} has status {status!r}; use one of {', '.join(STATUSES)}.")
    shutdown = (row.get("shutdown_date") or "").strip() or None
    if status != "current":
        try:
            dt.date.fromisoformat(shutdown or "")
        except ValueError:
            raise ConfigurationError(
                f"{MODELS_CSV}: {status} row {row.get('model_id')!r} needs a shutdown_date like 2027-01-14, not {shutdown!r}."
            ) from None
    info = ModelInfo(
        provider=row["provider"].strip(),
        model_id=row["model_id"].strip(),
        display_name=row["display_name"].strip(),
        status=status,
        shutdown_date=shutdown,
        input_usd_per_1m=_number(row, "input_usd_per_1m"),
        cached_input_usd_per_1m=_number(row, "cached_input_usd_per_1m"),
        cache_write_usd_per_1m=_number(row, "cache_write_usd_per_1m"),
        cache_write_long_usd_per_1m=_number(row, "cache_write_long_usd_per_1m", optional=True),
        output_usd_per_1m=_number(row, "output_usd_per_1m"),
        context_window=_number(row, "context_window", integer=True),
        cache_min_tokens=_number(row, "cache_min_tokens", integer=True, optional=True),
        cache_step_tokens=_number(row, "cache_step_tokens", integer=True, optional=True),
        default=(row.get("default") or "").strip().lower() == "yes",
        checked=row["checked"].strip(),
        source=row["source"].strip(),
        successor=(row.get("successor") or "").strip() or None,
    )
    if info.default and (info.status == "retired" or (info.status == "deprecated" and not info.successor)):
        raise ConfigurationError(f"{MODELS_CSV}: default row {info.model_id!r} is {info.status}; mark a current model as "
                                 "the default (a deprecated default must name its successor).")
    if info.status != "current" and not info.successor:
        raise ConfigurationError(f"{MODELS_CSV}: {info.status} row {info.model_id!r} needs a successor (a current model id).")
    if info.caches_prompts and not info.cache_step_tokens:
        raise ConfigurationError(f"{MODELS_CSV}: row {info.model_id!r} has cache_min_tokens but no cache_step_tokens (1 = no rounding).")
    return info


@lru_cache(maxsize=1)
def _rows() -> tuple[ModelInfo, ...]:
    text = resources.files("ai_pm_lab").joinpath("data/models.csv").read_text(encoding="utf-8")
    rows = tuple(_parse(r) for r in csv.DictReader(text.splitlines()))
    current = {m.model_id: m for m in rows if m.status == "current"}
    for m in rows:
        if m.successor is not None and (m.successor not in current or current[m.successor].provider != m.provider):
            raise ConfigurationError(f"{MODELS_CSV}: row {m.model_id!r} names successor {m.successor!r}, which is not a "
                                     f"current {m.provider} row.")
    for provider in sorted({m.provider for m in rows}):
        defaults = [m.model_id for m in rows if m.provider == provider and m.default]
        if len(defaults) != 1:
            raise ConfigurationError(f"{MODELS_CSV}: provider {provider!r} needs exactly one default row, found {defaults or 'none'}.")
    return rows


def providers() -> list[str]:
    """Every provider in the table (local, openai, anthropic, google)."""
    return sorted({m.provider for m in _rows()})


def _check_provider(provider: str | None) -> None:
    if provider is not None and provider not in providers():
        raise ConfigurationError(f"Unknown provider {provider!r}: choose one of {', '.join(providers())}.")


def models(provider: str | None = None, *, include_retired: bool = False, on: dt.date | str | None = None) -> list[ModelInfo]:
    """Rows of the price table the providers still serve (add include_retired=True for the history rows too)."""
    _check_provider(provider)
    on = as_day(on)
    return [m for m in _rows() if (provider is None or m.provider == provider) and (include_retired or m.served_on(on))]


def current_models(provider: str | None = None, *, on: dt.date | str | None = None) -> list[ModelInfo]:
    """Rows whose status is current: what to pick for new work (deprecated and retired rows left out)."""
    on = as_day(on)
    return [m for m in models(provider, on=on) if m.status_on(on) == "current"]


def model_info(model_id: str) -> ModelInfo:
    """The table row for ``model_id`` (retired rows included); a clear error lists the served ids if it is missing."""
    if not isinstance(model_id, str):
        raise InputTypeError(f"model id must be a string such as {default_model('openai')!r}, not {type(model_id).__name__}.")
    for m in _rows():
        if m.model_id == model_id:
            return m
    close = close_ids(model_id)
    hint = f"Did you mean {' or '.join(map(repr, close))}? " if close else ""
    known = ", ".join(m.model_id for m in models())
    raise ConfigurationError(f"Unknown model id {model_id!r}. {hint}Known ids still served ({MODELS_CSV}): {known}.")


def close_ids(model_id: str, n: int = 3) -> list[str]:
    """Ids in the table (history rows included) spelled closest to ``model_id``: the likely intended ones for a typo."""
    return difflib.get_close_matches(str(model_id), [m.model_id for m in _rows()], n=n, cutoff=0.6)


def served_model(model_id: str, *, on: dt.date | None = None) -> ModelInfo:
    """The table row for ``model_id`` if the provider still serves it on ``on`` (default today), else a clear error
    naming the served ids."""
    info = model_info(model_id)
    if not info.served_on(on):
        served = ", ".join(m.model_id for m in models(on=on))
        raise ConfigurationError(f"{info.model_id} is no longer served ({info.status_on(on)} since {info.shutdown_date}): "
                                 f"pick one of {served}.")
    return info


def find_model(model_id: str) -> ModelInfo | None:
    """The table row for ``model_id``, or None for a model the table does not price (e.g. a local Ollama model)."""
    try:
        return model_info(model_id)
    except (ConfigurationError, TypeError):
        return None


def default_model(provider: str, *, on: dt.date | str | None = None) -> str:
    """The provider's default model id: its current cheap model, as marked in the table (on a day past a deprecated
    default's shutdown, its successor, said once in a printed line)."""
    _check_provider(provider)
    for m in _rows():
        if m.provider == provider and m.default:
            return in_service(m.model_id, on=on)
    raise ConfigurationError(f"No default model marked for {provider!r} in {MODELS_CSV}.")  # pragma: no cover - checked on load


_ANNOUNCED: set = set()  # (retired id, successor) pairs already announced in this kernel


def in_service(model_id: str, *, on: dt.date | str | None = None) -> str:
    """The id to call for a model the course picks (a provider's default): ``model_id`` while the provider serves it
    (or when the table does not know it), else its successor, announced once in a printed line."""
    info = find_model(model_id)
    if info is None or info.served_on(on) or info.successor is None:
        return model_id
    if (info.model_id, info.successor) not in _ANNOUNCED:
        _ANNOUNCED.add((info.model_id, info.successor))
        print(f"Note: {info.model_id} was shut down on {info.shutdown_date}, so the course uses its successor "
              f"{info.successor} instead (set AI_PM_LAB_MODEL or pass model=... to choose another).")
    return info.successor


def reset_notices() -> None:
    """Forget which shut-down models were announced: the next in_service() call prints its line again."""
    _ANNOUNCED.clear()


def status_note(model_id: str, *, on: dt.date | str | None = None) -> str | None:
    """A sentence for a deprecated or retired model (when it shuts or shut down, what to pick instead), else None."""
    info = find_model(model_id)
    on = as_day(on)
    if info is None or info.status_on(on) == "current":
        return None
    picks = [m.model_id for m in current_models(info.provider, on=on)]
    instead = ", ".join(sorted(picks, key=lambda m: m != info.successor))  # its successor first
    if info.status_on(on) == "retired":
        return (f"{info.model_id} was shut down on {info.shutdown_date}: the provider no longer serves it. "
                f"Pick a current model instead: {instead}.")
    return (f"{info.model_id} is deprecated and shuts down on {info.shutdown_date}. "
            f"It still answers today; move to a current model before then: {instead}.")


@returns_course_table
def price_table(*, include_retired: bool = False, on: dt.date | str | None = None):
    """The table as a pandas DataFrame, for display (served rows; include_retired=True adds the history rows).

    ``on`` (a date or "YYYY-MM-DD", default today) sets the day whose statuses are shown."""
    import pandas as pd

    on = as_day(on)
    rows = [{**m.__dict__, "status": m.status_on(on)} for m in models(include_retired=include_retired, on=on)]
    df = pd.DataFrame(rows)
    return df.rename(
        columns={
            "input_usd_per_1m": "$ / 1M input",
            "cached_input_usd_per_1m": "$ / 1M cached input",
            "cache_write_usd_per_1m": "$ / 1M cache write",
            "cache_write_long_usd_per_1m": "$ / 1M cache write (long)",
            "output_usd_per_1m": "$ / 1M output",
            "context_window": "context window (tokens)",
        }
    )


@returns_course_table
def status_table(*, on: dt.date | str | None = None):
    """Every row with its status and shutdown date, prices and caching rule: what ``python -m ai_pm_lab.catalog`` prints."""
    import pandas as pd

    on = as_day(on)
    return pd.DataFrame([
        {"provider": m.provider, "model": m.model_id, "status": m.status_on(on), "shutdown": m.shutdown_date or "",
         "in": m.input_usd_per_1m, "cached": m.cached_input_usd_per_1m, "cache write": m.cache_write_usd_per_1m,
         "out": m.output_usd_per_1m, "window": m.context_window,
         "cache from": m.cache_min_tokens if m.caches_prompts else "", "default": "yes" if m.default else "",
         "successor": m.successor or "",
         "checked": m.checked}
        for m in models(include_retired=True, on=on)
    ])
