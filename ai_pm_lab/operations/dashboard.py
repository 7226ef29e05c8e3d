"""The AI metrics dashboard of a served day: quality, operational, business and cost figures, every one computed
from the run, drawn as one figure and exported as PNG and HTML under output_dir("dashboard")."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab.catalog import find_model, models
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.evaluation.stats import proportion_ci
from ai_pm_lab.llm.tokens import count_tokens, is_exact, openai_encoding_name
from ai_pm_lab.operations.traffic import Shift, assumptions
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import format_money, format_rate, returns_course_table


def cost_assumption(name: str) -> float:
    """One value from the course's cost assumptions (data/cost/cost_assumptions.csv), e.g. days_per_month."""
    for row in data_csv("cost/cost_assumptions.csv"):
        if row["name"] == name:
            return float(row["value"])
    raise InputError(f"No cost assumption named {name!r} in data/cost/cost_assumptions.csv.")


REQUIRED = ("status", "latency_s", "prompt_tokens", "completion_tokens", "cost_usd", "cache_hit", "model_called",
            "refused", "handled_correctly", "user_outcome", "resolution_minutes")


def _check_day(day) -> pd.DataFrame:
    if not isinstance(day, pd.DataFrame):
        raise InputTypeError("day must be the DataFrame returned by traffic.run_day() (served requests with user outcomes).")
    if day.empty:
        raise InputError("The day has no requests: serve some traffic with traffic.run_day(...) before drawing a dashboard.")
    missing = [c for c in REQUIRED if c not in day.columns]
    if missing:
        raise InputError(f"The day lacks {missing}: build it with traffic.run_day(assistant, requests).")
    return day


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson interval for a proportion (statsmodels), or None when n is 0."""
    require_number(n, "n", low=0, integer=True)
    require_number(successes, "successes", low=0, high=n, integer=True)
    if n == 0:
        return None
    return proportion_ci(successes, n, confidence)  # the course's one Wilson interval (evaluation.stats)


def percentile(values, q: float) -> float | None:
    """The q-th percentile of the finite values (None if there are none)."""
    v = np.asarray(pd.Series(values, dtype=float).dropna(), float)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, require_number(q, "q", low=0, high=100))) if v.size else None


# -- the four groups of metrics ------------------------------------------------------------------------------------
def quality_metrics(day: pd.DataFrame, *, review_sample_size: int | None = None, seed: int = 0) -> dict:
    """Accuracy on a reviewed sample (with a 95% interval), hallucination rate among answers, satisfaction proxy."""
    day = _check_day(day)
    size = int(assumptions()["review_sample_size"]) if review_sample_size is None else review_sample_size
    size = require_number(size, "review_sample_size", low=1, integer=True)
    reviewable = day[day["status"] != "error"]
    sample = reviewable.sample(n=min(size, len(reviewable)), random_state=seed) if len(reviewable) else reviewable
    correct = int(sample["handled_correctly"].sum())
    answered = day[day["hallucinated"].notna()] if "hallucinated" in day.columns else day.iloc[0:0]
    made_up = int(answered["hallucinated"].astype(bool).sum()) if len(answered) else 0
    return {
        "accuracy": correct / len(sample) if len(sample) else None,
        "accuracy_ci": wilson(correct, len(sample)),
        "review_sample": int(len(sample)),
        "hallucination_rate": made_up / len(answered) if len(answered) else None,
        "hallucination_ci": wilson(made_up, len(answered)),
        "answers": int(len(answered)),
        "satisfaction": float((day["user_outcome"] == "satisfied").mean()),
    }


def operational_metrics(day: pd.DataFrame) -> dict:
    """p50 / p95 latency, error rate, tokens per request and per model call, cache hit rate."""
    day = _check_day(day)
    tokens = day["prompt_tokens"].fillna(0) + day["completion_tokens"].fillna(0)
    called = day[day["model_called"].astype(bool)]
    through_cache = day[(day["status"] != "error") & (day["status"] != "handed to human")]
    return {
        "p50_latency_s": percentile(day["latency_s"], 50),
        "p95_latency_s": percentile(day["latency_s"], 95),
        "error_rate": float((day["status"] == "error").mean()),
        "tokens_per_request": float(tokens.mean()),
        "tokens_per_model_call": float((called["prompt_tokens"] + called["completion_tokens"]).mean()) if len(called) else None,
        "cache_hit_rate": float(through_cache["cache_hit"].mean()) if len(through_cache) else None,
        "model_calls": int(len(called)),
    }


def _days_covered(day: pd.DataFrame) -> int:
    if "time" not in day.columns:
        return 1
    dates = pd.to_datetime(day["time"], utc=True).dt.date
    return max(1, int(dates.nunique()))


def business_metrics(day: pd.DataFrame, *, overrides: dict | None = None) -> dict:
    """Queries per day, deflection, time to resolution against the human queue, adoption."""
    day = _check_day(day)
    a = {**assumptions(), **(overrides or {})}
    minutes = day["resolution_minutes"].astype(float)
    users = day["user_id"].nunique() if "user_id" in day.columns else 0
    return {
        "queries_per_day": len(day) / _days_covered(day),
        "deflection": float((day["user_outcome"] != "escalated").mean()),
        "median_resolution_min": float(minutes.median()),
        "mean_resolution_min": float(minutes.mean()),
        "human_queue_min": float(a["human_queue_minutes"]),
        "active_users": int(users),
        "eligible_users": int(a["eligible_users"]),
        "adoption": users / a["eligible_users"] if a["eligible_users"] > 0 else None,
    }


def _tokenizer_key(info) -> tuple[str, str | None]:
    """(backend, model) whose tokenizer counts this model's tokens: OpenAI's own, else the cl100k_base stand-in."""
    if info.provider == "openai":
        return "openai", f"{openai_encoding_name(info.model_id)}:{info.model_id}"
    return "anthropic", None


@lru_cache(maxsize=16384)
def _count(text: str, key: tuple) -> int:
    backend, tag = key
    return count_tokens(text, backend=backend, model=tag.split(":", 1)[1] if tag else None)


def paid_models() -> list:
    """Every model in the price table that charges for tokens."""
    return [m for m in models() if m.input_usd_per_1m > 0 or m.output_usd_per_1m > 0]


@returns_course_table
def cost_projection(day: pd.DataFrame, *, overrides: dict | None = None) -> pd.DataFrame:
    """What the day's model calls would cost on every paid model in the price table: the prompts and answers
    re-counted on each provider's tokenizer, priced, per query, per day, per month, and per month at production volume."""
    day = _check_day(day)
    a = {**assumptions(), **(overrides or {})}
    days = cost_assumption("days_per_month")
    called = day[day["model_called"].astype(bool)]
    prompts = called["prompt"].fillna("").tolist() if "prompt" in called.columns else []
    answers = called["answer"].fillna("").astype(str).tolist()
    per_day_requests = len(day) / _days_covered(day)
    rows = []
    for info in paid_models():
        key = _tokenizer_key(info)
        p_tok = [_count(p, key) for p in prompts]
        c_tok = [_count(t, key) for t in answers]
        daily = sum(estimate_cost(info.model_id, p, c) for p, c in zip(p_tok, c_tok)) / _days_covered(day)
        per_query = daily / per_day_requests
        rows.append({"provider": info.provider, "model": info.model_id, "display_name": info.display_name,
                     "tokens_counted": "exact" if is_exact(info.provider) else "estimate",
                     "input_tokens_per_call": float(np.mean(p_tok)) if p_tok else 0.0,
                     "output_tokens_per_call": float(np.mean(c_tok)) if c_tok else 0.0,
                     "per_query": per_query, "per_day": daily, "per_month": daily * days,
                     "per_month_at_production": per_query * a["production_requests_per_day"] * days})
    cols = ["provider", "model", "display_name", "tokens_counted", "input_tokens_per_call", "output_tokens_per_call",
            "per_query", "per_day", "per_month", "per_month_at_production"]
    return pd.DataFrame(rows, columns=cols).sort_values("per_month").reset_index(drop=True)


