"""LLM-as-judge: a model grades answers against a written pass/fail rubric, and we measure how far to trust it
against human labels (agreement, true-positive and true-negative rates, and a pass rate corrected for its errors)."""
from __future__ import annotations

import re

import pandas as pd

from ai_pm_lab.datafiles import data_jsonl
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, successful
from ai_pm_lab.evaluation.stats import corrected_pass_rate, judge_agreement
from ai_pm_lab.llm import generate, get_backend
from ai_pm_lab.llm.local import tokenize
from ai_pm_lab.llm.next_token import next_token_distribution

LABELS_FILE = "evaluation/judge_labels.jsonl"
RUBRIC = """An answer PASSES only if all of these hold:
1. It answers the question that was asked (or, when the context does not contain the answer, it says it does not know).
2. Every fact, number and name in it is supported by the context.
3. It does not contradict the context.
Otherwise it FAILS: a wrong fact, a detail the context does not support, a refusal when the context holds the answer,
or an answer to a question the context cannot answer."""
JUDGE_TEMPLATE = """You grade a support assistant's answer.

Rubric:
{rubric}

Context:
{context}

Question: {question}
Answer: {answer}

Reply with one word, PASS or FAIL."""
VERDICT_RE = re.compile(r"\b(PASS|FAIL)\b", re.IGNORECASE)


def load_judge_labels() -> list[dict]:
    """The course's human-labelled answers (question, answer, context, human_pass, note) about the Tidewell base."""
    return [dict(r) for r in data_jsonl(LABELS_FILE)]


def judge_prompt(question: str, answer: str, context: str, rubric: str = RUBRIC) -> str:
    """The judge's prompt: rubric, context, question, answer, and the instruction to reply PASS or FAIL."""
    require_text(question, "question")
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    require_text(rubric, "rubric")
    return JUDGE_TEMPLATE.format(rubric=rubric.strip(), context=context.strip() or "(no context)",
                                 question=question.strip(), answer=answer.strip() or "(empty answer)")


def parse_verdict(text: str) -> bool | None:
    """True for PASS, False for FAIL (the first one the reply names), None when it names neither."""
    m = VERDICT_RE.search(require_text(text, "reply", allow_empty=True))
    return None if m is None else m.group(1).upper() == "PASS"


def judge_answer(question: str, answer: str, context: str, *, backend: str | None = None, rubric: str = RUBRIC) -> dict:
    """One verdict. On the local model: its next-token probability of PASS vs FAIL after the prompt (one forward
    pass); on a hosted model: its one-word reply. Returns pass (bool), p_pass (local only) and the raw reply."""

    prompt = judge_prompt(question, answer, context, rubric)
    engine = get_backend(backend)
    if engine.name == "local":

        chat = f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"
        probs = next_token_distribution(chat).probs()
        p_pass = sum(float(probs[tokenize(w)[0]]) for w in ("PASS", "Pass", "pass"))
        p_fail = sum(float(probs[tokenize(w)[0]]) for w in ("FAIL", "Fail", "fail"))
        p = p_pass / (p_pass + p_fail) if p_pass + p_fail > 0 else 0.5
        return {"pass": p >= 0.5, "p_pass": p, "reply": "PASS" if p >= 0.5 else "FAIL", "judge": engine.model}

    return _hosted_verdict(generate(**_hosted_request(prompt), backend=backend))


def _hosted_request(prompt: str) -> dict:
    """A hosted judge's request: the prompt, greedy, a one-word reply."""
    return {"prompt": prompt, "temperature": 0.0, "max_tokens": 4, "seed": 0}


def _hosted_verdict(reply) -> dict:
    """A hosted judge's verdict from its reply; one that names neither verdict counts as FAIL (the strict reading) and
    is flagged in ``reply``."""
    verdict = parse_verdict(reply.text)
    return {"pass": bool(verdict), "p_pass": None, "reply": reply.text.strip()[:40], "judge": reply.model}


def run_judge(rows, *, backend: str | None = None, rubric: str = RUBRIC, progress: bool = True) -> pd.DataFrame:
    """Judge many answers (dicts with question, answer, context) through run_harness: one row each with the verdict."""
    rows = list(rows)
    if not rows:
        raise InputError("rows is empty: pass answers to judge, e.g. load_judge_labels().")
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not {"question", "answer", "context"} <= set(r):
            raise InputError(f"rows[{i}] must be a dict with question, answer and context.")
    try:
        hosted = get_backend(backend).name != "local"
    except Exception:  # noqa: BLE001 - a wrong backend is recorded in every row, as judge_answer() raises it
        hosted = False
    if not hosted:  # the local judge: one forward pass each (next-token probabilities), no generation
        call = lambda r: judge_answer(r["question"], r["answer"], r["context"], backend=backend, rubric=rubric)  # noqa: E731
    else:  # every reply requested together (concurrently on a hosted model)
        call = ModelStep(lambda r: _hosted_request(judge_prompt(r["question"], r["answer"], r["context"], rubric)),
                         lambda r, reply: _hosted_verdict(reply), backend=backend)
    df = run_harness(rows, call, desc="Judging", progress=progress)
    return successful(df).rename(columns={"pass": "judge_pass"})


def validate_judge(judged: pd.DataFrame, human_column: str = "human_pass", judge_column: str = "judge_pass") -> dict:
    """How far the judge agrees with the humans on the labelled answers: kappa (with CI), TPR and TNR (Wilson CIs)."""
    if not isinstance(judged, pd.DataFrame):
        raise InputTypeError(f"judged must be the DataFrame run_judge() returns, not {type(judged).__name__}: "
                             "run the cell that judges the labelled answers first.")
    for col in (human_column, judge_column):
        if col not in judged.columns:
            raise InputError(f"judged has no {col!r} column: run run_judge on rows that carry human labels.")
    return judge_agreement(judged[human_column].astype(bool), judged[judge_column].astype(bool))


def corrected_rate(judge_verdicts, judged_labels: pd.DataFrame, human_column: str = "human_pass",
                   judge_column: str = "judge_pass") -> dict:
    """The judge's pass rate on new answers corrected for its measured errors (Rogan-Gladen, bootstrap CI)."""
    return corrected_pass_rate(judge_verdicts, judged_labels[human_column].astype(bool),
                               judged_labels[judge_column].astype(bool))
