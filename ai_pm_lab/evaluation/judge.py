"""LLM-as-judge: a model grades answers, and we measure how far to trust it against human labels (agreement,
true-positive and true-negative rates, and a pass rate corrected for its errors).

A hosted model grades against a written pass/fail rubric (its one-word reply). The local 135M model cannot follow the
rubric (asked for PASS or FAIL it passes nearly everything: ``benchmarks/week5.py`` prints the figures), so on it the
judge does a narrower task it can do: how much more likely the model finds the answer after reading the context than
without it (the *grounding lift*). A pass mark on that score is set on human labels: ``cross_validate`` sets it on the
other answers for each one, ``pass_mark`` on all of them for use on new answers."""
from __future__ import annotations

import re
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ai_pm_lab.datafiles import data_jsonl
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, successful
from ai_pm_lab.evaluation.stats import as_labels, corrected_pass_rate, judge_agreement, pick_threshold
from ai_pm_lab.llm import generate, get_backend
from ai_pm_lab.llm.confidence import answer_confidence
from ai_pm_lab.progress import bar

LABELS_FILE = "evaluation/judge_labels.jsonl"
HELDOUT_FILE = "evaluation/judge_labels_heldout.jsonl"  # written separately (another base), never used to set a pass mark
FOLDS = 5
WITH_CONTEXT = "{context}\n\nQuestion: {question}"
WITHOUT_CONTEXT = "Question: {question}"
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


def load_heldout_labels() -> list[dict]:
    """Human-labelled answers written separately about another base (Spokeshare), for checking a pass mark set on
    ``load_judge_labels()`` on answers it was not set on."""
    return [dict(r) for r in data_jsonl(HELDOUT_FILE)]


def grounding_lift(question: str, answer: str, context: str) -> float:
    """How much more likely the local model finds ``answer`` after reading ``context`` than without it: the mean
    log-probability per answer token with the context minus without (0: the context changes nothing; above 0: the
    context supports the answer). Two scoring passes, no generation."""
    return grounding_lifts([(question, answer, context)])[0]


def grounding_lifts(triples, *, progress: bool = False) -> list[float]:
    """grounding_lift of many (question, answer, context) triples, with the same numbers: each distinct scoring pass
    once, in prompt order, so that answers judged on the same context follow one another and the local model reuses
    the context it has read (it reuses an evaluated start only where that is exact)."""
    parts = [_lift_passes(*t) for t in triples]
    passes = sorted({(prompt, answer) for with_context, without, answer in parts for prompt in (with_context, without)})
    scores = {p: answer_confidence(*p).mean_logprob
              for p in bar(passes, desc="Scoring answers", unit="pass", disable=not progress or len(passes) < 2)}
    return [scores[with_context, answer] - scores[without, answer] for with_context, without, answer in parts]


def _lift_passes(question: str, answer: str, context: str) -> tuple[str, str, str]:
    """(prompt with the context, prompt without it, answer): the two scoring passes of grounding_lift."""
    require_text(question, "question")
    require_text(answer, "answer", allow_empty=True)
    require_text(context, "context", allow_empty=True)
    return (WITH_CONTEXT.format(context=context.strip() or "(no context)", question=question.strip()),
            WITHOUT_CONTEXT.format(question=question.strip()), answer.strip() or "(empty answer)")


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


def judge_answer(question: str, answer: str, context: str, *, backend: str | None = None, rubric: str = RUBRIC,
                 threshold: float | None = None) -> dict:
    """One verdict. On the local model: its grounding lift as ``score``, and ``pass`` when the score reaches
    ``threshold`` (None without one: set it with pass_mark or cross_validate); on a hosted model: its one-word reply
    to the rubric (score None)."""
    engine = get_backend(backend)
    if engine.name == "local":
        return _local_verdict(grounding_lift(question, answer, context), threshold, engine.model)
    prompt = judge_prompt(question, answer, context, rubric)
    return _hosted_verdict(generate(**_hosted_request(prompt), backend=backend))


def _local_verdict(score: float, threshold: float | None, model: str) -> dict:
    """The local judge's verdict on its grounding lift: pass when it reaches ``threshold`` (None without one)."""
    passed = None if threshold is None else bool(score >= float(threshold))
    return {"pass": passed, "score": score, "reply": "", "judge": model}


def _hosted_request(prompt: str) -> dict:
    """A hosted judge's request: the prompt, greedy, a one-word reply."""
    return {"prompt": prompt, "temperature": 0.0, "max_tokens": 4, "seed": 0}


def _hosted_verdict(reply) -> dict:
    """A hosted judge's verdict from its reply; one that names neither verdict counts as FAIL (the strict reading) and
    is flagged in ``reply``."""
    verdict = parse_verdict(reply.text)
    return {"pass": bool(verdict), "score": None, "reply": reply.text.strip()[:40], "judge": reply.model}


