"""A simulated day of traffic through the real assistant: realistic intents with Zipf-like repetition, unanswerable,
adversarial and malformed requests mixed in, a response cache doing real work, and user outcomes (satisfied,
retried, escalated) drawn from stated assumptions (data/operations/assumptions.csv)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.harness import ERROR_COLUMN, run_harness
from ai_pm_lab.evaluation.scorers import answer_correct, groundedness, unsupported_numbers
from ai_pm_lab.operations.assistant import Assistant
from ai_pm_lab.rag.documents import load_eval
from ai_pm_lab.tables import returns_course_table

ASSUMPTIONS_FILE = "operations/assumptions.csv"
INTENTS_FILE = "operations/intents.csv"
KINDS = ("answerable", "unanswerable", "adversarial", "malformed")
SHOULD_ANSWER = {"answerable": True, "unanswerable": False, "adversarial": False, "malformed": False,
                 "new_product": False}
DAY = "2026-03-02"  # a Monday
# Share of a day's requests in each hour (UTC): shift-based teams start early and peak late morning.
HOURLY_PROFILE = np.array([0.3, 0.2, 0.2, 0.2, 0.4, 1.0, 2.5, 4.5, 6.5, 7.5, 8.0, 8.0,
                           6.5, 7.0, 7.5, 7.0, 6.0, 5.0, 3.5, 2.5, 1.8, 1.2, 0.8, 0.5])
STATUSES = ("correct", "wrong answer", "answered, should refuse", "right refusal", "wrong refusal", "error",
            "handed to human")
USER_OUTCOMES = ("satisfied", "retried", "escalated")


# -- assumptions ---------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _assumption_rows() -> tuple[dict, ...]:
    return tuple({**r, "value": float(r["value"])} for r in data_csv(ASSUMPTIONS_FILE))


def assumptions() -> dict:
    """The stated assumptions behind the simulated day (name -> value) from data/operations/assumptions.csv."""
    return {r["name"]: r["value"] for r in _assumption_rows()}


@returns_course_table
def assumption_table() -> pd.DataFrame:
    """The assumptions with their units, meaning and source, for display."""
    return pd.DataFrame(_assumption_rows())[["name", "value", "unit", "meaning", "source"]]


def _merged(overrides: dict | None) -> dict:
    values = assumptions()
    for name, value in (overrides or {}).items():
        if name not in values:
            raise InputError(f"Unknown assumption {name!r}: choose one of {', '.join(values)}.")
        values[name] = float(require_number(value, name))
    return values


# -- intents and the simulated stream ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _intent_rows() -> tuple[dict, ...]:
    gold = {r["id"]: r for r in load_eval()}
    rows = []
    for r in data_csv(INTENTS_FILE):
        question = (r["question"] + " ") * int(r["repeat"]) if int(r["repeat"]) > 1 else r["question"]
        ref = gold.get(r["eval_id"]) if r["eval_id"] else None
        rows.append({"intent": r["intent"], "kind": r["kind"], "rank": int(r["rank"]), "eval_id": r["eval_id"] or None,
                     "question": question.strip() if int(r["repeat"]) > 1 else question,
                     "gold": ref["answer"] if ref else "", "gold_doc_ids": list(ref["doc_ids"]) if ref else [],
                     "should_answer": SHOULD_ANSWER[r["kind"]]})
    return tuple(rows)


@returns_course_table
def intents(kind: str | None = None) -> pd.DataFrame:
    """Every wording of every intent (data/operations/intents.csv), with its gold answer where the eval set has one."""
    df = pd.DataFrame(_intent_rows())
    if kind is None:
        return df
    if kind not in SHOULD_ANSWER:
        raise InputError(f"Unknown kind {kind!r}: choose one of {', '.join(SHOULD_ANSWER)}.")
    return df[df.kind == kind].reset_index(drop=True)


@lru_cache(maxsize=1)
def _intent_groups() -> dict[str, tuple[tuple[dict, ...], ...]]:
    """Per kind, each intent's wordings as row dicts, intents in rank order: built once, not once per request."""
    table = intents()
    return {k: tuple(tuple(g.to_dict("records")) for _, g in
                     sorted(table[table.kind == k].groupby("intent"), key=lambda kv: kv[1]["rank"].iloc[0]))
            for k in SHOULD_ANSWER}


