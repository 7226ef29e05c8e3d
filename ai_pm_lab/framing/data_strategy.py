"""Data strategy: the guide's data-requirements table as a planner, and "data is the product" made visible with the
ticket classifier's learning curve (F1 against the number of labelled examples)."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ai_pm_lab import settings
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.tables import returns_course_table

REQUIREMENTS_FILE = "framing/data_requirements.csv"
TICKETS_FILE = "tickets/support_tickets.csv"


@returns_course_table
def requirements_table():
    """The data-requirements table (approach, data needed, timeline, and the course's numeric reading of it)."""
    import pandas as pd

    df = pd.DataFrame(data_csv(REQUIREMENTS_FILE))
    for col in ("min_examples", "min_weeks", "typical_weeks"):
        df[col] = df[col].astype(float)
    return df


def _count(value, name: str, *, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InputTypeError(f"{name} must be a number, not {value!r}.")
    if value < 0:
        raise InputError(f"{name} cannot be negative ({value!r}): use 0 if you have none.")
    if integer and not float(value).is_integer():
        raise InputError(f"{name} must be a whole number of examples, not {value!r}.")
    return float(value)


@dataclass
class DataPlan:
    """What the table allows with a given amount of labelled data and time."""

    labelled_examples: int
    weeks: float
    table: object  # DataFrame: approach, data needed, timeline, feasible, why
    start_with: str | None
    most_specialised: str | None

    def to_markdown(self) -> str:
        """The plan as a short Markdown section (for the one-pager)."""
        lines = [f"With **{self.labelled_examples:,} labelled examples** and **{self.weeks:g} weeks**:", ""]
        for _, r in self.table.iterrows():
            lines.append(f"- {'✅' if r['feasible'] else '✗'} {r['approach']} ({r['data_needed'].lower()}; "
                         f"{r['timeline'].lower()}): {r['why']}")
        lines.append("")
        if self.start_with:
            lines.append(f"**Start with:** {self.start_with}. **Most specialised option the table allows:** {self.most_specialised}.")
        else:
            lines.append("**No approach fits yet:** find more time or more data first.")
        return "\n".join(lines)


def plan_data_strategy(labelled_examples: int, weeks: float) -> DataPlan:
    """Which approaches the data-requirements table allows with this much labelled data and time, and where to start."""
    n = _count(labelled_examples, "labelled_examples", integer=True)
    w = _count(weeks, "weeks", integer=False)
    table = requirements_table()
    feasible, why = [], []
    for _, r in table.iterrows():
        gaps = []
        if n < r["min_examples"]:
            gaps.append(f"needs at least {r['min_examples']:,.0f} labelled examples (you have {n:,.0f})")
        if w < r["min_weeks"]:
            gaps.append(f"needs at least {r['min_weeks']:g} weeks (you have {w:g})")
        feasible.append(not gaps)
        why.append("fits" if not gaps else "; ".join(gaps))
    table["feasible"] = feasible
    table["why"] = why
    ok = table[table.feasible]
    start = ok["approach"].iloc[0] if len(ok) else None
    most = ok["approach"].iloc[-1] if len(ok) else None
    return DataPlan(int(n), w, table[["approach", "data_needed", "timeline", "feasible", "why"]], start, most)


# ---------------------------------------------------------------- the learning curve ----------------------------------

def ticket_data():
    """(texts, labels) of the course's labelled support tickets."""
    rows = data_csv(TICKETS_FILE)
    return [r["text"] for r in rows], [r["label"] for r in rows]


def ticket_model(C: float = 1.0):
    """The classic text classifier: TF-IDF word features + logistic regression (C = how closely it may fit the data)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if isinstance(C, bool) or not isinstance(C, numbers.Real) or not C > 0:
        raise InputError(f"C must be a positive number (e.g. 1.0), not {C!r}.")
    return make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(C=float(C), max_iter=2000))


def cross_validation(folds: int = 5, seed: int = 0):
    """Stratified k-fold splits (each fold holds out 1/folds of the tickets, every label represented)."""
    from sklearn.model_selection import StratifiedKFold

    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= 20:
        raise InputError(f"folds must be a whole number between 2 and 20, not {folds!r}.")
    return StratifiedKFold(folds, shuffle=True, random_state=seed)


def threads() -> int:
    """CPU threads for scikit-learn's numeric libraries: AI_PM_LAB_THREADS if set (a bad value is a clear error), else 1
    (fits here are tiny)."""
    return settings.threads(default_max=1)


@returns_course_table
def learning_curve_table(steps: int = 8, folds: int = 5, C: float = 1.0, seed: int = 0):
    """F1 (macro) of the ticket classifier trained on more and more labelled tickets: training score and held-out score
    (mean and spread over the folds), via scikit-learn's learning_curve."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import learning_curve
    from threadpoolctl import threadpool_limits

    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 20:
        raise InputError(f"steps must be a whole number between 2 and 20, not {steps!r}.")
    texts, labels = ticket_data()
    with threadpool_limits(threads()):
        sizes, train, test = learning_curve(ticket_model(C), np.array(texts, dtype=object), np.array(labels),
                                            train_sizes=np.linspace(0.1, 1.0, steps), cv=cross_validation(folds, seed),
                                            scoring="f1_macro", shuffle=True, random_state=seed, error_score=0.0)
    return pd.DataFrame({"labelled examples": sizes, "train F1": train.mean(1), "held-out F1": test.mean(1),
                         "held-out F1 spread": test.std(1)})


def plot_learning_curve(df, ax=None):
    """Held-out and training F1 against labelled examples, with the spread over folds shaded."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    x = df["labelled examples"]
    ax.plot(x, df["train F1"], "o--", label="on tickets it trained on")
    ax.plot(x, df["held-out F1"], "o-", label="on held-out tickets")
    ax.fill_between(x, df["held-out F1"] - df["held-out F1 spread"], df["held-out F1"] + df["held-out F1 spread"], alpha=0.2)
    ax.set_xlabel("labelled examples used for training")
    ax.set_ylabel("F1 (macro)")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    return ax


# ---------------------------------------------------------------- the training-data audit -----------------------------

AUDIT_OK, AUDIT_LOOK, AUDIT_UNKNOWN = "ok", "look closer", "not in the data"


@returns_course_table
def audit_training_data(rows=None, *, text: str = "text", label: str = "label", labeller: str = "labelled_by",
                        date: str = "date", max_imbalance: float = 1.5):
    """A five-line audit of a labelled data set before anyone trains on it: label balance, duplicate texts, missing
    values, who wrote the labels and the date range. Each line is computed from the rows (default: the course's
    support tickets); a question the file cannot answer says so ("not in the data") and names who to ask.

    Columns: check, finding, status ("ok", "look closer", "not in the data"), figure (the number behind the finding)."""
    import pandas as pd

    if rows is None:
        rows = data_csv(TICKETS_FILE)
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for col in (text, label):
        if col not in df.columns:
            raise InputError(f"The data has no {col!r} column (it has {', '.join(map(str, df.columns)) or 'none'}): "
                             f"pass text=... and label=... with your column names.")
    if not len(df):
        raise InputError("The data has no rows: load the labelled examples first.")
    out = []
    blank = df[[text, label]].apply(lambda s: s.isna() | s.astype(str).str.strip().eq(""))
    counts = df.loc[~blank[label], label].astype(str).str.strip().value_counts()
    ratio = float(counts.max() / counts.min()) if len(counts) else float("nan")
    out.append({"check": "label balance",
                "finding": f"{len(counts)} labels, {counts.min() if len(counts) else 0} to {counts.max() if len(counts) else 0} "
                           f"examples each (largest / smallest = {ratio:.2f})",
                "status": AUDIT_OK if len(counts) > 1 and ratio <= max_imbalance else AUDIT_LOOK, "figure": ratio})
    normal = df[text].fillna("").astype(str).str.lower().str.split().str.join(" ")
    dupes = int(normal[normal != ""].duplicated().sum())
    out.append({"check": "duplicates", "finding": f"{dupes} text(s) repeat an earlier one (ignoring case and spacing)",
                "status": AUDIT_OK if dupes == 0 else AUDIT_LOOK, "figure": dupes})
    missing = int(blank.any(axis=1).sum())
    out.append({"check": "missing values", "finding": f"{missing} of {len(df)} rows have an empty text or label",
                "status": AUDIT_OK if missing == 0 else AUDIT_LOOK, "figure": missing})
    if labeller in df.columns:
        people = df[labeller].dropna().astype(str).str.strip()
        n = int(people[people != ""].nunique())
        out.append({"check": "who wrote the labels", "finding": f"{n} labeller(s) named in {labeller!r}",
                    "status": AUDIT_OK if n >= 2 else AUDIT_LOOK, "figure": n})
    else:
        out.append({"check": "who wrote the labels", "finding": "no column records it: ask the data owner who labelled, "
                    "with which guide, and whether anyone checked a sample", "status": AUDIT_UNKNOWN, "figure": float("nan")})
    if date in df.columns:
        dates = pd.to_datetime(df[date], errors="coerce").dropna()
        days = int((dates.max() - dates.min()).days) if len(dates) else 0
        span = f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}" if len(dates) else "no readable dates"
        out.append({"check": "date range", "finding": f"{span} ({days} days)",
                    "status": AUDIT_OK if days >= 90 else AUDIT_LOOK, "figure": days})
    else:
        out.append({"check": "date range", "finding": "no column records when the examples were written: ask whether they "
                    "cover the season, languages and products live traffic has", "status": AUDIT_UNKNOWN,
                    "figure": float("nan")})
    return pd.DataFrame(out)
