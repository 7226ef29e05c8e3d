"""Evaluate → gate → shadow → canary: the capstone's launch path, each step a plain function returning data.

Requests are served and scored by the week-6 machinery (``serve``, ``score_reply``: the course harness underneath),
the gate is the week-7 ``SuccessCriteria``, and the non-AI baseline is scored by exactly the same rules."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai_pm_lab.capstone.assistant import KeywordFAQ
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.evaluation.harness import ERROR_COLUMN, run_harness
from ai_pm_lab.framing.canvas import SuccessCriteria, guardrail, success
from ai_pm_lab.framing.criteria_file import criteria_path, load_criteria
from ai_pm_lab.operations.assistant import Assistant
from ai_pm_lab.operations.dashboard import compute_dashboard, draw, export
from ai_pm_lab.operations.rollout import in_canary
from ai_pm_lab.operations.traffic import score_reply, serve, simulate_outcomes
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import format_rate, returns_course_table

HANDLED = "questions handled correctly"
WRONG = "wrong answers"
LATENCY = "p95 latency (s)"
COST = "cost per 1,000 questions ($)"
WRONG_STATUSES = ("wrong answer", "answered, should refuse")
CANARY_STAGES = (0.05, 0.25, 0.5, 1.0)
MIN_CANARY_REQUESTS = 5


@returns_course_table
def requests_from_rows(rows) -> pd.DataFrame:
    """Test questions (question, answer, answerable) as requests the served assistant and the scorer understand."""
    rows = list(rows)
    if not rows:
        raise InputError("No test questions: add rows with a question and the expected answer ('' if it should decline).")
    return pd.DataFrame([{"request_id": i + 1, "question": r["question"], "gold": r.get("answer", "") or "",
                          "should_answer": bool(r.get("answerable", bool(r.get("answer")))),
                          "kind": "answerable" if r.get("answerable", bool(r.get("answer"))) else "unanswerable",
                          "intent": r.get("id") or r["question"][:40]} for i, r in enumerate(rows)])


@returns_course_table
def serve_faq(faq: KeywordFAQ, requests: pd.DataFrame, *, desc: str = "Keyword FAQ", progress: bool = True) -> pd.DataFrame:
    """The keyword FAQ over the same requests, scored by the same rules as the AI (week-6 score_reply)."""
    if not isinstance(faq, KeywordFAQ):
        raise InputTypeError(f"faq must be a KeywordFAQ, not {type(faq).__name__}.")
    out = run_harness(requests.to_dict("records"), faq.handle, score_reply, desc=desc, progress=progress,
                      warn=False)  # failures become 'error' rows, as in traffic.serve
    failed = out[ERROR_COLUMN].notna()
    for col, value in {"status": "error", "handled_correctly": False, "refused": False, "latency_s": 0.0,
                       "cost_usd": 0.0, "answer": ""}.items():
        if col not in out.columns:
            out[col] = None
        out[col] = out[col].astype(object)
        out.loc[failed, col] = value
    out["handled_correctly"] = out["handled_correctly"].astype(bool)
    out["refused"] = out["refused"].astype(bool)
    out["latency_s"] = pd.to_numeric(out["latency_s"], errors="coerce").fillna(0.0)
    out["cost_usd"] = pd.to_numeric(out["cost_usd"], errors="coerce").fillna(0.0)
    return out


@returns_course_table
def evaluate(system, rows_or_requests, *, progress: bool = True) -> pd.DataFrame:
    """Serve test questions (or a day of requests) to the AI assistant or the keyword FAQ; one scored row each."""
    requests = rows_or_requests if isinstance(rows_or_requests, pd.DataFrame) else requests_from_rows(rows_or_requests)
    if isinstance(system, Assistant):
        return serve(system, requests, desc="AI assistant", progress=progress)
    return serve_faq(system, requests, progress=progress)


def metrics(served: pd.DataFrame) -> dict:
    """Launch metrics of one served set: handled correctly, wrong answers, p95 latency, cost per 1,000 questions."""
    if not isinstance(served, pd.DataFrame) or "status" not in served.columns or served.empty:
        raise InputError("metrics() needs the non-empty table returned by evaluate().")
    latency = pd.to_numeric(served["latency_s"], errors="coerce").dropna()
    cost = pd.to_numeric(served["cost_usd"], errors="coerce").fillna(0.0)
    return {
        HANDLED: float(served["handled_correctly"].astype(bool).mean()),
        WRONG: float(served["status"].isin(WRONG_STATUSES).mean()),
        LATENCY: float(np.percentile(latency, 95)) if len(latency) else 0.0,
        COST: float(cost.mean() * 1000),
        "declined": float(served["refused"].astype(bool).mean()),
        "questions": int(len(served)),
    }


@returns_course_table
def compare(ai: dict, faq: dict) -> pd.DataFrame:
    """The two systems' metrics side by side."""
    keys = [HANDLED, WRONG, "declined", LATENCY, COST]
    return pd.DataFrame({"AI assistant": [ai[k] for k in keys], "keyword FAQ (today)": [faq[k] for k in keys]}, index=keys)