def cost_metrics(day: pd.DataFrame, projection: pd.DataFrame | None = None, *, overrides: dict | None = None) -> dict:
    """Spend on the backend that served the day (daily, per query, monthly) and the cheapest / dearest paid model."""
    day = _check_day(day)
    projection = cost_projection(day, overrides=overrides) if projection is None else projection
    known = pd.to_numeric(day["cost_usd"], errors="coerce")
    daily = float(known.fillna(0).sum()) / _days_covered(day)
    per_day_requests = len(day) / _days_covered(day)
    served_by = day.loc[day["model_called"].astype(bool), "model"].dropna()
    out = {
        "model": served_by.mode().iloc[0] if len(served_by) else None,
        "daily": daily, "per_query": daily / per_day_requests, "monthly": daily * cost_assumption("days_per_month"),
        "unpriced_calls": int((day["model_called"].astype(bool) & known.isna()).sum()),
        "cheapest": None, "dearest": None,
    }
    if len(projection):
        lo, hi = projection.iloc[0], projection.iloc[-1]
        out["cheapest"] = {"model": lo["model"], "per_query": lo["per_query"], "per_month": lo["per_month"],
                           "per_month_at_production": lo["per_month_at_production"]}
        out["dearest"] = {"model": hi["model"], "per_query": hi["per_query"], "per_month": hi["per_month"],
                          "per_month_at_production": hi["per_month_at_production"]}
    return out


