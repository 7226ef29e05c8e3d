"""Classifier quality with scikit-learn: precision, recall and F1 per label, the confusion matrix, and how a macro F1
compares with guessing (an interval for each)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.evaluation.stats import CONFIDENCE, bootstrap_ci
from ai_pm_lab.tables import returns_course_table


def _labels(values, name: str) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InputTypeError(f"{name} must be a list of labels, one per item (e.g. ['billing', 'bug']), "
                             f"not {type(values).__name__}.")
    values = list(values)
    blank = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and v != v)]
    if blank:
        raise InputError(f"{name}[{blank[0]}] has no label (None or NaN): fill in every label before scoring "
                         f"({len(blank)} missing).")
    return values


def _pair(y_true, y_pred) -> tuple[list, list]:
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise InputError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}: pass one prediction per item.")
    if not y_true:
        raise InputError("y_true is empty: classify at least one item first (one prediction per item).")
    return y_true, y_pred


@returns_course_table
def classification_scores(y_true, y_pred):
    """Precision, recall, F1 and support per true label plus their macro average, as a DataFrame."""
    y_true, y_pred = _pair(y_true, y_pred)
    labs = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labs, zero_division=0)
    df = pd.DataFrame({"label": labs, "precision": p, "recall": r, "f1": f, "support": s})
    mp, mr, mf, _ = precision_recall_fscore_support(y_true, y_pred, labels=labs, average="macro", zero_division=0)
    macro = pd.DataFrame([{"label": "macro average", "precision": mp, "recall": mr, "f1": mf, "support": len(y_true)}])
    return pd.concat([df, macro], ignore_index=True)


@returns_course_table
def confusion(y_true, y_pred):
    """Confusion matrix (rows = true label, columns = predicted; only labels that occur) as a DataFrame."""
    y_true, y_pred = _pair(y_true, y_pred)
    rows, cols = sorted(set(y_true)), sorted(set(y_pred))
    labs = sorted(set(rows) | set(cols))
    m = pd.DataFrame(confusion_matrix(y_true, y_pred, labels=labs), index=labs, columns=labs)
    m = m.loc[rows, cols]
    m.index.name, m.columns.name = "true", "predicted"
    return m


def _macro_f1(labs: list):
    return lambda t, p: f1_score(t, p, labels=labs, average="macro", zero_division=0)


def macro_f1_interval(y_true, y_pred, *, confidence: float = CONFIDENCE, n_resamples: int = 1000) -> tuple[float, float]:
    """A bootstrap interval for the macro F1 of ``y_pred`` (the items resampled with replacement, fixed seed)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return bootstrap_ci(_macro_f1(sorted(set(y_true))), y_true, y_pred, confidence=confidence, n_resamples=n_resamples)


def chance_macro_f1(y_true, *, confidence: float = CONFIDENCE, draws: int = 500, seed: int = 0) -> tuple[float, float]:
    """The middle ``confidence`` share of the macro F1s that guessing scores: each draw gives every item a label picked
    at random (equal odds) from the labels in ``y_true``. A classifier worth keeping scores above this range."""
    y_true = _labels(y_true, "y_true")
    if not y_true:
        raise InputError("y_true is empty: pass the true label of every item you classified.")
    draws = require_number(draws, "draws", low=10, high=100_000, integer=True)
    labs = sorted(set(y_true))
    rng = np.random.default_rng(seed)
    score = _macro_f1(labs)
    f1s = [score(y_true, list(rng.choice(labs, size=len(y_true)))) for _ in range(draws)]
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(f1s, tail)), float(np.percentile(f1s, 100 - tail))