def run_judge(rows, *, backend: str | None = None, rubric: str = RUBRIC, progress: bool = True,
              threshold: float | None = None) -> pd.DataFrame:
    """Judge many answers (dicts with question, answer, context) through run_harness: one row each with the verdict
    (``judge_pass``) and, on the local model, its ``score`` (judged against ``threshold`` when one is given)."""
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
    if not hosted:  # the local judge: two scoring passes each, no generation, all scored first (grounding_lifts)
        try:
            model = get_backend(backend).model
            keys = [(r["question"], r["answer"], r["context"]) for r in rows]
            lifts = dict(zip(keys, grounding_lifts(keys, progress=progress)))
            call = lambda r: _local_verdict(lifts[r["question"], r["answer"], r["context"]], threshold, model)  # noqa: E731
        except Exception:  # noqa: BLE001 - a wrong backend or value: one by one, so each row records its own error
            call = lambda r: judge_answer(r["question"], r["answer"], r["context"], backend=backend,  # noqa: E731
                                          rubric=rubric, threshold=threshold)
    else:  # every reply requested together (concurrently on a hosted model)
        call = ModelStep(lambda r: _hosted_request(judge_prompt(r["question"], r["answer"], r["context"], rubric)),
                         lambda r, reply: _hosted_verdict(reply), backend=backend)
    df = run_harness(rows, call, desc="Judging", progress=progress)
    return successful(df).rename(columns={"pass": "judge_pass"})


def _scored(judged, human_column: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(judged, pd.DataFrame):
        raise InputTypeError(f"judged must be the DataFrame run_judge() returns, not {type(judged).__name__}: "
                             "run the cell that judges the labelled answers first.")
    for col in (human_column, "score"):
        if col not in judged.columns:
            raise InputError(f"judged has no {col!r} column: run run_judge on rows that carry human labels.")
    return as_labels(judged[human_column].tolist(), human_column), judged["score"].to_numpy(dtype=float)


def is_scored(judged: pd.DataFrame) -> bool:
    """True when the judge gave a score per answer (the local model) that a pass mark must turn into verdicts."""
    return isinstance(judged, pd.DataFrame) and "score" in judged and judged["score"].notna().all()


def pass_mark(judged: pd.DataFrame, human_column: str = "human_pass") -> float | None:
    """The score from which the local judge says pass, set on these labelled answers (the mark that best separates
    the human passes from the human fails, each kind counted equally); None for a hosted judge (it replies itself)."""
    if not is_scored(judged):
        return None
    human, score = _scored(judged, human_column)
    if human.min() == human.max():
        raise InputError("Every human label is the same: a pass mark needs passes and fails among the labelled answers.")
    return pick_threshold(score[human == 1], score[human == 0])


def cross_validate(judged: pd.DataFrame, human_column: str = "human_pass", *, folds: int = FOLDS,
                   seed: int = 0) -> pd.DataFrame:
    """``judged`` with every local verdict (``judge_pass``) made by a pass mark set on the OTHER labelled answers
    (``folds``-fold, stratified), so the agreement measured on it is not flattered by the mark; a hosted judge's
    verdicts are returned unchanged. Adds ``pass_mark``: the mark each answer was judged with."""
    from sklearn.model_selection import StratifiedKFold

    if not is_scored(judged):
        return judged
    human, score = _scored(judged, human_column)
    folds = int(min(folds, np.bincount(human, minlength=2).min()))
    if folds < 2:
        raise InputError("Cross-validating the pass mark needs at least two human passes and two human fails.")
    marks = np.zeros(len(score))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(score, human):
        marks[test] = pick_threshold(score[train][human[train] == 1], score[train][human[train] == 0])
    return judged.assign(judge_pass=score >= marks, pass_mark=marks)


def validate_judge(judged: pd.DataFrame, human_column: str = "human_pass", judge_column: str = "judge_pass") -> dict:
    """How far the judge agrees with the humans on the labelled answers: kappa (with CI), TPR and TNR (Wilson CIs)."""
    if not isinstance(judged, pd.DataFrame):
        raise InputTypeError(f"judged must be the DataFrame run_judge() returns, not {type(judged).__name__}: "
                             "run the cell that judges the labelled answers first.")
    for col in (human_column, judge_column):
        if col not in judged.columns:
            raise InputError(f"judged has no {col!r} column: run run_judge on rows that carry human labels.")
    if judged[judge_column].isna().any():
        raise InputError(f"{judge_column} has no verdict yet: the local judge gives scores; turn them into verdicts "
                         "with judge.cross_validate(judged), or run_judge(..., threshold=judge.pass_mark(labelled)).")
    with _quiet_resamples():
        return judge_agreement(judged[human_column].astype(bool), judged[judge_column].astype(bool))


@contextmanager
def _quiet_resamples():
    """Resamples with one kind of label only are left out of a bootstrap interval (stats.bootstrap_ci); scipy's
    warning about them is not shown to a learner."""
    from scipy.stats import DegenerateDataWarning  # scipy loads with the statistics, not with the course

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        yield


def corrected_rate(judge_verdicts, judged_labels: pd.DataFrame, human_column: str = "human_pass",
                   judge_column: str = "judge_pass") -> dict:
    """The judge's pass rate on new answers corrected for its measured errors (Rogan-Gladen, bootstrap CI)."""
    with _quiet_resamples():
        return corrected_pass_rate(judge_verdicts, judged_labels[human_column].astype(bool),
                                   judged_labels[judge_column].astype(bool))