@returns_course_table
def hourly(day: pd.DataFrame) -> pd.DataFrame:
    """Requests and refusal rate per hour of the day (hours with no traffic have no rate, never NaN on a chart)."""
    day = _check_day(day)
    if "time" in day.columns:
        hours = pd.to_datetime(day["time"], utc=True).dt.hour
    elif "hour" in day.columns:
        hours = day["hour"].astype(int)
    else:
        raise InputError("The day needs a 'time' or 'hour' column to draw traffic per hour.")
    ok = day["status"] != "error"
    frame = pd.DataFrame({"hour": hours, "refused": day["refused"].astype(bool) & ok, "ok": ok})
    g = frame.groupby("hour").agg(requests=("ok", "size"), answered_or_refused=("ok", "sum"), refused=("refused", "sum"))
    g = g.reindex(range(24), fill_value=0)
    g["refusal_rate"] = pd.Series([r / n if n else None for r, n in zip(g["refused"], g["answered_or_refused"])],
                                  index=g.index, dtype=object)
    return g.reset_index()


@dataclass
class Dashboard:
    """The computed dashboard: metrics by group, the cost projection, the hourly series, and (once drawn) the figure."""

    quality: dict
    operational: dict
    business: dict
    costs: dict
    projection: pd.DataFrame
    hours: pd.DataFrame
    title: str = "Tidewell support assistant"
    shift_hour: float | None = None
    figure: object = None
    png: Path | None = None
    html: Path | None = None

    def metrics(self) -> dict:
        """All headline figures in one flat dict (group.metric -> value)."""
        flat = {}
        for group in ("quality", "operational", "business", "costs"):
            for k, v in getattr(self, group).items():
                if not isinstance(v, (dict, tuple)):
                    flat[f"{group}.{k}"] = v
        return flat

    def tiles(self) -> dict[str, list[tuple[str, str]]]:
        """The text of the four tiles: (label, formatted value) per line."""
        q, o, b, c = self.quality, self.operational, self.business, self.costs
        ci = q["accuracy_ci"]
        acc = format_rate(q["accuracy"]) + (f" [{format_rate(ci[0])}–{format_rate(ci[1])}]" if ci else "")
        tiles = {
            "QUALITY": [(f"Accuracy (review of {q['review_sample']})", acc),
                        (f"Hallucination rate ({q['answers']} answers)", format_rate(q["hallucination_rate"])),
                        ("Satisfied users (proxy)", format_rate(q["satisfaction"]))],
            "OPERATIONAL": [("Latency p50 / p95", f"{_secs(o['p50_latency_s'])} / {_secs(o['p95_latency_s'])}"),
                            ("Error rate", format_rate(o["error_rate"])),
                            ("Tokens per request (per model call)",
                             f"{o['tokens_per_request']:.0f} ({_num(o['tokens_per_model_call'])})"),
                            ("Cache hit rate", format_rate(o["cache_hit_rate"]))],
            "BUSINESS": [("Queries / day", f"{b['queries_per_day']:,.0f}"),
                         ("Support deflection", format_rate(b["deflection"])),
                         ("Median time to resolution", f"{_mins(b['median_resolution_min'])} (human queue {_mins(b['human_queue_min'])})"),
                         ("Adoption", f"{format_rate(b['adoption'])} ({b['active_users']:,} of {b['eligible_users']:,})")],
            "COSTS": [(f"Daily spend ({c['model'] or 'no model call'})", format_money(c["daily"])),
                      ("Cost / query", format_money(c["per_query"])),
                      ("Monthly", format_money(c["monthly"]))],
        }
        if c["cheapest"]:
            tiles["COSTS"].append(("Monthly on paid models (this volume)",
                                   f"{format_money(c['cheapest']['per_month'])} – {format_money(c['dearest']['per_month'])}"))
        return tiles