@dataclass(frozen=True)
class Shift:
    """A change in what users ask: from ``start_hour`` on, a ``share`` of requests are about ``kind`` (by default
    a newly launched product the knowledge base does not cover)."""

    start_hour: float = 13.0
    share: float = 0.3
    kind: str = "new_product"

    def __post_init__(self):
        require_number(self.start_hour, "start_hour", low=0, high=24)
        require_number(self.share, "share", low=0, high=1)
        if self.kind not in SHOULD_ANSWER:
            raise InputError(f"Unknown kind {self.kind!r}: choose one of {', '.join(SHOULD_ANSWER)}.")


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Popularity of ranks 1..n when traffic falls as 1/rank^exponent (sums to 1)."""
    n = require_number(n, "n", low=1, integer=True)
    exponent = require_number(exponent, "exponent", low=0, high=5)
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def _draw_wording(rng, rows: list[dict], canonical_share: float) -> dict:
    """One wording of an intent (its rows, most common wording first): the canonical one or another at random."""
    if len(rows) == 1 or rng.random() < canonical_share:
        return rows[0]
    return rows[1 + int(rng.integers(len(rows) - 1))]


@returns_course_table
def simulate_day(n_requests: int | None = None, *, seed: int = 0, shift: Shift | None = None, day: str = DAY,
                 overrides: dict | None = None) -> pd.DataFrame:
    """One day of requests (not yet answered): time, user, intent, kind, question and its label, sorted by time."""
    values = _merged(overrides)
    n = int(values["requests_per_day"]) if n_requests is None else n_requests
    n = require_number(n, "n_requests", low=1, high=100_000, integer=True)
    seed = require_number(seed, "seed", low=0, high=2**32 - 1, integer=True)
    if shift is not None and not isinstance(shift, Shift):
        raise InputTypeError("shift must be a Shift(start_hour=..., share=...) or None.")
    shares = np.array([values[f"share_{k}"] for k in KINDS], float)
    if shares.sum() <= 0:
        raise InputError("The share_* assumptions add up to 0: give at least one kind of request a positive share.")
    shares = shares / shares.sum()
    rng = np.random.default_rng(seed)
    groups = _intent_groups()
    hours = rng.choice(24, size=n, p=HOURLY_PROFILE / HOURLY_PROFILE.sum())
    seconds = np.sort(hours * 3600 + rng.integers(0, 3600, size=n))
    adopters = max(1, int(round(values["eligible_users"] * values["adopter_share"])))
    user_ranks = rng.choice(adopters, size=n, p=zipf_weights(adopters, 1.0))
    user_ids = rng.permutation(adopters)[user_ranks]
    try:
        start = pd.Timestamp(date.fromisoformat(require_text(day, "day")), tz="UTC")
    except ValueError:
        raise InputError(f"day must be a real date written YYYY-MM-DD, e.g. {DAY!r}, not {day!r}.") from None
    rows = []
    for i in range(n):
        hour = seconds[i] / 3600
        if shift is not None and hour >= shift.start_hour and rng.random() < shift.share:
            kind = shift.kind
        else:
            kind = KINDS[int(rng.choice(len(KINDS), p=shares))]
        options = groups[kind]
        if not options:
            raise InputError(f"intents.csv has no intents of kind {kind!r}.")
        group = options[int(rng.choice(len(options), p=zipf_weights(len(options), values["zipf_exponent"])))]
        wording = _draw_wording(rng, group, values["canonical_variant_share"])
        rows.append({"request_id": i + 1, "time": start + pd.Timedelta(seconds=int(seconds[i])), "hour": int(hour),
                     "user_id": f"u{int(user_ids[i]) + 1:04d}", **wording})
    return pd.DataFrame(rows)


# -- serving and scoring -------------------------------------------------------------------------------------------
def status_of(request: dict, reply: dict) -> str:
    """How a reply handled its request: correct, wrong answer, answered when it should refuse, right/wrong refusal,
    handed to a human (kill switch)."""
    if reply.get("route") == "human":
        return "handed to human"
    if reply["refused"]:
        return "wrong refusal" if request["should_answer"] else "right refusal"
    if not request["should_answer"]:
        return "answered, should refuse"
    return "correct" if answer_correct(reply["answer"], request["gold"]) else "wrong answer"


def score_reply(request: dict, reply: dict) -> dict:
    """Scores for one served request: status, handled correctly, hallucinated, groundedness of an answer."""
    status = status_of(request, reply)
    answered = not reply["refused"] and reply.get("route") != "human"
    made_up = answered and (not request["should_answer"] or bool(unsupported_numbers(reply["answer"], reply["context"])))
    return {
        "status": status,
        "handled_correctly": status in ("correct", "right refusal"),
        "hallucinated": made_up if answered else None,
        "groundedness": groundedness(reply["answer"], reply["context"]) if answered else None,
    }


def serve(assistant: Assistant, requests: pd.DataFrame, *, desc: str = "Serving the day", progress: bool = True) -> pd.DataFrame:
    """Send every request through the assistant (run_harness): one row per request with the reply, its receipts and
    its scores; an input that breaks the assistant is an `error` row, never a crash."""
    if not isinstance(assistant, Assistant):
        raise InputTypeError(f"assistant must be an Assistant (ai_pm_lab.operations.assistant), not {type(assistant).__name__}.")
    if not isinstance(requests, pd.DataFrame):
        raise InputTypeError("requests must be a DataFrame from simulate_day().")
    if requests.empty:
        raise InputError("No requests to serve: simulate some with simulate_day(n_requests=...) first.")
    missing = {"question", "should_answer", "gold"} - set(requests.columns)
    if missing:
        raise InputError(f"requests lack the columns {sorted(missing)}: build them with simulate_day().")
    # a request that breaks the assistant becomes an 'error' row that the dashboard counts: no warning on top
    out = run_harness(requests.to_dict("records"), assistant.handle, score_reply, desc=desc, progress=progress,
                      warn=False)
    failed = out[ERROR_COLUMN].notna()
    defaults = {"status": "error", "route": "assistant", "outcome": "error", "refused": False, "handled_correctly": False,
                "model_called": False, "cache_hit": False, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0,
                "answer": "", "version": assistant.config.name}
    for col, value in defaults.items():
        if col not in out.columns:
            out[col] = None
        out[col] = out[col].astype(object)
        out.loc[failed, col] = value
    for col in ("prompt_tokens", "completion_tokens"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("refused", "handled_correctly", "model_called", "cache_hit"):
        out[col] = out[col].fillna(False).astype(bool)
    out["latency_s"] = pd.to_numeric(out["latency_s"], errors="coerce") if "latency_s" in out.columns else np.nan
    out["cost_usd"] = pd.to_numeric(out["cost_usd"], errors="coerce")
    return out


def simulate_outcomes(served: pd.DataFrame, *, seed: int = 0, overrides: dict | None = None) -> pd.DataFrame:
    """Add what each user did next (satisfied / retried / escalated) and minutes to resolution, drawn from the
    assumptions for that reply's status (a copy; the input is not changed)."""
    if not isinstance(served, pd.DataFrame) or "status" not in served.columns:
        raise InputTypeError("served must be the DataFrame returned by serve().")
    if served.empty:
        raise InputError("No served requests: run serve() on a non-empty day first.")
    a = _merged(overrides)
    for name in ("p_satisfied_correct", "p_retry_correct", "p_satisfied_wrong", "p_retry_wrong", "p_escalate_refused",
                 "p_escalate_error"):
        require_number(a[name], name, low=0, high=1)
    if a["p_satisfied_correct"] + a["p_retry_correct"] > 1 or a["p_satisfied_wrong"] + a["p_retry_wrong"] > 1:
        raise InputError("p_satisfied_* + p_retry_* must not exceed 1 (the rest of the users escalate).")
    probs = {  # satisfied, retried, escalated
        "correct": (a["p_satisfied_correct"], a["p_retry_correct"]),
        "wrong": (a["p_satisfied_wrong"], a["p_retry_wrong"]),
        "refused": (0.0, 1 - a["p_escalate_refused"]),
        "error": (0.0, 1 - a["p_escalate_error"]),
        "human": (0.0, 0.0),
    }
    group = {"correct": "correct", "wrong answer": "wrong", "answered, should refuse": "wrong", "right refusal": "refused",
             "wrong refusal": "refused", "error": "error", "handed to human": "human"}
    rng = np.random.default_rng(require_number(seed, "seed", low=0, high=2**32 - 1, integer=True))
    draws = rng.random(len(served))
    outcomes, minutes = [], []
    latency_min = served["latency_s"].fillna(0).to_numpy() / 60
    for status, u, lat in zip(served["status"], draws, latency_min):
        p_sat, p_retry = probs[group[status]]
        outcome = "satisfied" if u < p_sat else "retried" if u < p_sat + p_retry else "escalated"
        outcomes.append(outcome)
        base = lat + (a["read_minutes"] if group[status] != "human" else 0.0)
        minutes.append(base + {"satisfied": 0.0, "retried": a["retry_minutes"], "escalated": a["human_queue_minutes"]}[outcome])
    out = served.copy()
    out["user_outcome"] = outcomes
    out["resolution_minutes"] = minutes
    return out


