"""Capability probe: small labelled task sets for the guide's seven capabilities, automatic scorers, measured accuracy."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ai_pm_lab.datafiles import data_csv, data_jsonl
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.evaluation.scorers import (
    score_contains,
    score_json,
    score_label,
    score_normalised,
    score_numeric,
    score_rubric,
)
from ai_pm_lab.limits.common import check_n
from ai_pm_lab.tables import format_rate, returns_course_table

SCORER_RULES = {
    "contains": "pass if the answer contains one of the accepted answers as whole words (case and punctuation ignored)",
    "json": "pass if the answer holds a valid JSON object whose listed fields match the expected values",
    "numeric": "pass if the last number in the answer is within the tolerance of the expected number",
    "label": "pass if the first allowed label the answer mentions is the expected one",
    "rubric": "open generation rubric: pass if the answer has min..max words and mentions at least one topic word",
    "normalised": "pass if the answer equals the expected text after lower-casing and dropping punctuation",
}


@returns_course_table
def guide_table():
    """The guide's capability table (capability, example, confidence) with the probe's settings, as a DataFrame."""
    df = pd.DataFrame(data_csv("limits/capabilities.csv"))
    df["confidence_rank"] = df["confidence_rank"].astype(int)
    df["max_tokens"] = df["max_tokens"].astype(int)
    return df


def capabilities() -> list[str]:
    """The seven capability ids, in the guide's order."""
    return [r["capability"] for r in data_csv("limits/capabilities.csv")]


def check_capability(name) -> str:
    """``name`` if it is one of capabilities(), else a ValueError listing them."""
    require_text(name, "capability")
    if name not in capabilities():
        raise InputError(f"Unknown capability {name!r}: choose one of {', '.join(capabilities())}.")
    return name


def load_tasks(capability: str | None = None) -> list[dict]:
    """The labelled probe items (all, or one capability's), each with prompt, scorer and expected answer."""
    tasks = [dict(t) for t in data_jsonl("limits/capability_tasks.jsonl")]
    if capability is None:
        return tasks
    check_capability(capability)
    return [t for t in tasks if t["capability"] == capability]


# ---------- scoring: each task names one scorer from ai_pm_lab.evaluation.scorers ----------

def score(task: dict, answer: str) -> bool:
    """Score one answer with the task's own scorer."""
    if not isinstance(task, dict) or "scorer" not in task:
        raise InputTypeError("task must be one item from load_tasks() (a dict with 'scorer' and 'expected').")
    require_text(answer, "answer", allow_empty=True)
    kind, expected, params = task["scorer"], task["expected"], task.get("params", {})
    if kind == "contains":
        return score_contains(answer, expected, case_sensitive=params.get("case_sensitive", False))
    if kind == "normalised":
        return score_normalised(answer, expected)
    if kind == "json":
        return score_json(answer, expected)
    if kind == "numeric":
        return score_numeric(answer, expected, tolerance=params.get("tolerance", 0.01))
    if kind == "label":
        return score_label(answer, expected, options=params["options"])
    if kind == "rubric":
        return score_rubric(answer, expected, min_words=params.get("min_words", 4), max_words=params.get("max_words", 40))
    raise InputError(f"Unknown scorer {kind!r}: use one of {', '.join(SCORER_RULES)}.")


# ---------- running the probe ----------

def run_probe(per_capability: int = 10, only: list[str] | None = None, *, backend: str | None = None,
              progress: bool = True):
    """Ask the active model every probe item (temperature 0) and score it; one row per item as a DataFrame."""
    per = check_n(per_capability, "per_capability", high=100)
    if isinstance(only, str):
        only = [only]
    caps = capabilities() if only is None else [check_capability(c) for c in only]
    limits = {r["capability"]: int(r["max_tokens"]) for r in data_csv("limits/capabilities.csv")}
    items = [t for c in caps for t in load_tasks(c)[:per]]

    ask = ModelStep(
        lambda task: {"prompt": task["prompt"], "temperature": 0.0, "max_tokens": limits[task["capability"]], "seed": 0},
        lambda task, g: {"answer": g.text, "latency_s": g.latency_s, "completion_tokens": g.completion_tokens},
        backend=backend)
    rows = run_harness(items, ask, lambda task, r: {"correct": bool(score(task, r["answer"]))}, desc="capability probe",
                       progress=progress)
    if "correct" not in rows:  # every call failed: the rows still say so, and no item counts as correct
        rows = rows.assign(answer=None, correct=False, latency_s=float("nan"), completion_tokens=0)
    rows["correct"] = rows["correct"].fillna(False).astype(bool)
    return rows[["capability", "id", "prompt", "answer", "correct", "scorer", "latency_s", "completion_tokens", "error"]]