def starter_criteria(baseline: dict, *, improvement: float = 0.25, latency_limit_s: float = 5.0,
                     cost_limit_usd: float = 5.0) -> SuccessCriteria:
    """An EXAMPLE set of criteria to start from and edit, never the gate: the gate judges the criteria the learner
    wrote (week 7's saved ones, or their own cell in week 8; see :func:`gate_criteria`).

    The example: handle more questions correctly than today's keyword FAQ, closing ``improvement`` of its gap to
    perfect; no more wrong answers than the FAQ; p95 latency and cost per 1,000 questions under fixed limits."""
    b = round(float(baseline[HANDLED]), 3)
    if b >= 1.0:
        raise InputError("The keyword FAQ already handles every test question correctly: there is nothing for AI to "
                         "improve on this test set. Add harder questions (and some the documents cannot answer).")
    target = max(round(b + (1.0 - b) * improvement, 3), b + 0.001)
    wrong = round(float(baseline[WRONG]), 3)
    return SuccessCriteria([
        success(HANDLED, b, target, "higher", note="the right answer, or 'I don't know' when the documents cannot answer"),
        guardrail(WRONG, wrong, "lower", baseline=wrong, note="confident wrong answers: never more than today"),
        guardrail(LATENCY, latency_limit_s, "lower", unit="s"),
        guardrail(COST, cost_limit_usd, "lower", unit="$"),
    ]).validate()


GATE_METRICS = (HANDLED, WRONG, LATENCY, COST)


def gate_criteria(mine: SuccessCriteria | None, *, name: str = "capstone") -> tuple[SuccessCriteria, str]:
    """The criteria the launch gate judges, and one line saying where they came from: the ones saved in week 7
    (``framing.save_criteria(..., name)``) when there are any, otherwise ``mine`` (the learner's own cell).

    Either way they are the learner's: nothing here invents a target. A criterion on a metric the capstone does not
    measure is refused with the metric names it does measure."""
    saved = load_criteria(name)
    if saved is not None:
        where = getattr(saved, "source", None) or criteria_path(name)
        criteria, note = saved, (f"Using the criteria you saved in week 7 ({where}); the cell above is not used. To "
                                 "judge with it instead, delete that file and rerun.")
    elif mine is None:
        raise InputError("No criteria to judge the launch with: week 7 saved none, and my_criteria is None. Write yours "
                         "in the cell above: success(HANDLED, today's figure, your target) and a guardrail for each harm.")
    else:
        if not isinstance(mine, SuccessCriteria):
            raise InputTypeError(f"my_criteria must be SuccessCriteria([...]) of success(...) and guardrail(...) lines, "
                                 f"not {type(mine).__name__}.")
        criteria, note = mine.validate(), (f"No criteria saved in week 7 ({criteria_path(name).name} not found): the "
                                           "gate uses the ones you wrote in the cell above.")
    unknown = [m for m in criteria.metrics if m not in GATE_METRICS]
    if unknown:
        raise InputError(f"The capstone cannot measure {', '.join(map(repr, unknown))}. Use its metric names: "
                         f"{', '.join(map(repr, GATE_METRICS))} (capstone.HANDLED, WRONG, LATENCY, COST).")
    return criteria, note


def launch_gate(criteria: SuccessCriteria, measured: dict):
    """The eval gate: the week-7 criteria judged against the AI's measured metrics (GateResult: .passed, .table())."""
    if not isinstance(criteria, SuccessCriteria):
        raise InputTypeError("criteria must be a SuccessCriteria (see gate_criteria or ai_pm_lab.framing).")
    return criteria.evaluate({k: v for k, v in measured.items() if k in criteria.metrics})


# -- shadow mode --------------------------------------------------------------------------------------------------------
@dataclass
class ShadowDay:
    """A day in shadow mode: the AI's served requests (logged), the FAQ's (what users saw), and both side by side."""

    ai: pd.DataFrame
    faq: pd.DataFrame
    table: pd.DataFrame


