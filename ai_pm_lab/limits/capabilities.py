"""Capability probe: small labelled task sets for the guide's seven capabilities, automatic scorers, measured accuracy."""
from __future__ import annotations

import json
import re

from ai_pm_lab.limits import common
from ai_pm_lab.limits.common import contains_phrase, normalise, require_text

SCORER_RULES = {
    "contains": "pass if the answer contains one of the accepted answers as whole words (case and punctuation ignored)",
    "json": "pass if the answer holds a valid JSON object whose listed fields match the expected values",
    "numeric": "pass if the last number in the answer is within the tolerance of the expected number",
    "label": "pass if the first allowed label the answer mentions is the expected one",
    "rubric": "open generation rubric: pass if the answer has min..max words and mentions at least one topic word",
    "normalised": "pass if the answer equals the expected text after lower-casing and dropping punctuation",
}


def guide_table():
    """The guide's capability table (capability, example, confidence) with the probe's settings, as a DataFrame."""
    import pandas as pd

    df = pd.DataFrame(common.data_csv("limits/capabilities.csv"))
    df["confidence_rank"] = df["confidence_rank"].astype(int)
    df["max_tokens"] = df["max_tokens"].astype(int)
    return df


def capabilities() -> list[str]:
    """The seven capability ids, in the guide's order."""
    return [r["capability"] for r in common.data_csv("limits/capabilities.csv")]


def _check_capability(name) -> str:
    require_text(name, "capability")
    if name not in capabilities():
        raise ValueError(f"Unknown capability {name!r}: choose one of {', '.join(capabilities())}.")
    return name


def load_tasks(capability: str | None = None) -> list[dict]:
    """The labelled probe items (all, or one capability's), each with prompt, scorer and expected answer."""
    tasks = [dict(t) for t in common.data_jsonl("limits/capability_tasks.jsonl")]
    if capability is None:
        return tasks
    _check_capability(capability)
    return [t for t in tasks if t["capability"] == capability]


# ---------- scorers: each takes the model's answer and returns True/False ----------

def score_contains(answer: str, accepted, *, case_sensitive: bool = False) -> bool:
    """True if ``answer`` contains any accepted phrase as whole words."""
    require_text(answer, "answer", allow_empty=True)
    if isinstance(accepted, str):
        accepted = [accepted]
    return any(contains_phrase(answer, a, case_sensitive=case_sensitive) for a in accepted)


def score_normalised(answer: str, expected: str) -> bool:
    """True if ``answer`` equals ``expected`` after lower-casing and dropping punctuation."""
    require_text(answer, "answer", allow_empty=True)
    return normalise(answer) == normalise(require_text(expected, "expected"))


def extract_json(answer: str):
    """The first JSON object in ``answer`` (code fences allowed), or None if there is no valid one."""
    require_text(answer, "answer", allow_empty=True)
    start = answer.find("{")
    while start != -1:
        for end in range(len(answer), start, -1):
            if answer[end - 1] != "}":
                continue
            try:
                value = json.loads(answer[start:end])
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
        start = answer.find("{", start + 1)
    return None


def score_json(answer: str, expected: dict) -> bool:
    """True if ``answer`` holds a JSON object with every expected field (values compared after normalisation)."""
    obj = extract_json(answer)
    if obj is None:
        return False
    got = {str(k).strip().lower(): v for k, v in obj.items()}
    for key, want in expected.items():
        if key.lower() not in got:
            return False
        if normalise(str(got[key.lower()])) != normalise(str(want)):
            return False
    return True


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def last_number(answer: str) -> float | None:
    """The last number written in ``answer`` (commas ignored), or None."""
    require_text(answer, "answer", allow_empty=True)
    found = [m.group(0).replace(",", "") for m in _NUMBER.finditer(answer)]
    found = [f for f in found if f not in ("-", "")]
    return float(found[-1]) if found else None


def score_numeric(answer: str, expected: float, *, tolerance: float = 0.01) -> bool:
    """True if the last number in ``answer`` is within ``tolerance`` of ``expected``."""
    value = last_number(answer)
    return value is not None and abs(value - float(expected)) <= tolerance


