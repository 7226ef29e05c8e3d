"""The same prompts on every model you can reach (the guide's "try ChatGPT, Claude and Gemini"), side by side.

The local model always takes part; OpenAI (or a compatible server such as Ollama), Anthropic and Gemini join when their
key or base URL is set. Each answer is scored by the capability probe's own scorer and carries its latency and cost;
paid calls go through generate(), so the spend cap applies to every one of them.
"""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.catalog import default_model
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.evaluation.harness import ModelStep, run_harness
from ai_pm_lab.limits.capabilities import guide_table, load_tasks, score
from ai_pm_lab.llm.backends import configured_backends
from ai_pm_lab.settings import KEY_VARS, MODEL_VAR, choose_backend, env
from ai_pm_lab.tables import returns_course_table

# One task per kind of job, from the week-2 probe: a reformatting, an extraction, a sum and a fact.
DEFAULT_TASKS = ("transformation-10", "extraction-01", "reasoning-01", "factual_recall-07")
TABLE_PROVIDER = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}
COLUMNS = ["backend", "model", "task", "answer", "correct", "latency_s", "cost_usd", "error"]

HOW_TO_ADD = (
    "Only the local model is configured. To compare it with hosted models, add one or more of these to a .env file at "
    "the course root (or run ai_pm_lab.settings.prompt_for_key('openai' | 'anthropic' | 'gemini') in a cell), then "
    f"restart the kernel:\n  {KEY_VARS['openai']}=...   (ChatGPT's models)\n  {KEY_VARS['anthropic']}=...   (Claude)\n"
    f"  {KEY_VARS['gemini']}=...   (Gemini, through Google's OpenAI-compatible endpoint)\n"
    "  OPENAI_BASE_URL=http://localhost:11434/v1   (a model served on your machine by Ollama, free)\n"
    "Set AI_PM_LAB_SPEND_CAP_USD=0.05 too: each hosted call here costs a fraction of a cent, and the cap refuses any "
    "call that would cross it."
)


def model_for(backend: str) -> str | None:
    """The model a backend answers with here: AI_PM_LAB_MODEL for the active backend, else the table's default."""
    if backend == "local":
        return None
    if backend == choose_backend() and env(MODEL_VAR):
        return env(MODEL_VAR)
    return default_model(TABLE_PROVIDER[backend])


def tasks(ids=DEFAULT_TASKS) -> list[dict]:
    """The probe items to compare on (by id, from the capability probe's task file)."""
    if isinstance(ids, str) or not isinstance(ids, (list, tuple)) or not ids:
        raise InputTypeError("ids must be a non-empty list of probe task ids, e.g. ['reasoning-01', 'factual_recall-07'].")
    by_id = {t["id"]: t for t in load_tasks()}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InputError(f"Unknown probe task id(s) {unknown}: pick ids from capabilities.load_tasks(), e.g. {DEFAULT_TASKS[0]!r}.")
    return [by_id[i] for i in ids]


def _reused(probe, items, backend: str):
    """Rows for the local model taken from a probe run the lesson already made (no new call), or None."""
    if probe is None or not backend == "local" == choose_backend() or not isinstance(probe, pd.DataFrame):
        return None
    rows = probe.set_index("id")
    if not all(t["id"] in rows.index for t in items):
        return None
    return [{"backend": "local", "model": default_model("local"), "task": t["id"], "answer": rows.at[t["id"], "answer"],
             "correct": bool(rows.at[t["id"], "correct"]), "latency_s": float(rows.at[t["id"], "latency_s"]),
             "cost_usd": 0.0, "error": rows.at[t["id"], "error"]} for t in items]


@returns_course_table
def compare_backends(ids=DEFAULT_TASKS, *, backends=None, probe=None, progress: bool = True):
    """Ask every configured backend the same probe tasks (temperature 0, the probe's answer lengths); one row per
    (backend, task) with the answer, the probe's verdict, latency and cost. Pass the lesson's probe results (run on the
    local model) as ``probe`` to reuse the local model's answers instead of asking again."""
    items = tasks(ids)
    limits = dict(zip(guide_table()["capability"], guide_table()["max_tokens"]))
    names = configured_backends() if backends is None else [choose_backend(b) for b in backends]
    rows = []
    for name in names:
        reused = _reused(probe, items, name)
        if reused is not None:
            rows += reused
            continue
        model = model_for(name)

        ask = ModelStep(lambda task: {"prompt": task["prompt"], "temperature": 0.0,
                                      "max_tokens": int(limits[task["capability"]]), "seed": 0},
                        lambda task, g: {"model": g.model, "answer": g.text, "latency_s": g.latency_s,
                                         "cost_usd": g.cost_usd},
                        backend=name, model=model)

        run = run_harness(items, ask, lambda task, r: {"correct": bool(score(task, r["answer"]))},
                          desc=f"asking {name}", progress=progress)
        for task, row in zip(items, run.to_dict("records")):
            rows.append({"backend": name, "model": row.get("model") if isinstance(row.get("model"), str) else model or name,
                         "task": task["id"], "answer": row.get("answer"), "correct": bool(row.get("correct") is True),
                         "latency_s": row.get("latency_s"), "cost_usd": row.get("cost_usd"), "error": row["error"]})
    return pd.DataFrame(rows, columns=COLUMNS)


@returns_course_table
def summary(table):
    """Per backend: tasks passed, mean latency and total cost of the comparison."""
    if not isinstance(table, pd.DataFrame) or not set(COLUMNS) <= set(table.columns):
        raise InputTypeError("table must be the DataFrame returned by compare_backends().")
    out = table.groupby(["backend", "model"], sort=False).agg(
        tasks=("task", "count"), passed=("correct", "sum"), failed_calls=("error", lambda e: int(e.notna().sum())),
        mean_latency_s=("latency_s", "mean"), total_cost_usd=("cost_usd", lambda c: c.sum(min_count=1)))
    return out.reset_index()


def note(table) -> str:
    """How to add a hosted model when only the local one answered, else ''."""
    if not isinstance(table, pd.DataFrame) or "backend" not in table:
        raise InputTypeError("table must be the DataFrame returned by compare_backends().")
    return HOW_TO_ADD if set(table["backend"]) <= {"local"} else ""