def run_day(assistant: Assistant, requests: pd.DataFrame, *, seed: int = 0, progress: bool = True,
            overrides: dict | None = None) -> pd.DataFrame:
    """serve() then simulate_outcomes(): the full record of a day."""
    return simulate_outcomes(serve(assistant, requests, progress=progress), seed=seed, overrides=overrides)


def cache_report(served: pd.DataFrame) -> dict:
    """What the response cache did: hit rate, requests, distinct questions, model calls, and the share of requests
    whose intent had been asked before in other words (what a meaning-based cache could catch at most)."""
    if not isinstance(served, pd.DataFrame) or "cache_hit" not in served.columns:
        raise InputTypeError("served must be the DataFrame returned by serve().")
    if served.empty:
        raise InputError("No served requests: run serve() on a non-empty day first.")
    ok = served[served["status"] != "error"]
    seen_intent = served["intent"].duplicated() if "intent" in served.columns else pd.Series(False, index=served.index)
    return {
        "requests": int(len(served)),
        "distinct_questions": int(ok["question"].map(lambda q: " ".join(str(q).lower().split())).nunique()),
        "cache_hits": int(served["cache_hit"].sum()),
        "hit_rate": float(served["cache_hit"].mean()),
        "model_calls": int(served["model_called"].sum()),
        "repeat_intent_share": float(seen_intent[served["status"] != "error"].mean()) if len(ok) else 0.0,
    }