def _plain(text: str) -> str:
    """Text for matplotlib with dollar signs shown as dollars, not as math markers."""
    return str(text).replace("$", r"\$")


def _secs(x) -> str:
    return "n/a" if x is None else (f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s")


def _mins(x) -> str:
    return "n/a" if x is None else (f"{x:.0f} min" if x < 120 else f"{x / 60:.1f} h")


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.0f}"


def compute_dashboard(day: pd.DataFrame, *, shift: Shift | None = None, review_sample_size: int | None = None,
                      seed: int = 0, title: str = "Tidewell support assistant", overrides: dict | None = None) -> Dashboard:
    """Every dashboard figure computed from one served day (traffic.run_day)."""
    day = _check_day(day)
    projection = cost_projection(day, overrides=overrides)
    return Dashboard(
        quality=quality_metrics(day, review_sample_size=review_sample_size, seed=seed),
        operational=operational_metrics(day), business=business_metrics(day, overrides=overrides),
        costs=cost_metrics(day, projection, overrides=overrides), projection=projection, hours=hourly(day),
        title=title, shift_hour=None if shift is None else shift.start_hour,
    )


# -- drawing and export --------------------------------------------------------------------------------------------
# Okabe-Ito colours (plots.PALETTE) so colour-blind readers can tell the outcomes apart (tests/test_accessibility.py).
OUTCOME_COLOURS = {"correct": "#009E73", "right refusal": "#56B4E9", "wrong answer": "#D55E00",
                   "answered, should refuse": "#CC79A7", "wrong refusal": "#E69F00", "error": "#000000",
                   "handed to human": "#0072B2"}


def draw(dash: Dashboard, day: pd.DataFrame):
    """The dashboard as one matplotlib figure: four tiles of figures over four small charts."""
    import matplotlib.pyplot as plt

    day = _check_day(day)
    fig = plt.figure(figsize=(18, 9))
    grid = fig.add_gridspec(2, 4, height_ratios=[0.9, 1.25], hspace=0.3, wspace=0.38)
    fig.suptitle(f"{dash.title}: one day, {len(day):,} requests", fontsize=15, fontweight="bold", x=0.02, ha="left")
    for i, (name, lines) in enumerate(dash.tiles().items()):
        ax = fig.add_subplot(grid[0, i])
        ax.set_axis_off()
        ax.add_patch(plt.Rectangle((0, 0), 1, 1, transform=ax.transAxes, color="#f3f5f8", zorder=0))
        ax.text(0.04, 0.92, name, fontsize=12, fontweight="bold", transform=ax.transAxes, va="top")
        for j, (label, value) in enumerate(lines):
            y = 0.74 - j * 0.19
            ax.text(0.04, y, _plain(label), fontsize=9, color="#555", transform=ax.transAxes, va="top")
            ax.text(0.04, y - 0.075, _plain(value), fontsize=13, fontweight="bold", transform=ax.transAxes, va="top")

    ax = fig.add_subplot(grid[1, 0])
    kinds = [k for k in ("answerable", "unanswerable", "new_product", "adversarial", "malformed") if k in set(day.get("kind", []))]
    if kinds:
        table = pd.crosstab(day["kind"], day["status"]).reindex(kinds).fillna(0)
        left = np.zeros(len(kinds))
        for status, colour in OUTCOME_COLOURS.items():
            if status in table.columns:
                ax.barh(kinds, table[status], left=left, color=colour, label=status)
                left += table[status].to_numpy()
        ax.invert_yaxis()
        ax.legend(fontsize=7, loc="lower right")
    ax.set_title("How each kind of request was handled", fontsize=10, loc="left")
    ax.set_xlabel("requests")

    ax = fig.add_subplot(grid[1, 1])
    lat = day["latency_s"].astype(float)
    lat = lat[np.isfinite(lat) & (lat > 0)]
    if len(lat):
        bins = np.logspace(np.log10(max(lat.min(), 1e-5)), np.log10(lat.max() * 1.01 + 1e-9), 30)
        hit = day.loc[lat.index, "cache_hit"].astype(bool)
        ax.hist([lat[hit], lat[~hit]], bins=bins, stacked=True, color=["#90caf9", "#1565c0"],
                label=["from cache", "fresh answer or refusal"])
        ax.set_xscale("log")
        for q, style in ((dash.operational["p50_latency_s"], "--"), (dash.operational["p95_latency_s"], ":")):
            if q is not None:
                ax.axvline(q, color="black", linestyle=style, linewidth=1)
        ax.legend(fontsize=7)
    ax.set_title("Latency per request (dashed p50, dotted p95)", fontsize=10, loc="left")
    ax.set_xlabel("seconds (log scale)")

    ax = fig.add_subplot(grid[1, 2])
    h = dash.hours
    ax.bar(h["hour"], h["requests"], color="#b0bec5", label="requests")
    ax.set_xlabel("hour of day (UTC)")
    ax.set_ylabel("requests")
    ax2 = ax.twinx()
    rated = h[h["refusal_rate"].notna() & (h["answered_or_refused"] >= 3)]
    ax2.plot(rated["hour"], rated["refusal_rate"].astype(float), color="#d84315", marker="o", markersize=3,
             label="refusal rate")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("refusal rate", color="#d84315")
    if dash.shift_hour is not None:
        ax.axvline(dash.shift_hour, color="#6a1b9a", linestyle="--", linewidth=1)
        ax.text(dash.shift_hour + 0.2, ax.get_ylim()[1] * 0.95, "launch", color="#6a1b9a", fontsize=8, va="top")
    ax.set_title("Requests and refusal rate per hour", fontsize=10, loc="left")

    ax = fig.add_subplot(grid[1, 3])
    p = dash.projection
    if len(p):
        ax.barh(p["model"], p["per_month_at_production"], color="#6d4c41")
        if (p["per_month_at_production"] > 0).any():
            ax.set_xscale("log")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
    prod = assumptions()["production_requests_per_day"]
    ax.set_title(f"Monthly cost at {prod:,.0f} requests/day", fontsize=10, loc="left")
    ax.set_xlabel(_plain("US$ per month, per paid model (log scale)"))
    dash.figure = fig
    return fig


