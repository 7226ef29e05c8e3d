"""Edge cases are the norm, and improvement is iteration: why probe items fail, and one prompt change measured.

``failure_kinds`` sorts every failed probe item into one kind by deterministic rules (no model call): the answer was
cut off, ignored the requested format, or was in the right format with the wrong content. ``before_after`` re-asks
one capability's items with a changed prompt and scores both versions on the same items.
"""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.evaluation.scorers import extract_json, first_label, last_number
from ai_pm_lab.limits.capabilities import check_capability, guide_table, load_tasks, score
from ai_pm_lab.tables import returns_course_table

KINDS = {
    "no answer": "the call failed or the answer is empty",
    "cut off": "the answer used every token allowed, so it stopped mid-way",
    "wrong format": "the answer ignored the requested shape (no JSON, no allowed label, no number, wrong length)",
    "wrong content": "the shape was right but the content was wrong (a wrong value, label, number or fact)",
}


def _format_ok(task: dict, answer: str) -> bool:
    kind, params = task["scorer"], task.get("params", {})
    if kind == "json":
        return extract_json(answer) is not None
    if kind == "label":
        return first_label(answer, params["options"]) is not None
    if kind == "numeric":
        return last_number(answer) is not None
    if kind == "rubric":
        return params.get("min_words", 4) <= len(answer.split()) <= params.get("max_words", 40)
    return True  # free-text answers (contains, normalised) have no shape to get wrong


def _check_probe(probe) -> None:
    needed = {"capability", "id", "answer", "correct", "completion_tokens", "error"}
    if not isinstance(probe, pd.DataFrame) or not needed <= set(probe.columns):
        raise InputTypeError("probe must be the DataFrame returned by capabilities.run_probe().")


def failure_kinds(probe):
    """The failed probe items, each with the kind of failure (see KINDS) decided by a written rule."""
    _check_probe(probe)
    tasks = {t["id"]: t for t in load_tasks()}
    limits = dict(zip(guide_table()["capability"], guide_table()["max_tokens"]))
    failed = probe[~probe["correct"]].copy()

    def kind(row) -> str:
        answer = row["answer"] if isinstance(row["answer"], str) else ""
        if row["error"] is not None and not pd.isna(row["error"]) or not answer.strip():
            return "no answer"
        if row["completion_tokens"] >= limits[row["capability"]] and not _format_ok(tasks[row["id"]], answer):
            return "cut off"
        return "wrong content" if _format_ok(tasks[row["id"]], answer) else "wrong format"

    failed["failure"] = [kind(r) for r in failed.to_dict("records")] if len(failed) else []
    return failed[["capability", "id", "prompt", "answer", "failure"]] if "prompt" in failed else failed


@returns_course_table
def failure_table(probe):
    """Counts of failed items per capability (rows) and failure kind (columns), with each capability's item count."""
    kinds = failure_kinds(probe)
    table = pd.crosstab(kinds["capability"], kinds["failure"]) if len(kinds) else pd.DataFrame()
    table = table.reindex(columns=list(KINDS), fill_value=0)
    items = probe.groupby("capability")["id"].count()
    table = table.reindex(items.index, fill_value=0)
    table.insert(0, "items", items)
    table.insert(1, "failed", table[list(KINDS)].sum(axis=1))
    return table.sort_values("failed", ascending=False)


@returns_course_table
def before_after(probe, capability: str, instruction: str, *, progress: bool = True):
    """Re-ask one capability's probe items with ``instruction`` added to each prompt; score before and after.

    'Before' is taken from ``probe`` (no new calls); 'after' asks the active model the same items with the same
    settings (temperature 0, the probe's answer length). Returns one row per item with both answers and verdicts."""
    _check_probe(probe)
    check_capability(capability)
    require_text(instruction, "instruction")
    limit = int(dict(zip(guide_table()["capability"], guide_table()["max_tokens"]))[capability])
    items = [t for t in load_tasks(capability) if t["id"] in set(probe["id"])]
    if not items:
        raise InputError(f"probe has no {capability!r} items: run capabilities.run_probe() including {capability!r} first.")
    before = probe.set_index("id")

    ask = ModelStep(lambda task: {"prompt": f"{task['prompt']}\n{instruction.strip()}", "temperature": 0.0,
                                  "max_tokens": limit, "seed": 0},
                    lambda task, g: {"answer_after": g.text})

    run = run_harness(items, ask, lambda task, r: {"correct_after": bool(score(task, r["answer_after"]))},
                      desc=f"{capability}, changed prompt", progress=progress)
    out = pd.DataFrame({
        "id": [t["id"] for t in items],
        "answer_before": [before.at[t["id"], "answer"] for t in items],
        "correct_before": [bool(before.at[t["id"], "correct"]) for t in items],
        "answer_after": run["answer_after"] if "answer_after" in run else None,
        "correct_after": run["correct_after"].fillna(False).astype(bool) if "correct_after" in run else False,
    })
    return out
