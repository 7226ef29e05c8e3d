"""Shipping a change safely: shadow mode (the candidate answers the same traffic, users only see the current
version) and a canary (5% → 25% → 100% of users) with guardrails and automatic rollback."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ai_pm_lab.catalog import default_model, model_info
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.operations.assistant import Assistant, AssistantConfig, ResponseCache
from ai_pm_lab.operations.traffic import serve
from ai_pm_lab.tables import format_money, format_rate, returns_course_table

DEFAULT_STAGES = (0.05, 0.25, 1.0)


@dataclass(frozen=True)
class Guardrails:
    """Limits a candidate may not cross compared with the current version (control)."""

    max_refusal_increase: float = 0.10  # refusal rate may rise by at most this many points (absolute)
    max_groundedness_drop: float = 0.10  # mean groundedness of answers may fall by at most this much (absolute)
    max_p95_latency_ratio: float = 1.5  # p95 latency may grow to at most this multiple
    max_cost_ratio: float = 1.25  # cost per query may grow to at most this multiple
    min_requests: int = 20  # a stage needs this many candidate requests before it is judged
    price_model: str | None = None  # the paid model costs are priced at (default: the table's default OpenAI model)

    def __post_init__(self):
        require_number(self.max_refusal_increase, "max_refusal_increase", low=0, high=1)
        require_number(self.max_groundedness_drop, "max_groundedness_drop", low=0, high=1)
        require_number(self.max_p95_latency_ratio, "max_p95_latency_ratio", low=1, high=100)
        require_number(self.max_cost_ratio, "max_cost_ratio", low=1, high=100)
        require_number(self.min_requests, "min_requests", low=1, high=100_000, integer=True)
        if self.price_model is not None:
            model_info(self.price_model)  # a clear error for an unknown id

    def pricing_model(self) -> str:
        """The model id costs are priced at."""
        return self.price_model or default_model("openai")


def arm_metrics(served: pd.DataFrame, price_model: str) -> dict:
    """The guardrail metrics of one arm: refusal rate, groundedness, p95 latency, cost per query (priced)."""
    if not isinstance(served, pd.DataFrame):
        raise InputTypeError("served must be a DataFrame from traffic.serve().")
    ok = served[served["status"] != "error"] if len(served) else served
    n = int(len(served))
    if n == 0:
        return {"requests": 0, "refusal_rate": None, "groundedness": None, "p95_latency_s": None, "cost_per_query": None,
                "accuracy": None, "error_rate": None}
    answered = ok[ok["groundedness"].notna()] if "groundedness" in ok.columns else ok.iloc[0:0]
    lat = pd.to_numeric(ok["latency_s"], errors="coerce").dropna()
    called = served[served["model_called"].astype(bool)]
    cost = sum(estimate_cost(price_model, int(p), int(c)) for p, c in zip(called["prompt_tokens"], called["completion_tokens"]))
    return {
        "requests": n,
        "refusal_rate": float(ok["refused"].astype(bool).mean()) if len(ok) else None,
        "groundedness": float(answered["groundedness"].astype(float).mean()) if len(answered) else None,
        "p95_latency_s": float(np.percentile(lat, 95)) if len(lat) else None,
        "cost_per_query": cost / n,
        "accuracy": float(ok["handled_correctly"].astype(bool).mean()) if len(ok) else None,
        "error_rate": float((served["status"] == "error").mean()),
    }


def _measured(value):
    """The value, or None when nothing was measured (None or NaN)."""
    return None if value is None or pd.isna(value) else value


@returns_course_table
def check_guardrails(control: dict, candidate: dict, guardrails: Guardrails) -> pd.DataFrame:
    """One row per guardrail: control value, candidate value, the limit, and whether the candidate stays inside it
    (None when a side has nothing to measure, e.g. no answers to judge groundedness, or a NaN: no data, which never
    passes a guardrail; see ``unmeasured``)."""
    if not isinstance(guardrails, Guardrails):
        raise InputTypeError("guardrails must be a Guardrails(...).")
    g = guardrails

    def row(metric, limit_text, ok_fn):
        c, k = _measured(control.get(metric)), _measured(candidate.get(metric))
        ok = None if c is None or k is None else bool(ok_fn(c, k))
        return {"guardrail": metric, "control": c, "candidate": k, "limit": limit_text, "ok": ok}

    return pd.DataFrame([
        row("refusal_rate", f"≤ control + {g.max_refusal_increase:.2f}", lambda c, k: k <= c + g.max_refusal_increase + 1e-12),
        row("groundedness", f"≥ control − {g.max_groundedness_drop:.2f}", lambda c, k: k >= c - g.max_groundedness_drop - 1e-12),
        row("p95_latency_s", f"≤ {g.max_p95_latency_ratio:g} × control", lambda c, k: k <= c * g.max_p95_latency_ratio + 1e-12),
        row("cost_per_query", f"≤ {g.max_cost_ratio:g} × control", lambda c, k: k <= c * g.max_cost_ratio + 1e-15),
    ])


def _arms(assistant: Assistant, baseline: AssistantConfig, candidate: AssistantConfig):
    if not isinstance(assistant, Assistant):
        raise InputTypeError(f"assistant must be an Assistant, not {type(assistant).__name__}.")
    for name, cfg in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(cfg, AssistantConfig):
            raise InputTypeError(f"{name} must be an AssistantConfig, not {type(cfg).__name__}.")
    # Both arms answer uncached, so a new version's cold cache does not make it look slow or expensive.
    make = lambda cfg: assistant.with_config(cfg, cache=ResponseCache(), log=None, use_cache=False)  # noqa: E731
    control, cand = make(baseline), make(candidate)
    control.kill_switch = cand.kill_switch = False
    return control, cand


@dataclass
class ShadowResult:
    """The candidate run in shadow on the same requests as the current version."""

    baseline: pd.DataFrame
    candidate: pd.DataFrame
    comparison: pd.DataFrame
    guardrails: pd.DataFrame
    changed: pd.DataFrame

    @property
    def passes(self) -> bool:
        """Whether the candidate was measured on every guardrail and stays inside each (no data never passes)."""
        return bool((self.guardrails["ok"] == True).all())  # noqa: E712 - None (no data) is not a pass


def unmeasured(table: pd.DataFrame) -> list[str]:
    """The guardrails of a check_guardrails() table that a side had no data for: they cannot pass."""
    return table.loc[table["ok"].isna(), "guardrail"].tolist()


@returns_course_table
def shadow(assistant: Assistant, requests: pd.DataFrame, baseline: AssistantConfig, candidate: AssistantConfig, *,
           guardrails: Guardrails | None = None, progress: bool = True) -> ShadowResult:
    """Serve every request with both versions (users would only see the baseline's reply) and compare them."""
    guardrails = Guardrails() if guardrails is None else guardrails
    control, cand = _arms(assistant, baseline, candidate)
    base = serve(control, requests, desc=f"shadow: {baseline.name}", progress=progress)
    new = serve(cand, requests, desc=f"shadow: {candidate.name}", progress=progress)
    price = guardrails.pricing_model()
    m_base, m_new = arm_metrics(base, price), arm_metrics(new, price)
    comparison = pd.DataFrame({baseline.name: m_base, candidate.name: m_new})
    moved = base["status"].to_numpy() != new["status"].to_numpy()
    cols = [c for c in ("request_id", "kind", "question") if c in base.columns]
    changed = base.loc[moved, cols].copy()
    changed[f"{baseline.name}"] = base.loc[moved, "status"].to_numpy()
    changed[f"{candidate.name}"] = new.loc[moved, "status"].to_numpy()
    return ShadowResult(base, new, comparison, check_guardrails(m_base, m_new, guardrails), changed)


def in_canary(user_id, share: float, seed: int = 0) -> bool:
    """Whether a user is in the candidate's share of traffic (stable: a user in at 5% stays in at 25%)."""
    share = require_number(share, "share", low=0, high=1)
    digest = hashlib.sha256(f"{seed}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass
class CanaryResult:
    """What happened at each stage of a canary, and the final decision."""

    stages: pd.DataFrame
    checks: dict = field(default_factory=dict)
    decision: str = ""
    stopped_at: float | None = None
    served: pd.DataFrame | None = None

    @property
    def rolled_back(self) -> bool:
        """Whether a guardrail tripped and the candidate was rolled back."""
        return self.decision.startswith("rolled back")

    @property
    def promoted(self) -> bool:
        """Whether the candidate reached 100% of traffic with every guardrail held."""
        return self.decision.startswith("promoted")

    @property
    def last_stage(self) -> float | None:
        """The share of traffic at the last stage judged (where it stopped, or 100%)."""
        return self.stopped_at if self.stopped_at is not None else (max(self.checks) if self.checks else None)

    @property
    def breached(self) -> list[str]:
        """The guardrails outside their limit at the last stage judged (empty when none tripped)."""
        table = self.checks.get(self.last_stage)
        return [] if table is None else table.loc[table["ok"] == False, "guardrail"].tolist()  # noqa: E712


# each guardrail's metric, in words (decisions and the canary report)
GUARDRAIL_LABELS = {"refusal_rate": "refusal rate", "groundedness": "groundedness", "p95_latency_s": "p95 latency",
                    "cost_per_query": "cost per query"}


@returns_course_table
def canary_report(results: dict) -> pd.DataFrame:
    """Each candidate's guardrails at the last stage its canary judged: where it stopped, on how many candidate
    requests, and every guardrail's control and candidate value, its limit and whether it held."""
    if not isinstance(results, dict) or not results or not all(isinstance(r, CanaryResult) for r in results.values()):
        raise InputTypeError("results must be a dict: candidate name -> the CanaryResult of canary(...).")
    parts = []
    for name, r in results.items():
        table = r.checks.get(r.last_stage)
        if table is None:
            continue
        n = r.stages["candidate_requests"].iloc[-1] if len(r.stages) else 0
        parts.append(table.assign(candidate_version=name, stage=format_rate(r.last_stage, 0), candidate_requests=int(n)))
    if not parts:
        raise InputError("No canary stage was judged: run canary(...) on some traffic first.")
    out = pd.concat(parts, ignore_index=True)
    show = {"refusal_rate": format_rate, "groundedness": lambda v: f"{v:.2f}", "p95_latency_s": lambda v: f"{v:.1f} s",
            "cost_per_query": format_money}
    show = {g: (GUARDRAIL_LABELS[g], fmt) for g, fmt in show.items()}
    for col in ("control", "candidate"):
        out[col] = [("no data" if _measured(v) is None else show[g][1](v)) for g, v in zip(out["guardrail"], out[col])]
    out["held"] = [{True: "yes", False: "NO"}.get(ok, "no data") for ok in out["ok"]]
    out["guardrail"] = out["guardrail"].map(lambda g: show[g][0])
    out = out.rename(columns={"candidate_version": "candidate version", "candidate_requests": "candidate requests",
                              "control": "today's version", "candidate": "candidate value"})
    return out[["candidate version", "stage", "candidate requests", "guardrail", "today's version", "candidate value",
                "limit", "held"]]


@returns_course_table
def canary(assistant: Assistant, requests: pd.DataFrame, baseline: AssistantConfig, candidate: AssistantConfig, *,
           stages=DEFAULT_STAGES, guardrails: Guardrails | None = None, seed: int = 0, progress: bool = True) -> CanaryResult:
    """Roll the candidate out stage by stage to a growing share of users; after each stage compare it with the
    current version on the guardrails and roll back automatically at the first breach."""
    guardrails = Guardrails() if guardrails is None else guardrails
    stages = tuple(float(require_number(s, "stage share", low=0, high=1)) for s in stages)
    if not stages or any(b <= a for a, b in zip(stages, stages[1:])) or stages[0] <= 0:
        raise InputError("stages must be increasing shares above 0, e.g. (0.05, 0.25, 1.0).")
    if not isinstance(requests, pd.DataFrame) or requests.empty:
        raise InputError("No requests for the canary: simulate traffic with traffic.simulate_day() first.")
    if "user_id" not in requests.columns:
        raise InputError("requests need a user_id column (canary shares are by user): use traffic.simulate_day().")
    control, cand = _arms(assistant, baseline, candidate)
    price = guardrails.pricing_model()
    stream = requests.sort_values("time") if "time" in requests.columns else requests
    stream = stream.reset_index(drop=True)
    rows, checks, served_parts, control_so_far = [], {}, [], []
    pos, decision, stopped = 0, "", None
    for share in stages:
        in_cand, taken = [], 0
        while pos + taken < len(stream) and sum(in_cand) < guardrails.min_requests:
            in_cand.append(share >= 1.0 or in_canary(stream.loc[pos + taken, "user_id"], share, seed))
            taken += 1
        part = stream.iloc[pos:pos + taken]
        pos += taken
        mask = np.array(in_cand, dtype=bool)
        cand_df = serve(cand, part[mask], desc=f"canary {format_rate(share, 0)}: {candidate.name}", progress=progress) if mask.any() else part.iloc[0:0]
        ctrl_df = serve(control, part[~mask], desc=f"canary {format_rate(share, 0)}: {baseline.name}", progress=progress) if (~mask).any() else part.iloc[0:0]
        if len(ctrl_df):
            control_so_far.append(ctrl_df)
        served_parts += [cand_df.assign(arm=candidate.name, stage=share), ctrl_df.assign(arm=baseline.name, stage=share)]
        reference = pd.concat(control_so_far, ignore_index=True) if share >= 1.0 and control_so_far else ctrl_df
        m_cand, m_ctrl = arm_metrics(cand_df, price), arm_metrics(reference, price)
        table = check_guardrails(m_ctrl, m_cand, guardrails)
        checks[share] = table
        breached = table.loc[table["ok"] == False, "guardrail"].tolist()  # noqa: E712
        no_data = unmeasured(table)
        enough = m_cand["requests"] >= guardrails.min_requests
        if breached:
            verdict = "roll back"
        elif not enough:
            verdict = "hold: not enough traffic"
        elif no_data:
            verdict = "hold: no data"
        else:
            verdict = "promote" if share < 1.0 else "done"
        rows.append({"stage": share, "candidate_requests": m_cand["requests"], "control_requests": m_ctrl["requests"],
                     **{f"{k} (candidate)": m_cand[k] for k in ("refusal_rate", "groundedness", "p95_latency_s", "cost_per_query")},
                     **{f"{k} (control)": m_ctrl[k] for k in ("refusal_rate", "groundedness", "p95_latency_s", "cost_per_query")},
                     "breached": ", ".join(breached), "verdict": verdict})
        if breached:
            named = ", ".join(GUARDRAIL_LABELS.get(b, b) for b in breached)
            decision, stopped = f"rolled back at {format_rate(share, 0)}: {named} outside the guardrail", share
            break
        if not enough:
            decision, stopped = f"on hold at {format_rate(share, 0)}: only {m_cand['requests']} candidate requests", share
            break
        if no_data:
            decision, stopped = (f"on hold at {format_rate(share, 0)}: no data for {', '.join(GUARDRAIL_LABELS.get(g, g) for g in no_data)}, so the guardrail cannot "
                                 "pass"), share
            break
    else:
        decision = f"promoted to 100% of traffic: every guardrail held at {', '.join(f'{format_rate(s, 0)}' for s in stages)}"
    served = pd.concat([p for p in served_parts if len(p)], ignore_index=True) if served_parts else None
    return CanaryResult(pd.DataFrame(rows), checks, decision, stopped, served)
