"""Hallucination lab: questions x prompting modes, an automatic verdict rule, and the measured hallucination rate."""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.datafiles import data_jsonl
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, successful
from ai_pm_lab.evaluation.refusals import is_refusal
from ai_pm_lab.limits.common import check_n, check_temperature
from ai_pm_lab.llm.backends import generate
from ai_pm_lab.plots import annotated_heatmap
from ai_pm_lab.tables import format_rate, returns_course_table
from ai_pm_lab.text import contains_phrase

MODES = {
    "no context": "The question alone.",
    "with context": "A passage, then the question.",
    "context + only-from-context": "A passage, the question, and the instruction to answer only from the passage or say you don't know.",
}
KINDS = {
    "answerable": "the passage holds the answer",
    "unanswerable": "nobody can know the answer (it is in the future)",
    "made_up": "about a product or person that does not exist",
}
VERDICT_RULE = (
    "grounded = an answerable question and the answer contains an accepted answer; "
    "otherwise refused = the answer is empty or a refusal (evaluation.refusals.is_refusal: a 'don't know' phrase "
    "from data/evaluation/refusal_phrases.txt as whole words); "
    "otherwise hallucinated (a confident answer that is wrong or cannot be true)."
)
VERDICTS = ("grounded", "refused", "hallucinated")
ONLY_FROM_CONTEXT = (
    "Answer only from the context. If the context does not contain the answer, reply exactly: I don't know."
)


def questions(kind: str | None = None) -> list[dict]:
    """The bundled questions (all, or one kind), each with a passage and accepted answers."""
    qs = [dict(q) for q in data_jsonl("limits/hallucination_questions.jsonl")]
    if kind is None:
        return qs
    check_kind(kind)
    return [q for q in qs if q["kind"] == kind]


def question(question_id: str) -> dict:
    """One bundled question by id, e.g. 'future-1' (the 2035 Super Bowl)."""
    require_text(question_id, "question_id")
    for q in questions():
        if q["id"] == question_id:
            return q
    raise InputError(f"Unknown question id {question_id!r}: choose one of {', '.join(q['id'] for q in questions())}.")


def check_kind(kind) -> str:
    """``kind`` if it is one of KINDS, else a ValueError listing them."""
    require_text(kind, "kind")
    if kind not in KINDS:
        raise InputError(f"Unknown question kind {kind!r}: choose one of {', '.join(KINDS)}.")
    return kind


def check_mode(mode) -> str:
    """``mode`` if it is one of MODES, else a ValueError listing them."""
    require_text(mode, "mode")
    if mode not in MODES:
        raise InputError(f"Unknown mode {mode!r}: choose one of {', '.join(repr(m) for m in MODES)}.")
    return mode


def verdict(answer: str, accepted_answers) -> str:
    """'grounded', 'refused' or 'hallucinated' by the stated rule (VERDICT_RULE)."""
    require_text(answer, "answer", allow_empty=True)
    if isinstance(accepted_answers, str) or not hasattr(accepted_answers, "__iter__"):
        raise InputTypeError("accepted_answers must be a list of strings (empty for questions nobody can answer).")
    if any(contains_phrase(answer, a) for a in accepted_answers):
        return "grounded"
    if is_refusal(answer) or not answer.strip():
        return "refused"
    return "hallucinated"


def build_prompt(q: dict, mode: str) -> tuple[str, str | None]:
    """The (prompt, system message) a mode sends for question ``q``."""
    check_mode(mode)
    if not isinstance(q, dict) or "question" not in q:
        raise InputTypeError("q must be one of questions() (a dict with 'question' and 'passage').")
    if mode == "no context":
        return q["question"], None
    prompt = f"Context: {q['passage']}\n\nQuestion: {q['question']}"
    if mode == "with context":
        return prompt, None
    return prompt + "\n\n" + ONLY_FROM_CONTEXT, ONLY_FROM_CONTEXT


def ask_question(question_id: str, mode: str, *, temperature: float = 0.7, seed: int = 0, max_tokens: int = 40,
                 backend: str | None = None) -> dict:
    """Ask one question in one mode; returns the answer, its verdict and the receipt."""
    return _answered(question_id, mode, generate(**_request(question_id, mode, temperature, seed, max_tokens),
                                                  backend=backend))


def _request(question_id: str, mode: str, temperature, seed, max_tokens) -> dict:
    """The generate() keywords for one question in one mode (checked)."""
    prompt, system = build_prompt(question(question_id), check_mode(mode))
    return {"prompt": prompt, "system": system, "temperature": check_temperature(temperature),
            "seed": require_number(seed, "seed", low=0, high=2**31 - 1, integer=True),
            "max_tokens": require_number(max_tokens, "max_tokens", low=1, high=2048, integer=True)}


