"""Display confidence as a hallucination mitigation, measured: does the local model's own certainty track correctness?

Each answer gets a confidence from the model's token probabilities (ai_pm_lab.llm.confidence: the geometric mean of
the probabilities it gave the answer's tokens). On a labelled set (the capability probe's scored answers) we then ask
the PM's question: when the product shows "high confidence", is the answer right more often? Accuracy per confidence
band, and the ROC AUC (0.5 = the confidence says nothing; 1.0 = it ranks every right answer above every wrong one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.evaluation.harness import run_harness
from ai_pm_lab.llm.confidence import answer_confidence
from ai_pm_lab.tables import returns_course_table

BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _check(results, needed) -> None:
    if not isinstance(results, pd.DataFrame) or not set(needed) <= set(results.columns):
        raise InputTypeError(f"results must be a DataFrame with columns {sorted(needed)} (e.g. capabilities.run_probe()).")


SHORT_ANSWERS = ("classification", "factual_recall")  # probe capabilities whose answers are a word or two (cheap to score)


def add_confidence(results, capabilities=SHORT_ANSWERS, *, progress: bool = True):
    """``results`` (prompt, answer, correct) with the local model's confidence in each answer (one forward pass each);
    rows of a probe run are limited to ``capabilities`` (None: every row), short answers by default."""
    _check(results, {"prompt", "answer", "correct"})
    rows = results[results["answer"].apply(lambda a: isinstance(a, str) and bool(a.strip()))]
    if capabilities is not None and "capability" in rows:
        if isinstance(capabilities, str):
            capabilities = [capabilities]
        rows = rows[rows["capability"].isin(list(capabilities))]
    scored = run_harness(rows[["prompt", "answer"]].to_dict("records"),
                         lambda item: {"confidence": answer_confidence(item["prompt"], item["answer"]).score},
                         desc="confidence per answer", progress=progress)
    out = rows.copy()
    out["confidence"] = scored["confidence"].to_numpy() if "confidence" in scored else np.nan
    return out[out["confidence"].notna()]


@returns_course_table
def by_band(scored, bands=BANDS):
    """Accuracy per confidence band: how many answers fell in each band, and how many of them were right."""
    _check(scored, {"confidence", "correct"})
    if len(bands) < 2 or any(not 0 <= b <= 1 for b in bands) or list(bands) != sorted(bands):
        raise InputError("bands must be increasing edges between 0 and 1, e.g. (0, 0.25, 0.5, 0.75, 1).")
    band = pd.cut(scored["confidence"], bins=list(bands), include_lowest=True)
    table = scored.groupby(band, observed=False)["correct"].agg(answers="count", right="sum").reset_index()
    table["accuracy"] = (table["right"] / table["answers"]).where(table["answers"] > 0)
    return table.rename(columns={"confidence": "confidence band"})


def roc_auc(scored) -> float:
    """ROC AUC of confidence as a predictor of a right answer (NaN when every answer is right, or every one wrong)."""
    _check(scored, {"confidence", "correct"})
    from sklearn.metrics import roc_auc_score  # scikit-learn loads on first use (heavy)

    y = scored["correct"].astype(bool)
    if y.nunique() < 2:
        return float("nan")
    return float(roc_auc_score(y, scored["confidence"]))


def flag_low(scored, threshold: float = 0.5):
    """What a 'low confidence: please check' label at ``threshold`` would do: answers flagged, and wrong ones caught."""
    _check(scored, {"confidence", "correct"})
    threshold = float(require_number(threshold, "threshold", low=0, high=1))
    flagged = scored["confidence"] < threshold
    wrong = ~scored["correct"].astype(bool)
    return {"threshold": threshold, "answers": int(len(scored)), "flagged": int(flagged.sum()),
            "wrong": int(wrong.sum()), "wrong and flagged": int((flagged & wrong).sum()),
            "right but flagged": int((flagged & ~wrong).sum())}