@returns_course_table
def accuracy_table(results):
    """Measured accuracy per capability next to the guide's confidence column."""
    if not isinstance(results, pd.DataFrame) or not {"capability", "correct"} <= set(results.columns):
        raise InputTypeError("results must be the DataFrame returned by run_probe().")
    if results.empty:
        raise InputError("results is empty: run run_probe() with at least one item first.")
    measured = results.groupby("capability")["correct"].agg(items="count", correct="sum").reset_index()
    measured["accuracy"] = measured["correct"] / measured["items"]
    table = guide_table()[["capability", "guide_name", "guide_confidence", "confidence_rank"]]
    out = table.merge(measured, on="capability", how="inner")
    return out[["capability", "guide_name", "guide_confidence", "confidence_rank", "items", "correct", "accuracy"]]


def plot_accuracy(summary, title: str | None = None):
    """Bar chart: measured accuracy per capability, with the guide's confidence level as markers on a second axis."""
    if not isinstance(summary, pd.DataFrame) or not {"accuracy", "items", "guide_name", "confidence_rank"} <= set(summary.columns):
        raise InputTypeError("summary must be the DataFrame returned by accuracy_table(run_probe()).")
    fig, ax = plt.subplots(figsize=(9, 3.8))
    x = range(len(summary))
    ax.bar(x, summary["accuracy"], color="#4C72B0", label="measured accuracy")
    for i, (acc, n) in enumerate(zip(summary["accuracy"], summary["items"])):
        ax.text(i, acc + 0.02, f"{format_rate(acc, 0)}\n(n={n})", ha="center", fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("measured accuracy")
    ax.set_xticks(list(x))
    ax.set_xticklabels(summary["guide_name"], rotation=20, ha="right")
    ax2 = ax.twinx()
    ax2.plot(list(x), summary["confidence_rank"], "D", color="#DD8452", markersize=9, label="guide's confidence")
    ax2.set_ylim(0, 5.75)
    ax2.set_yticks([1, 2, 3, 4, 5])
    ax2.set_yticklabels(["Low", "Low-Med", "Medium", "Med-High", "High"])
    ax2.set_ylabel("guide's confidence")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, ["measured accuracy", "guide's confidence"], loc="upper right", fontsize=8)
    ax.set_title(title or "Measured accuracy vs the guide's confidence")
    fig.tight_layout()
    return fig


@returns_course_table
def guide_order(summary):
    """Every pair of jobs the guide ranks differently, and whether the measured accuracy kept that order.

    One row per pair: the job the guide rates higher and its accuracy, the job it rates lower and its accuracy, and
    ``order held`` (True when the higher-rated job scored strictly higher). Ties in the guide's rank are left out."""
    if not isinstance(summary, pd.DataFrame) or not {"guide_name", "guide_confidence", "confidence_rank", "accuracy"} <= set(summary.columns):
        raise InputTypeError("summary must be the table returned by accuracy_table(probe).")
    rows = []
    for _, hi in summary.iterrows():
        for _, lo in summary.iterrows():
            if hi["confidence_rank"] > lo["confidence_rank"]:
                rows.append({"rated higher": f"{hi['guide_name']} ({hi['guide_confidence']})", "accuracy (higher)": hi["accuracy"],
                             "rated lower": f"{lo['guide_name']} ({lo['guide_confidence']})", "accuracy (lower)": lo["accuracy"],
                             "order held": bool(hi["accuracy"] > lo["accuracy"])})
    if not rows:
        raise InputError("summary needs jobs the guide rates differently: run the probe on at least two capabilities.")
    return pd.DataFrame(rows)
