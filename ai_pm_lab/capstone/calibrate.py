"""Calibrate the answerability gate on a learner's own labelled questions (their questions.csv) before the launch gate.

The shipped gate was trained on the course's knowledge bases; on another folder its scores can sit lower or higher, so
it may refuse many questions the documents do answer. With enough labels, the capstone refits the gate's cutoff (or,
with ``method="weights"``, the whole gate) on the folder's own questions, measured by stratified cross-validation: each
question is judged by a cutoff chosen on the other folds, so the "after" rates are not graded on the questions that set
them. Built on the gate's public API (ai_pm_lab.rag.gate)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ai_pm_lab.capstone.samples import QUESTIONS_FILE
from ai_pm_lab.errors import InputError, require_number
from ai_pm_lab.evaluation.stats import Rate, rate
from ai_pm_lab.rag.gate import MAX_FALSE_REFUSAL, Gate, choose_cutoff, cross_validated_gate, signal_table
from ai_pm_lab.tables import format_rate, returns_course_table

# At least 10 of each kind: with 10 answerable questions the 10% false-refusal budget allows one refusal, so the
# cutoff can sit at that operating point at all (with fewer, floor(10% x n) is 0 and the budget cannot be spent);
# 10 of each also gives every fold of a 5-fold stratified split two questions of each kind. Even then a rate over 10
# questions has a Wilson interval about 40 points wide: more labels narrow it.
MIN_PER_CLASS = 10
FOLDS = 5
METHODS = ("cutoff", "weights")
FALSE_REFUSALS = "answerable questions refused (false refusals)"
CAUGHT = "unanswerable questions refused"


@dataclass
class Calibration:
    """The answerability gate on this folder's labels: before (the gate as shipped) and after (recalibrated,
    cross-validated) rates with Wilson intervals, the gate to use, and how many labels calibration needs."""

    status: str  # "calibrated", "kept" (checked: refitting would not help), "bundled", "no labels", "too few labels", "no gate"
    message: str
    answerable: int  # labelled questions the documents answer
    unanswerable: int  # labelled questions they cannot answer
    needed: dict  # labels of each kind calibration needs (the minimum) and how many more this folder needs
    gate_before: Gate | None
    gate: Gate | None  # the gate to use from now on (the shipped one when nothing was calibrated)
    method: str = "cutoff"
    before: dict = field(default_factory=dict)  # FALSE_REFUSALS / CAUGHT -> Rate (the shipped gate on these labels)
    after: dict = field(default_factory=dict)  # the same, cross-validated, for the recalibrated gate
    signals: pd.DataFrame | None = None  # one row per labelled question: signals, answerable, probability

    @property
    def calibrated(self) -> bool:
        """True when the gate was refitted on this folder's labels."""
        return self.status == "calibrated"

    @returns_course_table
    def table(self) -> pd.DataFrame:
        """Before and after, one row per rate: the share, its 95% Wilson interval and how many questions it counts."""
        rows = []
        for name in (FALSE_REFUSALS, CAUGHT):
            row = {"rate": name}
            for when, rates in (("before", self.before), ("after (cross-validated)", self.after)):
                r: Rate | None = rates.get(name)
                row[f"refused {when}"] = r.rate if r else np.nan
                row[f"95% CI {when}"] = f"{format_rate(r.low, 0)}–{format_rate(r.high, 0)}" if r else "not measured"
            measured = self.before.get(name) or self.after.get(name)
            row["questions"] = measured.n if measured else 0
            rows.append(row)
        return pd.DataFrame(rows).set_index("rate")

    def summary(self) -> str:
        """What happened, in one or two sentences with the measured rates."""
        lines = [self.message]
        for name in (FALSE_REFUSALS, CAUGHT):
            b, a = self.before.get(name), self.after.get(name)
            if b is not None or a is not None:
                lines.append(f"  {name}: before {b if b is not None else 'not measured'}"
                             + (f" → after {a} (cross-validated)" if a is not None else ""))
        return "\n".join(lines)


def labels_needed(answerable: int, unanswerable: int, *, minimum: int = MIN_PER_CLASS) -> dict:
    """How many labelled questions calibration needs: the minimum of each kind and how many more of each are missing."""
    return {"answerable": minimum, "unanswerable": minimum,
            "more answerable": max(0, minimum - int(answerable)), "more unanswerable": max(0, minimum - int(unanswerable))}


def labelled_rows(project) -> list[dict]:
    """The folder's labelled questions: the test questions (answerable when they have an answer) and the gap questions
    (answered only by additions/, so the documents indexed now cannot answer them)."""
    rows = [{"question": r["question"], "answerable": bool(r["answerable"])} for r in project.eval_rows]
    rows += [{"question": r["question"], "answerable": False} for r in project.gap_rows]
    return rows


def _rates(y: np.ndarray, refused: np.ndarray) -> dict:
    out = {}
    if y.any():
        out[FALSE_REFUSALS] = rate(refused[y], name="refusals of answerable questions")
    if (~y).any():
        out[CAUGHT] = rate(refused[~y], name="refusals of unanswerable questions")
    return out


def _cv_cutoffs(y: np.ndarray, p: np.ndarray, max_false_refusal: float, folds: int, seed: int) -> np.ndarray:
    """Refused or not for every question, each judged by a cutoff chosen on the other folds (stratified k-fold)."""
    from sklearn.model_selection import StratifiedKFold  # heavy optional library: loaded on first use

    k = int(max(2, min(folds, y.sum(), (~y).sum())))
    refused = np.zeros(len(y), bool)
    for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(p.reshape(-1, 1), y):
        cut = choose_cutoff(y[train], p[train], max_false_refusal)
        refused[test] = p[test] < cut
    return refused


