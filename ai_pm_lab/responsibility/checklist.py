"""The responsible-AI launch checklist: the guide's eight questions, each answered by the team and tied to evidence
the course measured (bias audit, PII tests, monitoring, escalation, kill switch), written as a Markdown
launch-readiness report under output_dir("reports")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import format_rate, returns_course_table

ANSWERS = ("yes", "partly", "no")
REGULATIONS_FILE = "responsibility/regulations.csv"
REPORT_NAME = "launch_readiness.md"


@dataclass(frozen=True)
class Question:
    """One checklist question and the kind of evidence that can back an answer to it."""

    key: str
    text: str
    evidence: str  # which measurement backs it


QUESTIONS = (
    Question("bias", "Have we tested the AI's outcomes for bias across the groups our users belong to?", "bias audit"),
    Question("transparency", "Do people know they are dealing with an AI?", "disclosure in replies"),
    Question("oversight", "Does a human stay in charge where the stakes are high?", "hand-over on refusals"),
    Question("recourse", "Can people contest or correct what the AI told them?", "route to a person in every reply"),
    Question("regulation", "Do we meet the rules that apply to the data we handle (GDPR, CCPA ...)?", "PII redaction test"),
    Question("monitoring", "Will we notice harmful or wrong outputs in production?", "dashboard and drift alert"),
    Question("explainability", "Can we show why the AI gave an answer?", "sources shown with answers"),
    Question("shutdown", "Can we switch the AI off quickly?", "kill-switch test"),
)
KEYS = tuple(q.key for q in QUESTIONS)


@dataclass(frozen=True)
class Evidence:
    """What the measurements say about one question: met / gap / missing, and a one-line summary with the figures."""

    key: str
    status: str  # "met" | "gap" | "missing"
    summary: str


def _need(d, fields, name):
    if not isinstance(d, dict):
        raise InputTypeError(f"{name} must be a dict of measured figures (e.g. audit.summary()), not {type(d).__name__}.")
    missing = [f for f in fields if f not in d]
    if missing:
        raise InputError(f"{name} lacks {missing}: pass the dict the course function returns.")
    return d


def collect_evidence(*, bias: dict | None = None, transparency: dict | None = None, pii: dict | None = None,
                     monitoring: dict | None = None, kill_switch: dict | None = None, quality: dict | None = None,
                     blocking_pii_types=("EMAIL", "PHONE", "CARD", "IBAN"), max_swap_flip_rate: float = 0.10,
                     min_accuracy: float = 0.80, min_supported: float = 0.90) -> dict:
    """Turn the course's measurement summaries into evidence per checklist question (missing where none was given).

    bias: bias.Audit.summary(); transparency: operations.assistant.transparency_report(day); pii: pii.evaluate().summary();
    monitoring: {"alert_threshold", "false_alarm_rate", "detection_rate", "dashboard"}; kill_switch:
    operations.assistant.kill_switch_test(...); quality: the dashboard's quality figures (dash.quality: "accuracy" on
    the reviewed sample, "hallucination_rate" among answers).

    "met" follows from the numbers: monitoring needs a drift alert that works AND reviewed accuracy at or above
    ``min_accuracy`` (a monitor that shows most answers wrong has noticed a problem, not controlled it); explainability
    needs every answer to name its sources AND at least ``min_supported`` of answers supported by them (1 minus the
    hallucination rate: a source list beside a made-up answer explains nothing). Without quality figures both are gaps."""
    require_number(max_swap_flip_rate, "max_swap_flip_rate", low=0, high=1)
    require_number(min_accuracy, "min_accuracy", low=0, high=1)
    require_number(min_supported, "min_supported", low=0, high=1)
    accuracy = supported = None
    if quality is not None:
        qd = _need(quality, ("accuracy", "hallucination_rate"), "quality")
        accuracy = qd["accuracy"]
        supported = None if qd["hallucination_rate"] is None else 1 - qd["hallucination_rate"]
    ev = {k: Evidence(k, "missing", "no measurement supplied") for k in KEYS}
    if bias is not None:
        b = _need(bias, ("four_fifths_ratio", "passes_four_fifths", "swap_flip_rate"), "bias")
        flip_ok = b["swap_flip_rate"] is not None and b["swap_flip_rate"] <= max_swap_flip_rate
        ok = bool(b["passes_four_fifths"]) and flip_ok
        ev["bias"] = Evidence("bias", "met" if ok else "gap",
                              f"four-fifths ratio {b['four_fifths_ratio']:.2f} ({'passes' if b['passes_four_fifths'] else 'fails'} 0.8); "
                              f"name swap flips {format_rate(b['swap_flip_rate'])} of decisions (limit {format_rate(max_swap_flip_rate, 0)})")
    if transparency is not None:
        t = _need(transparency, ("disclosure_share", "answers_with_sources", "refusals_with_handoff"), "transparency")
        ev["transparency"] = Evidence("transparency", "met" if t["disclosure_share"] >= 1 else "gap",
                                      f"{format_rate(t['disclosure_share'])} of replies disclose the AI")
        ev["recourse"] = Evidence("recourse", "met" if t["disclosure_share"] >= 1 else "gap",
                                  f"{format_rate(t['disclosure_share'])} of replies tell the user how to reach a person")
        handoff = t["refusals_with_handoff"]
        ev["oversight"] = Evidence("oversight", "met" if handoff is not None and handoff >= 1 else "gap",
                                   f"{format_rate(handoff)} of refusals hand the question to a person")
        sources = t["answers_with_sources"]
        ok = sources is not None and sources >= 1 and supported is not None and supported >= min_supported
        backed = ("no measure of whether the sources support the answers" if supported is None else
                  f"{format_rate(supported)} of answers supported by them (limit {format_rate(min_supported, 0)})")
        ev["explainability"] = Evidence("explainability", "met" if ok else "gap",
                                        f"{format_rate(sources)} of answers name the documents they came from; {backed}")
    if pii is not None:
        p = _need(pii, ("recall_by_type", "missed_types", "samples"), "pii")
        blocking = sorted(set(p["missed_types"]) & set(blocking_pii_types))
        recall = ", ".join(f"{k} {format_rate(v)}" for k, v in p["recall_by_type"].items())
        ev["regulation"] = Evidence("regulation", "gap" if blocking else "met",
                                    f"redaction recall on {p['samples']} labelled messages: {recall}"
                                    + (f"; misses of {', '.join(blocking)} block launch" if blocking else ""))
    if monitoring is not None:
        m = _need(monitoring, ("alert_threshold", "false_alarm_rate", "detection_rate"), "monitoring")
        alert_ok = m["alert_threshold"] is not None and m["detection_rate"] >= 0.5 and m["false_alarm_rate"] <= 0.10
        ok = alert_ok and accuracy is not None and accuracy >= min_accuracy
        reviewed = ("no reviewed accuracy: a drift alert alone does not notice wrong answers" if accuracy is None else
                    f"reviewed accuracy {format_rate(accuracy)} (bar {format_rate(min_accuracy, 0)})")
        ev["monitoring"] = Evidence("monitoring", "met" if ok else "gap",
                                    f"drift alert at {m['alert_threshold']:.3f}: catches {format_rate(m['detection_rate'])} of shifted windows, "
                                    f"{format_rate(m['false_alarm_rate'])} false alarms; {reviewed}")
    if kill_switch is not None:
        k = _need(kill_switch, ("requests", "routed_to_human", "model_calls"), "kill_switch")
        ok = k["requests"] > 0 and k["routed_to_human"] == k["requests"] and k["model_calls"] == 0
        ev["shutdown"] = Evidence("shutdown", "met" if ok else "gap",
                                  f"kill switch sent {k['routed_to_human']} of {k['requests']} test requests to people, "
                                  f"{k['model_calls']} model calls")
    return ev


def assess(answers: dict, evidence: dict, notes: dict | None = None) -> dict:
    """Judge each answer against its evidence: a 'yes' the measurements contradict or do not back is a blocker, so is
    a 'no' or a missing answer; a 'partly' needs a note saying what will close the gap. The result holds each row's
    status and why, the blockers, the verdict, ``ready`` and how many questions are ``answered``."""
    if not isinstance(answers, dict) or not isinstance(evidence, dict):
        raise InputTypeError("answers and evidence must be dicts keyed by question (see checklist.KEYS).")
    unknown = [k for k in answers if k not in KEYS]
    if unknown:
        raise InputError(f"Unknown question key(s) {unknown}: use {', '.join(KEYS)}.")
    notes = notes or {}
    rows, blockers = [], []
    for q in QUESTIONS:
        answer = (answers.get(q.key) or "").strip().lower()
        if answer and answer not in ANSWERS:
            raise InputError(f"Answer for {q.key!r} must be one of {', '.join(ANSWERS)}, not {answer!r}.")
        ev = evidence.get(q.key, Evidence(q.key, "missing", "no measurement supplied"))
        note = (notes.get(q.key) or "").strip()
        if not answer:
            status, why = "blocker", "not answered"
        elif answer == "no":
            status, why = "blocker", "the team says no"
        elif answer == "yes" and ev.status == "met":
            status, why = "ok", "answer backed by measurement"
        elif answer == "yes" and ev.status == "gap":
            status, why = "blocker", "the team says yes but the measurement shows a gap"
        elif answer == "yes":
            status, why = "blocker", "yes without evidence"
        elif note:
            status, why = "follow-up", "partly, with a plan"
        else:
            status, why = "blocker", "partly, with no plan written down"
        rows.append({"key": q.key, "question": q.text, "answer": answer or "—", "evidence": ev.summary,
                     "evidence_status": ev.status, "status": status, "why": why, "note": note})
        if status == "blocker":
            blockers.append(q.key)
    verdict = "Ready to launch" if not blockers else f"Not ready: {len(blockers)} blocker(s)"
    answered = sum(1 for r in rows if r["answer"] in ANSWERS)
    return {"rows": rows, "blockers": blockers, "verdict": verdict, "ready": not blockers, "answered": answered}


def report_markdown(result: dict, *, product: str = "Tidewell support assistant") -> str:
    """The launch-readiness report as Markdown."""
    if not isinstance(result, dict) or "rows" not in result:
        raise InputTypeError("result must come from assess(answers, evidence).")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Launch readiness: {product}", "", f"_Generated {stamp} by the AI PM Lab checklist._", "",
             f"**Verdict: {result['verdict']}**", "",
             "| # | Question | Answer | Evidence (measured) | Status |", "|---|---|---|---|---|"]
    for i, r in enumerate(result["rows"], 1):
        cell = lambda s: str(s).replace("|", "/").replace("\n", " ")  # noqa: E731
        lines.append(f"| {i} | {cell(r['question'])} | {r['answer']} | {cell(r['evidence'])} ({r['evidence_status']}) | "
                     f"{r['status']}: {cell(r['why'])} |")
    if result["blockers"]:
        lines += ["", "## Blockers", ""] + [f"- **{k}**: " + next(r["why"] for r in result["rows"] if r["key"] == k)
                                             for k in result["blockers"]]
    notes = [r for r in result["rows"] if r["note"]]
    if notes:
        lines += ["", "## Notes and plans", ""] + [f"- **{r['key']}**: {r['note']}" for r in notes]
    lines += ["", "Evidence comes from this course's own measurements; an answer of 'yes' counts only when a measurement backs it."]
    return "\n".join(lines) + "\n"


def write_report(result: dict, path=None, *, product: str = "Tidewell support assistant") -> Path:
    """Write the report (overwriting an earlier one) to output_dir('reports')/launch_readiness.md or ``path``."""
    target = Path(path) if path is not None else output_dir("reports") / REPORT_NAME
    if target.exists() and target.is_dir():
        raise InputError(f"{target} is a folder: give the report a file name, e.g. {target / REPORT_NAME}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report_markdown(result, product=product), encoding="utf-8")
    return target


@returns_course_table
def where_to_look(systems: dict | None = None):
    """Where to look up the rules that may apply (data/responsibility/regulations.csv): a map, not legal advice.
    With ``systems`` (a system's name -> the rules you think apply, by their name in the table), one row per system
    and rule with where to look it up; an unknown rule name is refused with the names to use."""
    import pandas as pd

    table = pd.DataFrame(data_csv(REGULATIONS_FILE))
    if systems is None:
        return table
    if not isinstance(systems, dict) or not systems:
        raise InputTypeError("systems must be a dict: a system's name -> a list of rule names from where_to_look().")
    names = list(table["rule"])
    rows = []
    for system, rules in systems.items():
        if isinstance(rules, str) or not isinstance(rules, (list, tuple, set)):
            raise InputTypeError(f"the rules for {system!r} must be a list of rule names, e.g. ['GDPR (and UK GDPR)'].")
        for rule in rules:
            match = [n for n in names if str(rule).strip().lower() in n.lower()]
            if len(match) != 1:
                raise InputError(f"{rule!r} names {'no' if not match else 'more than one'} rule in the table; use one of: "
                                 + "; ".join(names) + ".")
            row = table[table["rule"] == match[0]].iloc[0]
            rows.append({"system": system, "rule": match[0], "what it asks": row["what it asks of an AI product (in short)"],
                         "where to look it up": row["where to look it up"]})
    return pd.DataFrame(rows)