def shadow_day(assistant: Assistant, faq: KeywordFAQ, day: pd.DataFrame, *, progress: bool = True) -> ShadowDay:
    """A day of requests answered by the FAQ (live: users see it) with the AI answering in shadow (logged, never shown).

    ``.table`` has one row per request: the request, then each system's answer, status and whether it was handled
    correctly; ``.ai`` is the AI's served day, the input of the week-6 dashboard."""
    ai = serve(assistant, day, desc="AI in shadow", progress=progress)
    faq_served = serve_faq(faq, day, desc="FAQ (live)", progress=progress)
    keep = [c for c in ("request_id", "time", "hour", "user_id", "intent", "kind", "question", "should_answer", "gold")
            if c in day.columns]
    out = day[keep].reset_index(drop=True).copy()
    for prefix, served in (("ai", ai), ("faq", faq_served)):
        served = served.reset_index(drop=True)
        out[f"{prefix} answer"] = served["answer"]
        out[f"{prefix} status"] = served["status"]
        out[f"{prefix} correct"] = served["handled_correctly"].astype(bool)
        out[f"{prefix} wrong"] = served["status"].isin(WRONG_STATUSES)
        out[f"{prefix} declined"] = served["refused"].astype(bool)
        out[f"{prefix} latency_s"] = pd.to_numeric(served["latency_s"], errors="coerce").fillna(0.0)
        out[f"{prefix} cost_usd"] = pd.to_numeric(served["cost_usd"], errors="coerce").fillna(0.0)
    return ShadowDay(ai, faq_served, out)


@returns_course_table
def shadow_summary(shadow) -> pd.DataFrame:
    """Side by side over the shadow day: handled correctly, wrong answers, declined; .attrs['agreement'] counts who was right."""
    shadow = shadow.table if isinstance(shadow, ShadowDay) else shadow
    if shadow.empty:
        raise InputError("The shadow day is empty: run shadow_day on at least one request.")
    ai_c, faq_c = shadow["ai correct"], shadow["faq correct"]
    table = pd.DataFrame({
        "AI assistant (shadow)": [ai_c.mean(), shadow["ai wrong"].mean(), shadow["ai declined"].mean()],
        "keyword FAQ (live)": [faq_c.mean(), shadow["faq wrong"].mean(), shadow["faq declined"].mean()],
    }, index=["handled correctly", "wrong answers", "declined / no result"])
    table.attrs["agreement"] = pd.Series({
        "both right": int((ai_c & faq_c).sum()), "only the AI right": int((ai_c & ~faq_c).sum()),
        "only the FAQ right": int((~ai_c & faq_c).sum()), "both wrong": int((~ai_c & ~faq_c).sum())}, name="requests")
    table.attrs["requests"] = int(len(shadow))
    return table


# -- canary ---------------------------------------------------------------------------------------------------------------
LIVE, REHEARSAL = "live", "rehearsal"


def canary_mode(launch) -> tuple[str, str]:
    """('live' or 'rehearsal', why): a canary gives users the AI only after the launch gate passed; otherwise the same
    replay runs as a rehearsal that no user sees. ``launch`` is launch_gate's result (or True/False, or None)."""
    passed = getattr(launch, "passed", launch)
    if passed is True or (isinstance(passed, (bool, np.bool_)) and bool(passed)):
        return LIVE, "the launch gate passed (GO)"
    if passed is None:
        return REHEARSAL, "no launch gate result was given, so no user may be switched to the AI"
    return REHEARSAL, "the launch gate said NO GO, so no user was switched to the AI"