def first_label(answer: str, options) -> str | None:
    """The allowed label mentioned first in ``answer`` (longest wins a tie, so 'not spam' beats 'spam')."""
    require_text(answer, "answer", allow_empty=True)
    text = normalise(answer)
    best = None
    for opt in options:
        m = re.search(rf"(?<!\w){re.escape(normalise(opt))}(?!\w)", text)
        if m and (best is None or (m.start(), -len(opt)) < (best[0], -len(best[1]))):
            best = (m.start(), opt)
    return None if best is None else best[1]


def score_label(answer: str, expected: str, *, options) -> bool:
    """True if the first allowed label in ``answer`` is ``expected``."""
    return first_label(answer, options) == expected


def score_rubric(answer: str, topic_words, *, min_words: int = 4, max_words: int = 40) -> bool:
    """Open-generation rubric: min..max words and at least one topic word (prefix match) present."""
    require_text(answer, "answer", allow_empty=True)
    n = len(answer.split())
    low = answer.lower()
    return min_words <= n <= max_words and any(w.lower() in low for w in topic_words)


def score(task: dict, answer: str) -> bool:
    """Score one answer with the task's own scorer."""
    if not isinstance(task, dict) or "scorer" not in task:
        raise TypeError("task must be one item from load_tasks() (a dict with 'scorer' and 'expected').")
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
    raise ValueError(f"Unknown scorer {kind!r}: use one of {', '.join(SCORER_RULES)}.")


# ---------- running the probe ----------

def run_probe(per_capability: int = 10, only: list[str] | None = None, *, backend: str | None = None,
              progress: bool = True):
    """Ask the active model every probe item (temperature 0) and score it; one row per item as a DataFrame."""
    import pandas as pd
    from tqdm.auto import tqdm

    per = common.check_n(per_capability, "per_capability", high=100)
    if isinstance(only, str):
        only = [only]
    caps = capabilities() if only is None else [_check_capability(c) for c in only]
    limits = {r["capability"]: int(r["max_tokens"]) for r in common.data_csv("limits/capabilities.csv")}
    items = [t for c in caps for t in load_tasks(c)[:per]]
    rows = []
    for t in tqdm(items, desc="capability probe", disable=not progress):
        g = common.ask(t["prompt"], temperature=0.0, max_tokens=limits[t["capability"]], seed=0, backend=backend)
        rows.append({"capability": t["capability"], "id": t["id"], "prompt": t["prompt"], "answer": g.text,
                     "correct": bool(score(t, g.text)), "scorer": t["scorer"], "latency_s": g.latency_s,
                     "completion_tokens": g.completion_tokens})
    return pd.DataFrame(rows)


def accuracy_table(results):
    """Measured accuracy per capability next to the guide's confidence column."""
    import pandas as pd

    if not isinstance(results, pd.DataFrame) or not {"capability", "correct"} <= set(results.columns):
        raise TypeError("results must be the DataFrame returned by run_probe().")
    if results.empty:
        raise ValueError("results is empty: run run_probe() with at least one item first.")
    measured = results.groupby("capability")["correct"].agg(items="count", correct="sum").reset_index()
    measured["accuracy"] = measured["correct"] / measured["items"]
    table = guide_table()[["capability", "guide_name", "guide_confidence", "confidence_rank"]]
    out = table.merge(measured, on="capability", how="inner")
    return out[["capability", "guide_name", "guide_confidence", "confidence_rank", "items", "correct", "accuracy"]]


def plot_accuracy(summary, title: str | None = None):
    """Bar chart: measured accuracy per capability, with the guide's confidence level as markers on a second axis."""
    import matplotlib.pyplot as plt
    import pandas as pd

    if not isinstance(summary, pd.DataFrame) or not {"accuracy", "items", "guide_name", "confidence_rank"} <= set(summary.columns):
        raise TypeError("summary must be the DataFrame returned by accuracy_table(run_probe()).")
    fig, ax = plt.subplots(figsize=(9, 3.8))
    x = range(len(summary))
    ax.bar(x, summary["accuracy"], color="#4C72B0", label="measured accuracy")
    for i, (acc, n) in enumerate(zip(summary["accuracy"], summary["items"])):
        ax.text(i, acc + 0.02, f"{acc:.0%}\n(n={n})", ha="center", fontsize=8)
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
