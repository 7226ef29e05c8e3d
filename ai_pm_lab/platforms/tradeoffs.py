"""The model trade-off explorer: the local model and every configured provider answer the same RAG questions and are
compared on quality, latency, cost per 1,000 queries and where the data goes. Providers without a key get rows
PROJECTED from the price table (cost only, on the same prompts), labelled as projections, never as measurements."""
from __future__ import annotations

import math
import numbers
import statistics
import time
from urllib.parse import urlparse

from ai_pm_lab import catalog
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.evaluation.rag_eval import run_rag_eval
from ai_pm_lab.llm import get_backend
from ai_pm_lab.llm.backends import configured_backends
from ai_pm_lab.llm.tokens import count_tokens
from ai_pm_lab.rag import load_eval
from ai_pm_lab.settings import base_url
from ai_pm_lab.tables import format_money, format_rate, returns_course_table

MEASURED = "measured"
PROJECTED = "projected from the price table (not measured)"
HOSTED = tuple(b for b in catalog.BACKENDS if b != "local")  # hosted backends the course can call (with a key)


def sample_questions(n_answerable: int = 4, n_unanswerable: int = 2, rows=None) -> list[dict]:
    """A small, fixed, spread-out sample of the evaluation set (answerable and unanswerable questions)."""

    rows = list(load_eval() if rows is None else rows)
    for name, n in (("n_answerable", n_answerable), ("n_unanswerable", n_unanswerable)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InputError(f"{name} must be a whole number ≥ 0, not {n!r}.")
    if n_answerable + n_unanswerable == 0:
        raise InputError("ask for at least one question (n_answerable or n_unanswerable above 0).")
    ans = [r for r in rows if r.get("doc_ids")]
    una = [r for r in rows if not r.get("doc_ids")]

    def spread(items, n):
        if n > len(items):
            raise InputError(f"asked for {n} questions but the set has only {len(items)} of that kind.")
        step = len(items) / n if n else 1
        return [items[int(i * step)] for i in range(n)]

    return spread(ans, n_answerable) + spread(una, n_unanswerable)


def configured_providers() -> list[str]:
    """Hosted backends this kernel can call (a key is set, or for OpenAI a base URL): OpenAI, Anthropic, Gemini."""
    return [b for b in configured_backends() if b in HOSTED]


def where_data_goes(provider: str) -> str:
    """Where a prompt travels for this provider (data/framing/data_locations.csv); a loopback base URL stays local."""
    table = {r["provider"]: r["where_the_data_goes"] for r in data_csv("framing/data_locations.csv")}
    url = base_url("openai") if provider == "openai" else None
    if url:
        host = urlparse(url).hostname or ""
        if host in ("localhost", "127.0.0.1", "::1"):
            return "Stays on this machine: an OpenAI-compatible server running locally"
        return f"Sent to the OpenAI-compatible server at {host}; its terms decide retention and training use"
    return table.get(provider, "Unknown: read the provider's data-processing terms")


def is_current(info) -> bool:
    """Whether a price-table row is a model you can still buy (status 'current'; tables without a status count as current)."""
    return str(getattr(info, "status", "current") or "current").strip().lower() == "current"


def end_to_end_latency(wall_s: float, generation=None) -> float:
    """Seconds a user waits for one answer: the measured wall time, plus, for an answer served from the response cache,
    the time the model took when it generated it (the cache lookup itself took ~0 s: latency stays honest)."""
    if generation is not None and getattr(generation, "cached", False):
        return wall_s + float(generation.latency_s)
    return wall_s


class _Recorder:
    """Stands in for a pipeline in the week-5 evaluation: passes every call through and keeps each full answer and its
    end-to-end time, so cost, tokens and the exact prompt (for projections) sit next to the quality scores."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.records: dict[str, dict] = {}

    def __getattr__(self, name):  # chunks, search_only, threshold, ...: the real pipeline's
        return getattr(self.pipeline, name)

    def answer(self, question, **kwargs):
        start = time.perf_counter()
        ans = self.pipeline.answer(question, **kwargs)
        g = ans.generation
        self.records[question] = {
            "latency_s": end_to_end_latency(time.perf_counter() - start, g), "called_model": g is not None,
            "model": g.model if g is not None else None,
            "completion_tokens": g.completion_tokens if g is not None else 0,
            "cost_usd": (g.cost_usd or 0.0) if g is not None else 0.0,
            "prompt_text": ((ans.system + "\n") if ans.system else "") + ans.prompt}
        return ans


def run_sample(pipeline, rows, *, backend: str | None = None, max_tokens: int = 48, progress: bool = True):
    """Answer and score each question with the week-5 RAG evaluation (run_rag_eval: the pipeline's own answerability
    gate decides when to refuse) on one backend: one row per question with the answer, whether it is right, end-to-end
    latency, tokens, cost and the prompt text (for projections)."""
    recorder = _Recorder(pipeline)
    df = run_rag_eval(recorder, rows, backend=backend, max_tokens=max_tokens, progress=progress)
    extra = [recorder.records.get(q, {}) for q in df["question"]]
    for col in ("latency_s", "called_model", "model", "completion_tokens", "cost_usd", "prompt_text"):
        df[col] = [e.get(col) for e in extra]
    return df


def _projected_cost(run, info) -> float:
    """Dollars per query on ``info`` for the prompts and answers of a measured run, counted on that provider's tokenizer."""
    costs = []
    ok = run[run["error"].isna()] if "error" in run else run
    for _, r in ok.iterrows():
        if not r.get("called_model"):
            costs.append(0.0)  # the answerability gate answered without calling a model: free on any provider
            continue
        backend = info.provider if info.provider in ("openai", "anthropic", "google") else "openai"
        p = count_tokens(r["prompt_text"], backend=backend, model=info.model_id if backend == "openai" else None)
        c = count_tokens(r["answer"], backend=backend, model=info.model_id if backend == "openai" else None) if r["answer"] else 0
        costs.append(estimate_cost(info.model_id, p, c))
    return sum(costs) / len(costs) if costs else float("nan")


def _measured_row(run, provider: str, model_id: str, where: str | None = None) -> dict:
    ok = run[run["error"].isna()] if "error" in run else run
    info = catalog.find_model(model_id)
    answerable = ok[ok["answerable"].astype(bool)] if len(ok) else ok
    unanswerable = ok[~ok["answerable"].astype(bool)] if len(ok) else ok
    return {"model": model_id, "provider": provider, "display name": info.display_name if info else model_id,
            "status": MEASURED, "questions": int(len(ok)), "errors": int(len(run) - len(ok)),
            "quality": float(ok["correct"].mean()) if len(ok) else float("nan"),
            "answerable correct": float(answerable["correct"].mean()) if len(answerable) else float("nan"),
            "unanswerable declined": float(unanswerable["correct"].mean()) if len(unanswerable) else float("nan"),
            "median latency (s)": float(statistics.median(ok["latency_s"])) if len(ok) else float("nan"),
            "cost per 1,000 queries ($)": float(ok["cost_usd"].mean() * 1000) if len(ok) else float("nan"),
            "where the data goes": where_data_goes(where or provider)}


@returns_course_table
def compare_models(pipeline, rows=None, *, max_tokens: int = 48, include_projections: bool = True, progress: bool = True):
    """The trade-off table: the local model and each configured provider MEASURED on the same sample; every other
    current hosted model in the price table PROJECTED (cost only) from the local run's prompts and answers."""
    import pandas as pd

    rows = sample_questions() if rows is None else list(rows)
    runs, table = {}, []
    local = get_backend("local")
    runs["local"] = run_sample(pipeline, rows, backend="local", max_tokens=max_tokens, progress=progress)
    table.append(_measured_row(runs["local"], "local", local.model))
    measured_ids = {local.model}
    for provider in configured_providers():
        engine = get_backend(provider)
        runs[provider] = run_sample(pipeline, rows, backend=provider, max_tokens=max_tokens, progress=progress)
        # where the data goes is the price table's provider (Gemini is called through the OpenAI SDK, billed as Google)
        table.append(_measured_row(runs[provider], provider, engine.model,
                                   where=getattr(engine, "table_provider", None) or provider))
        measured_ids.add(engine.model)
    if include_projections:
        for info in catalog.models():
            if info.provider == "local" or info.model_id in measured_ids or not is_current(info):
                continue
            table.append({"model": info.model_id, "provider": info.provider, "display name": info.display_name,
                          "status": PROJECTED, "questions": int(len(rows)), "errors": 0,
                          "quality": float("nan"), "answerable correct": float("nan"), "unanswerable declined": float("nan"),
                          "median latency (s)": float("nan"),
                          "cost per 1,000 queries ($)": _projected_cost(runs["local"], info) * 1000,
                          "where the data goes": where_data_goes(info.provider)})
    df = pd.DataFrame(table).set_index("model")
    df.attrs["runs"] = runs
    return df


def readable(table, columns=("provider", "status", "quality", "median latency (s)", "cost per 1,000 queries ($)")):
    """The table for reading: rounded, and 'not measured' where a projection has no value (never a bare NaN)."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise InputTypeError(f"table must be the DataFrame compare_models() returns, not {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"The table has no {', '.join(map(repr, missing))} column(s): pass the DataFrame "
                         "compare_models() returns.")
    out = table[list(columns)].copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            digits = 4 if "cost" in col else 2
            out[col] = [("not measured" if math.isnan(v) else round(float(v), digits)) for v in out[col]]
    return out


def check_table(table, columns=("provider", "status", "quality", "median latency (s)", "cost per 1,000 queries ($)")):
    """Return ``table`` if it is a compare_models() table with these columns, else raise a clear error."""
    missing = [c for c in columns if c not in getattr(table, "columns", [])]
    if missing:
        raise InputError(f"This needs the table from compare_models(); missing columns {missing}.")
    return table


def shortlist(table, budget_per_1000: float, quality_floor: float) -> dict:
    """The product decision: the cheapest MEASURED model that clears the quality floor within budget; if none does,
    the cheapest projected model within budget is the one to measure next (a projection has no quality yet)."""
    check_table(table, ("status", "quality", "cost per 1,000 queries ($)"))
    for col in ("quality", "cost per 1,000 queries ($)"):
        if table[col].dtype.kind not in "iuf":  # integers or floats
            raise InputTypeError(f"The table's {col!r} column must hold numbers (NaN where not measured), "
                                 f"not {table[col].dtype} values: rebuild it with compare_models().")
    for name, v, hi in (("budget_per_1000", budget_per_1000, None), ("quality_floor", quality_floor, 1.0)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0 or (hi and v > hi):
            raise InputError(f"{name} must be a number ≥ 0{' and ≤ 1' if hi else ''}, not {v!r}.")
    cost = "cost per 1,000 queries ($)"
    measured = table[table["status"] == MEASURED]
    clears = list(measured.index[measured["quality"] >= quality_floor])
    fits = list(table.index[table[cost] <= budget_per_1000])
    counts = {"clear_floor": clears, "fit_budget": fits,
              "filters": f"{len(clears)} of {len(measured)} measured model(s) clear the {format_rate(quality_floor, 0)} "
                         f"quality floor; {len(fits)} of {len(table)} model(s) fit the {format_money(budget_per_1000)} "
                         "budget per 1,000 queries."}
    ok = measured[(measured["quality"] >= quality_floor) & (measured[cost] <= budget_per_1000)]
    if len(ok):
        best = ok.sort_values([cost, "quality"], ascending=[True, False]).index[0]
        return {"decision": "ship candidate", "choice": best, "qualifies": list(ok.index), **counts,
                "reason": f"{best} was measured at quality {format_rate(ok.loc[best, 'quality'], 0)} (floor {format_rate(quality_floor, 0)}) and "
                          f"{format_money(ok.loc[best, cost])} per 1,000 queries (budget {format_money(budget_per_1000)})."}
    projected = table[(table["status"] == PROJECTED) & (table[cost] <= budget_per_1000)].sort_values(cost)
    if len(projected):
        nxt = projected.index[0]
        return {"decision": "measure next", "choice": nxt, "qualifies": [], **counts,
                "reason": f"No measured model clears a {format_rate(quality_floor, 0)} quality floor within budget. {nxt} is the "
                          f"cheapest model projected under {format_money(budget_per_1000)} per 1,000 queries "
                          f"({format_money(projected.loc[nxt, cost])}): its quality is unknown until you measure it with a key."}
    return {"decision": "nothing fits", "choice": None, "qualifies": [], **counts,
            "reason": "No model, measured or projected, fits this budget: raise the budget or shorten prompts and answers."}


def plot_tradeoffs(table, ax=None):
    """Cost per 1,000 queries (log scale) for every row; measured rows show their quality, projections are hatched."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(table) + 1.2))
    table = table[table["cost per 1,000 queries ($)"].notna()]  # a run that failed entirely has no cost to draw
    cost = table["cost per 1,000 queries ($)"].clip(lower=1e-4)  # a free model still needs a bar on a log axis
    colors = ["#4C72B0" if s == MEASURED else "#DDDDDD" for s in table["status"]]
    bars = ax.barh(list(table.index)[::-1], cost.to_numpy()[::-1], color=colors[::-1], edgecolor="grey")
    for bar, (_, r) in zip(bars, list(table.iterrows())[::-1]):
        label = (f" {format_money(r['cost per 1,000 queries ($)'])} · quality {format_rate(r['quality'], 0)}" if r["status"] == MEASURED
                 else f" {format_money(r['cost per 1,000 queries ($)'])} · projection")
        if r["status"] != MEASURED:
            bar.set_hatch("//")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("$ per 1,000 queries (log scale; a free model is drawn at $0.0001)")
    return ax