@returns_course_table
def canary_rollout(shadow: pd.DataFrame, criteria: SuccessCriteria, *, launch=None, stages=CANARY_STAGES, seed: int = 0,
                   min_requests: int = MIN_CANARY_REQUESTS) -> pd.DataFrame:
    """Replay the day with a growing share of users on the AI; after each stage check the guardrails on the AI's
    requests and decide: proceed, wait (too few requests to judge yet, or a guardrail with no measured value: missing
    data never passes, and the canary stops there) or roll back (a guardrail crossed: stop).

    ``launch`` is the launch gate's result: the canary is live only when it passed; after a NO GO (or with no result)
    the same replay runs as a rehearsal, marked in the 'mode' column, and no user gets the AI."""
    shadow = shadow.table if isinstance(shadow, ShadowDay) else shadow
    if not isinstance(shadow, pd.DataFrame) or shadow.empty or "ai wrong" not in shadow.columns:
        raise InputError("canary_rollout needs the result of shadow_day.")
    if "user_id" not in shadow.columns:
        raise InputError("canary shares are by user: the day needs a user_id column (simulate_day has one).")
    stages = [float(s) for s in stages]
    if not stages or any(not 0 < s <= 1 for s in stages) or stages != sorted(stages):
        raise InputError("stages must be increasing shares between 0 and 1, e.g. (0.05, 0.25, 0.5, 1.0).")
    mode, mode_why = canary_mode(launch)
    limits = {c.metric: c for c in criteria.guardrails}
    columns = {WRONG: "ai wrong", LATENCY: "ai latency_s", COST: "ai cost_usd"}
    rows = []
    for share in stages:
        # week-6 bucketing by user: a user on the AI at 5% stays on it at 25%
        arm = shadow[[share >= 1.0 or in_canary(u, share, seed) for u in shadow["user_id"]]]
        values = {k: pd.to_numeric(arm[c], errors="coerce") if c in arm.columns else pd.Series(np.nan, index=arm.index)
                  for k, c in columns.items()}
        m = {WRONG: float(values[WRONG].mean()) if len(arm) else None,
             LATENCY: float(np.percentile(values[LATENCY], 95)) if len(arm) else None,
             COST: float(values[COST].mean() * 1000) if len(arm) else None}
        # a guardrail judged on missing values is not judged: any request without a value leaves it unmeasured
        missing = [k for k in limits if k in values and len(arm) and values[k].isna().any()]
        for k in missing:
            m[k] = float("nan")
        crossed = [k for k, c in limits.items() if k not in missing and m.get(k) is not None and not c.met_by(m[k])]
        if len(arm) < min_requests:
            decision, why = "wait", f"only {len(arm)} request(s) on the AI so far (need {min_requests} to judge)"
        elif crossed:
            decision = "roll back"
            why = "guardrail crossed: " + "; ".join(f"{k} {m[k]:.3g} > limit {limits[k].target:.3g}" for k in crossed)
        elif missing:
            decision = "wait"
            why = ("not measured, so not passed: " + "; ".join(
                f"{k} missing for {int(values[k].isna().sum())} of {len(arm)} requests" for k in missing)
                + ": the canary stops here until the data is fixed")
        else:
            decision, why = "proceed", "every guardrail holds"
        rows.append({"stage": format_rate(share, 0), "share": share, "requests on AI": int(len(arm)),
                     "handled correctly": float(arm["ai correct"].mean()) if len(arm) and "ai correct" in arm else None,
                     **m, "decision": decision, "why": why, "mode": mode})
        if decision == "roll back" or (decision == "wait" and missing and len(arm) >= min_requests):
            break
    out = pd.DataFrame(rows)
    out.attrs["mode"], out.attrs["mode why"] = mode, mode_why
    return out


def canary_verdict(canary: pd.DataFrame) -> str:
    """'rolled back at X', 'reached 100%' or 'stopped at X'; for a rehearsal, that it was one and what it would have done."""
    if not isinstance(canary, pd.DataFrame) or canary.empty:
        raise InputError("canary_verdict needs the table returned by canary_rollout.")
    last = canary.iloc[-1]
    if last["decision"] == "roll back":
        outcome = f"rolled back at {last['stage']}"
    elif last["share"] >= 1.0 and last["decision"] == "proceed":
        outcome = "reached 100%"
    else:
        outcome = f"stopped at {last['stage']}"
    if canary.get("mode") is not None and (canary["mode"] == REHEARSAL).any():
        why = canary.attrs.get("mode why") or "the launch gate did not pass, so no user was switched to the AI"
        return f"rehearsal only, no rollout: {why}; replayed, the canary would have {outcome}"
    return outcome


def users_on_ai(canary: pd.DataFrame) -> float:
    """The share of users who have the AI when the canary ends: 0 for a rehearsal (no user was switched) and after a
    roll back; otherwise the share of the last stage reached (1.0 for a full rollout)."""
    if not isinstance(canary, pd.DataFrame) or canary.empty:
        raise InputError("users_on_ai needs the table returned by canary_rollout.")
    last = canary.iloc[-1]
    if (canary.get("mode") is not None and (canary["mode"] == REHEARSAL).any()) or last["decision"] == "roll back":
        return 0.0
    return float(last["share"])


# -- monitoring -----------------------------------------------------------------------------------------------------------
def monitor(shadow, *, folder=None, title: str = "Capstone assistant (shadow day)", shift=None):
    """The week-6 dashboard over the AI's served day (user outcomes drawn from the week-6 assumptions), drawn and
    exported as PNG and HTML into ``folder`` (default output_dir('capstone')); returns the Dashboard."""

    served = shadow.ai if isinstance(shadow, ShadowDay) else shadow
    day = simulate_outcomes(served)
    dash = compute_dashboard(day, shift=shift, title=title)
    draw(dash, day)
    export(dash, name="dashboard", folder=folder if folder is not None else output_dir("capstone"))
    return dash
