"""The one dated price-and-context table: every model id and price in the course lives in data/models.csv."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ai_pm_lab.errors import ConfigurationError

BACKENDS = ("local", "openai", "anthropic")


@dataclass(frozen=True)
class ModelInfo:
    """One row of the price-and-context table."""

    provider: str
    model_id: str
    display_name: str
    input_usd_per_1m: float
    cached_input_usd_per_1m: float
    output_usd_per_1m: float
    context_window: int
    default: bool
    checked: str
    source: str


@lru_cache(maxsize=1)
def _rows() -> tuple[ModelInfo, ...]:
    text = resources.files("ai_pm_lab").joinpath("data/models.csv").read_text(encoding="utf-8")
    out = []
    for r in csv.DictReader(text.splitlines()):
        out.append(
            ModelInfo(
                provider=r["provider"],
                model_id=r["model_id"],
                display_name=r["display_name"],
                input_usd_per_1m=float(r["input_usd_per_1m"]),
                cached_input_usd_per_1m=float(r["cached_input_usd_per_1m"]),
                output_usd_per_1m=float(r["output_usd_per_1m"]),
                context_window=int(r["context_window"]),
                default=r["default"].strip().lower() == "yes",
                checked=r["checked"],
                source=r["source"],
            )
        )
    return tuple(out)


def models(provider: str | None = None) -> list[ModelInfo]:
    """All rows of the price table, optionally for one provider."""
    rows = list(_rows())
    if provider is None:
        return rows
    providers = sorted({m.provider for m in rows})
    if provider not in providers:
        raise ConfigurationError(f"Unknown provider {provider!r}: choose one of {', '.join(providers)}.")
    return [m for m in rows if m.provider == provider]


def model_info(model_id: str) -> ModelInfo:
    """The table row for ``model_id``; a clear error lists the known ids if it is missing."""
    if not isinstance(model_id, str):
        raise TypeError(f"model id must be a string such as 'gpt-4o-mini', not {type(model_id).__name__}.")
    for m in _rows():
        if m.model_id == model_id:
            return m
    known = ", ".join(m.model_id for m in _rows())
    raise ConfigurationError(f"Unknown model id {model_id!r}. Known ids (ai_pm_lab/data/models.csv): {known}.")


def find_model(model_id: str) -> ModelInfo | None:
    """The table row for ``model_id``, or None for a model the table does not price (e.g. a local Ollama model)."""
    try:
        return model_info(model_id)
    except (ConfigurationError, TypeError):
        return None


def default_model(provider: str) -> str:
    """The provider's default model id, as marked in the table."""
    for m in models(provider):
        if m.default:
            return m.model_id
    raise ConfigurationError(f"No default model marked for {provider!r} in data/models.csv.")


def price_table():
    """The table as a pandas DataFrame, for display."""
    import pandas as pd

    df = pd.DataFrame([m.__dict__ for m in _rows()])
    return df.rename(
        columns={
            "input_usd_per_1m": "$ / 1M input",
            "cached_input_usd_per_1m": "$ / 1M cached input",
            "output_usd_per_1m": "$ / 1M output",
            "context_window": "context window (tokens)",
        }
    )