def _html(dash: Dashboard, png_bytes: bytes) -> str:
    rows = []
    for name, lines in dash.tiles().items():
        rows.append(f"<h3>{html.escape(name.title())}</h3><table>")
        rows += [f"<tr><td>{html.escape(label)}</td><td><b>{html.escape(value)}</b></td></tr>" for label, value in lines]
        rows.append("</table>")
    proj = dash.projection.copy()
    for col in ("per_query", "per_day", "per_month", "per_month_at_production"):
        proj[col] = proj[col].map(format_money)
    img = base64.b64encode(png_bytes).decode("ascii")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(dash.title) + " dashboard</title>"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}td{padding:2px 12px}"
        "table{border-collapse:collapse}img{max-width:100%}</style></head><body>"
        f"<h1>{html.escape(dash.title)}</h1><img alt='dashboard' src='data:image/png;base64,{img}'>"
        + "".join(rows)
        + "<h3>Cost projection for every paid model</h3>" + proj.to_html(index=False, border=0)
        + "<p>Every figure is computed from the simulated day; user outcomes follow the assumptions in "
          "ai_pm_lab/data/operations/assumptions.csv.</p></body></html>"
    )


def export(dash: Dashboard, *, name: str = "dashboard", folder=None) -> dict:
    """Write the drawn dashboard as PNG and HTML (overwriting earlier files); returns their paths."""
    if dash.figure is None:
        raise InputError("Draw the dashboard first: draw(dash, day).")
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "/\\"):
        raise InputError("name must be a plain file name without folders, e.g. 'dashboard'.")
    target = Path(folder) if folder is not None else output_dir("dashboard")
    target.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    dash.figure.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    png, page = target / f"{name}.png", target / f"{name}.html"
    png.write_bytes(buf.getvalue())
    page.write_text(_html(dash, buf.getvalue()), encoding="utf-8")
    dash.png, dash.html = png, page
    return {"png": png, "html": page}


def build_dashboard(day: pd.DataFrame, *, shift: Shift | None = None, name: str = "dashboard", export_files: bool = True,
                    **kwargs) -> Dashboard:
    """compute_dashboard() + draw() + export(): the one call a notebook needs."""
    dash = compute_dashboard(day, shift=shift, **kwargs)
    draw(dash, day)
    if export_files:
        export(dash, name=name)
    return dash


def model_label(model_id: str | None) -> str:
    """A readable name for a model id from the price table (the id itself if it is not priced)."""
    info = find_model(model_id) if model_id else None
    return info.display_name if info else (model_id or "no model")


__all__ = ["Dashboard", "build_dashboard", "business_metrics", "compute_dashboard", "cost_metrics", "cost_projection",
           "draw", "export", "hourly", "model_label", "operational_metrics", "paid_models", "percentile",
           "quality_metrics", "wilson"]