def _answered(question_id: str, mode: str, g) -> dict:
    """One answer with its verdict and receipt."""
    q = question(question_id)
    return {"id": q["id"], "kind": q["kind"], "mode": mode, "question": q["question"], "answer": g.text,
            "verdict": verdict(g.text, q["answers"]), "receipt": g.receipt()}


def run_grid(n: int = 3, *, temperature: float = 0.7, max_tokens: int = 32, kinds=None, modes=None, seed: int = 0,
             backend: str | None = None, progress: bool = True):
    """N samples per (kind, mode) cell, each a different question/seed; one row per sample as a DataFrame."""
    n = check_n(n, "n", high=50)
    kinds = list(KINDS) if kinds is None else [check_kind(k) for k in kinds]
    modes = list(MODES) if modes is None else [check_mode(m) for m in modes]
    items = []
    for kind in kinds:
        qs = questions(kind)
        for mode in modes:
            for i in range(n):
                q = qs[i % len(qs)]
                items.append({"id": q["id"], "kind": kind, "mode": mode, "seed": seed + i})

    def finish(item, g):
        r = _answered(item["id"], item["mode"], g)
        return {k: r[k] for k in ("question", "answer", "verdict", "receipt")}

    ask = ModelStep(lambda item: _request(item["id"], item["mode"], temperature, item["seed"], max_tokens), finish,
                    backend=backend)

    rows = run_harness(items, ask, desc="hallucination grid", progress=progress)
    front = ["id", "kind", "mode", "question", "answer", "verdict", "receipt"]
    return rows[[c for c in front if c in rows] + [c for c in rows if c not in front]]


@returns_course_table
def rates(grid):
    """Hallucination rate (and grounded/refused shares) per kind x mode cell, from run_grid()'s rows (failed calls left out)."""
    if not isinstance(grid, pd.DataFrame) or not {"kind", "mode"} <= set(grid.columns):
        raise InputTypeError("grid must be the DataFrame returned by run_grid().")
    if grid.empty:
        raise InputError("grid is empty: run run_grid(n=...) with n >= 1 first.")
    grid = successful(grid)
    if "verdict" not in grid:
        raise InputTypeError("grid must be the DataFrame returned by run_grid() (it has no 'verdict' column).")
    shares = pd.crosstab([grid["kind"], grid["mode"]], grid["verdict"], normalize="index")
    for v in VERDICTS:
        if v not in shares:
            shares[v] = 0.0
    shares["samples"] = grid.groupby(["kind", "mode"]).size()
    return shares[["samples", "grounded", "refused", "hallucinated"]].reset_index()


@returns_course_table
def rates_by_mode(grid):
    """Shares of grounded, refused and hallucinated answers per mode, over every question kind (failed calls left out)."""
    cells = rates(grid)
    shares = cells[["grounded", "refused", "hallucinated"]].mul(cells["samples"], axis=0)
    by_mode = shares.assign(samples=cells["samples"], mode=cells["mode"]).groupby("mode", sort=False).sum()
    out = by_mode[["grounded", "refused", "hallucinated"]].div(by_mode["samples"], axis=0)
    out.insert(0, "samples", by_mode["samples"].astype(int))
    return out.reindex([m for m in MODES if m in out.index]).reset_index()


@returns_course_table
def rate_matrix(grid):
    """Hallucination rate as a kind x mode table (rows in KINDS order, columns in MODES order)."""
    r = rates(grid).pivot(index="kind", columns="mode", values="hallucinated")
    return r.reindex(index=[k for k in KINDS if k in r.index], columns=[m for m in MODES if m in r.columns])


def plot_rates(grid, title: str | None = None):
    """Heatmap of the measured hallucination rate per kind x mode, with sample counts."""
    m = rate_matrix(grid)
    counts = rates(grid).pivot(index="kind", columns="mode", values="samples").reindex(index=m.index, columns=m.columns)
    ax = annotated_heatmap(m.values, list(m.index), list(m.columns), cmap="Reds", vmin=0, vmax=1,
                           cell_text=lambda i, j, v: f"{format_rate(v, 0)}\nn={int(counts.values[i, j])}", figsize=(7.5, 3.2),
                           xtick_rotation=10, colorbar_label="hallucination rate", title=title or "Measured hallucination rate")
    ax.figure.tight_layout()
    return ax.figure