def calibrate(project, pipeline, *, method: str = "cutoff", max_false_refusal: float = MAX_FALSE_REFUSAL,
              folds: int = FOLDS, seed: int = 0, minimum: int = MIN_PER_CLASS, progress: bool = True) -> Calibration:
    """Refit the pipeline's answerability gate on the folder's questions.csv labels when there are enough (``minimum``
    of each kind); otherwise say the gate is uncalibrated for this folder and how many labels would fix that.

    ``method="cutoff"`` (default) keeps the gate's weights and chooses its cutoff on the labels; ``"weights"`` refits
    the logistic regression too (more parameters: worth it with a few dozen labels of each kind). The returned
    ``.gate`` is the one to use: ``pipeline.gate = calibration.gate``. The recalibrated gate is adopted only when its
    cross-validated balanced error (false refusals and missed unanswerable questions, averaged) is lower than the
    shipped gate's on the same labels; otherwise the shipped gate is kept (status "kept")."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    max_false_refusal = float(require_number(max_false_refusal, "max_false_refusal", low=0.0, high=1.0))
    minimum = int(require_number(minimum, "minimum", low=2, integer=True))
    gate = getattr(pipeline, "gate", None)
    rows = labelled_rows(project) if getattr(project, "questions_file", None) else []
    n_ans = sum(r["answerable"] for r in rows)
    n_una = len(rows) - n_ans
    need = labels_needed(n_ans, n_una, minimum=minimum)
    base = dict(answerable=n_ans, unanswerable=n_una, needed=need, gate_before=gate, gate=gate, method=method)
    if gate is None:
        return Calibration("no gate", "This pipeline decides by a similarity threshold, not an answerability gate: "
                           "there is nothing to calibrate.", **base)
    if getattr(project, "bundled", False):
        return Calibration("bundled", f"The shipped answerability gate was trained on {gate.n_train} "
                           f"{gate.trained_on or 'labelled questions'}, this bundled base's among them: it is calibrated "
                           "for this base.", **base)
    if not rows:
        return Calibration("no labels", f"The answerability gate is UNCALIBRATED for this folder: it was trained on the "
                           f"course's own knowledge bases, and this folder has no {QUESTIONS_FILE} to check it against. "
                           f"Write {QUESTIONS_FILE} with at least {minimum} questions your documents answer (with the "
                           f"answer) and {minimum} they cannot (answer left empty), {2 * minimum} in all, and rerun.",
                           **base)
    table = signal_table(pipeline, rows, gate.signals, progress=progress)
    y = table["answerable"].astype(bool).to_numpy()
    p = np.asarray(gate.probability(table), dtype=float)
    table["probability"] = p
    before = _rates(y, p < gate.cutoff)
    if need["more answerable"] or need["more unanswerable"]:
        return Calibration("too few labels", f"The answerability gate is UNCALIBRATED for this folder: {QUESTIONS_FILE} "
                           f"has {n_ans} answerable and {n_una} unanswerable labelled questions; calibration needs at "
                           f"least {minimum} of each. Add {need['more answerable']} answerable and "
                           f"{need['more unanswerable']} unanswerable ones (an unanswerable one has an empty answer) "
                           "and rerun. Below: the shipped gate on the labels you have.",
                           before=before, signals=table, **base)
    if method == "cutoff":
        refused = _cv_cutoffs(y, p, max_false_refusal, folds, seed)
        new_gate = gate.at(choose_cutoff(y, p, max_false_refusal))
        what = f"refitted the cutoff: {gate.cutoff:.2f} → {new_gate.cutoff:.2f}"
    else:
        cv = cross_validated_gate(table, gate.signals, folds=folds, seed=seed, max_false_refusal=max_false_refusal)
        refused = cv["refused"].to_numpy(dtype=bool)
        new_gate = Gate.fit_table(table, signals=gate.signals, max_false_refusal=max_false_refusal, seed=seed,
                                  trained_on=f"labelled questions of {project.name}")
        what = f"refitted the weights and the cutoff ({new_gate.cutoff:.2f})"
    new_gate.notes = {**dict(new_gate.notes), "calibrated_on": f"{len(rows)} labelled questions of {project.name}",
                      "calibration_method": method}
    after = _rates(y, refused)
    folds_used = min(folds, n_ans, n_una)
    if balanced_error(after) >= balanced_error(before):
        # the shipped gate never saw these labels, so its rates on them are as fair as the cross-validated ones
        return Calibration("kept", f"Answerability gate checked on this folder's {len(rows)} labelled questions "
                           f"({n_ans} answerable, {n_una} unanswerable): a recalibrated gate ({what}) would do no "
                           f"better ({folds_used}-fold stratified cross-validation), so the shipped gate is kept.",
                           **base, before=before, after=after, signals=table)
    return Calibration("calibrated", f"Answerability gate recalibrated on this folder's {len(rows)} labelled questions "
                       f"({n_ans} answerable, {n_una} unanswerable; {what}); the 'after' rates are "
                       f"{folds_used}-fold stratified cross-validated.",
                       **{**base, "gate": new_gate}, before=before, after=after, signals=table)


def balanced_error(rates: dict) -> float:
    """The mean of the two mistakes a gate makes: refusing an answerable question and answering an unanswerable one."""
    return (rates[FALSE_REFUSALS].rate + (1 - rates[CAUGHT].rate)) / 2
