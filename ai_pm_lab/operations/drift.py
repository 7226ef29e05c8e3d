"""Drift monitoring: are today's questions still the ones the assistant was built for? Windows of traffic compared
with a reference period by embedding distance and by the distribution of best retrieval scores (PSI and the
Kolmogorov-Smirnov test from scipy), with an alert threshold tuned against false alarms on unshifted windows."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from ai_pm_lab import embeddings
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.evaluation import stats
from ai_pm_lab.operations.traffic import simulate_day, status_of
from ai_pm_lab.rag.pipeline import RAGPipeline
from ai_pm_lab.tables import returns_course_table

SIGNALS = ("centroid_distance", "ks_distance", "psi_distance", "ks_score", "psi_score")
SIGNAL_LABELS = {"centroid_distance": "question centroid distance", "ks_distance": "KS on question distances",
                 "psi_distance": "PSI on question distances", "ks_score": "KS on best retrieval scores",
                 "psi_score": "PSI on best retrieval scores"}
POLICY_CHANGE_FILE = "operations/policy_change.csv"
WINDOW_BINS = 5  # PSI bins for a window of a few dozen questions (10 bins would leave 3 questions per bin)
PSI_FLOOR = 1e-4  # share given to an empty bin so the logarithm stays finite


def _clean_questions(questions) -> list[str]:
    if isinstance(questions, (str, bytes)) or not hasattr(questions, "__iter__"):
        raise InputTypeError("questions must be a list (or Series) of question strings.")
    out = [q for q in questions if isinstance(q, str) and q.strip()]
    return out


def _scores(values, name: str) -> np.ndarray:
    arr = np.asarray(pd.Series(values, dtype=float).dropna(), float)
    if arr.size == 0:
        raise InputError(f"{name} is empty: a drift comparison needs at least one value on each side.")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains infinite values; pass finite scores.")
    return arr


def psi(expected, actual, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` over quantile bins of ``expected``
    (0 = same distribution; by industry convention above 0.1 is worth a look, above 0.25 is a real shift)."""
    e = _scores(expected, "expected")
    a = _scores(actual, "actual")
    bins = require_number(bins, "bins", low=2, high=100, integer=True)
    inner = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    e_share = np.histogram(e, edges)[0] / e.size
    a_share = np.histogram(a, edges)[0] / a.size
    e_share = np.maximum(e_share, PSI_FLOOR)
    a_share = np.maximum(a_share, PSI_FLOOR)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


@returns_course_table
def psi_table(expected_shares, actual_shares) -> pd.DataFrame:
    """The PSI worked bin by bin from two lists of bin shares (no code needed to read it): each bin's shares, their
    difference, the natural log of their ratio, the bin's contribution (difference × log ratio), and a total row."""
    e = _scores(expected_shares, "expected_shares")
    a = _scores(actual_shares, "actual_shares")
    if e.size != a.size:
        raise InputError(f"expected_shares has {e.size} bins and actual_shares {a.size}: give one share per bin on each side.")
    if (e <= 0).any() or (a <= 0).any():
        raise InputError("Every bin share must be above 0 (the log of a ratio with 0 is undefined).")
    diff = a - e
    log_ratio = np.log(a / e)
    rows = pd.DataFrame({"bin": [str(i + 1) for i in range(e.size)], "share before": e, "share now": a,
                         "difference (now − before)": diff, "ln(now ÷ before)": log_ratio,
                         "contribution": diff * log_ratio})
    total = {"bin": "total (the PSI)", "share before": e.sum(), "share now": a.sum(), "difference (now − before)": diff.sum(),
             "ln(now ÷ before)": np.nan, "contribution": float((diff * log_ratio).sum())}
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def best_scores(pipeline: RAGPipeline, questions) -> np.ndarray:
    """Each question's best cosine similarity to the knowledge base (the retrieval signal behind refusals)."""
    if not isinstance(pipeline, RAGPipeline):
        raise InputTypeError(f"pipeline must be a RAGPipeline, not {type(pipeline).__name__}.")
    qs = _clean_questions(questions)
    if not qs:
        raise InputError("No questions to score: pass at least one non-empty question.")
    scores, _ = pipeline.index.search(embeddings.embed(qs, progress=False), 1)
    return scores[:, 0].astype(float)


@dataclass
class Reference:
    """What normal traffic looks like: its questions' embedding centroid, their distances from it, and their best
    retrieval scores."""

    centroid: np.ndarray
    distances: np.ndarray
    scores: np.ndarray
    n: int

    def __repr__(self) -> str:
        return f"Reference({self.n} questions, median best score {np.median(self.scores):.2f})"


def _centroid(vectors: np.ndarray) -> np.ndarray:
    c = vectors.mean(axis=0)
    norm = np.linalg.norm(c)
    return c / norm if norm > 0 else c


def reference_from(pipeline: RAGPipeline, questions) -> Reference:
    """A reference built from a period of normal traffic (a list of questions)."""
    qs = _clean_questions(questions)
    if len(qs) < 10:
        raise InputError(f"A reference needs at least 10 questions of normal traffic; got {len(qs)}.")
    vectors = embeddings.embed(qs, progress=False)
    centroid = _centroid(vectors)
    return Reference(centroid, 1 - vectors @ centroid, best_scores(pipeline, qs), len(qs))


def window_signals(pipeline: RAGPipeline, reference: Reference, questions) -> dict:
    """Drift signals of one window against the reference: embedding centroid distance, PSI and KS of best scores."""
    if not isinstance(reference, Reference):
        raise InputTypeError("reference must come from reference_from(pipeline, questions).")
    qs = _clean_questions(questions)
    if len(qs) < 5:
        raise InputError(f"A window needs at least 5 questions to compare distributions; got {len(qs)}.")
    vectors = embeddings.embed(qs, progress=False)
    distances = 1 - vectors @ reference.centroid
    scores = best_scores(pipeline, qs)
    ks_d = ks_2samp(reference.distances, distances)
    ks_s = ks_2samp(reference.scores, scores)
    return {"n": len(qs), "centroid_distance": float(1 - np.dot(reference.centroid, _centroid(vectors))),
            "ks_distance": float(ks_d.statistic), "ks_distance_p": float(ks_d.pvalue),
            "psi_distance": psi(reference.distances, distances, WINDOW_BINS),
            "ks_score": float(ks_s.statistic), "ks_score_p": float(ks_s.pvalue),
            "psi_score": psi(reference.scores, scores, WINDOW_BINS),
            "median_best_score": float(np.median(scores))}


def _windows(df: pd.DataFrame, size: int):
    for start in range(0, len(df) - size + 1, size):
        yield df.iloc[start:start + size]


@returns_course_table
def monitor(pipeline: RAGPipeline, reference: Reference, requests: pd.DataFrame, *, window: int = 30) -> pd.DataFrame:
    """Drift signals for consecutive windows of a day's requests (in time order); with a 'kind' column, also the
    share of each window that really was about the new product (the ground truth a real monitor never has)."""
    if not isinstance(requests, pd.DataFrame) or "question" not in requests.columns:
        raise InputTypeError("requests must be a DataFrame with a 'question' column (e.g. from traffic.simulate_day).")
    window = require_number(window, "window", low=5, high=10_000, integer=True)
    ok = requests[requests["question"].map(lambda q: isinstance(q, str) and bool(q.strip()))]
    if "time" in ok.columns:
        ok = ok.sort_values("time")
    if len(ok) < window:
        raise InputError(f"Only {len(ok)} usable requests: fewer than one window of {window}. Lower window or add traffic.")
    rows = []
    for i, w in enumerate(_windows(ok, window)):
        row = {"window": i + 1, **window_signals(pipeline, reference, w["question"].tolist())}
        if "time" in w.columns:
            row["start"], row["end"] = w["time"].iloc[0], w["time"].iloc[-1]
        if "kind" in w.columns:
            row["new_product_share"] = float((w["kind"] == "new_product").mean())
        rows.append(row)
    return pd.DataFrame(rows)


@returns_course_table
def null_windows(pipeline: RAGPipeline, reference: Reference, *, n_windows: int = 40, window: int = 30,
                 seed: int = 1) -> pd.DataFrame:
    """Signals on windows of normal (unshifted) traffic simulated afresh: the false alarms an alert would raise."""
    n_windows = require_number(n_windows, "n_windows", low=1, high=2000, integer=True)
    window = require_number(window, "window", low=5, high=10_000, integer=True)
    day = simulate_day(int(n_windows * window * 1.1) + 50, seed=seed)  # spare rows: empty messages are dropped
    day = day[day["question"].map(lambda q: bool(str(q).strip()))].sample(frac=1.0, random_state=seed)
    rows = [{"window": i + 1, **window_signals(pipeline, reference, w["question"].tolist())}
            for i, w in enumerate(_windows(day, window)) if i < n_windows]
    return pd.DataFrame(rows)


def _signal_values(frame: pd.DataFrame, signal: str, name: str) -> np.ndarray:
    if signal not in SIGNALS:
        raise InputError(f"Unknown signal {signal!r}: choose one of {', '.join(SIGNALS)}.")
    if not isinstance(frame, pd.DataFrame) or signal not in frame.columns:
        raise InputTypeError(f"{name} must be a DataFrame of window signals (from monitor() or null_windows()).")
    values = frame[signal].astype(float).to_numpy()
    if values.size == 0:
        raise InputError(f"{name} has no windows: monitor more traffic first.")
    return values


def false_alarm_rate(null: pd.DataFrame, signal: str, threshold: float) -> float:
    """Share of normal windows whose signal is above the threshold (alerts with nothing wrong)."""
    values = _signal_values(null, signal, "null")
    return float((values > require_number(threshold, "threshold")).mean())


def detection_rate(shifted: pd.DataFrame, signal: str, threshold: float) -> float:
    """Share of shifted windows whose signal is above the threshold (the drift the alert catches)."""
    values = _signal_values(shifted, signal, "shifted")
    return float((values > require_number(threshold, "threshold")).mean())


def pick_threshold(null: pd.DataFrame, signal: str, max_false_alarm: float = 0.05) -> float:
    """The lowest threshold whose false-alarm rate on normal windows is at most ``max_false_alarm``."""
    values = _signal_values(null, signal, "null")
    target = require_number(max_false_alarm, "max_false_alarm", low=0, high=1)
    # an alert fires above the threshold: the course's one picker, on negated values, keeps "quiet" windows
    return -stats.pick_threshold(-values, max_lost=target)


@returns_course_table
def alert_tradeoff(null: pd.DataFrame, shifted: pd.DataFrame, signal: str, thresholds=None) -> pd.DataFrame:
    """False-alarm rate (normal windows) against detection rate (shifted windows) for a range of thresholds."""
    nv = _signal_values(null, signal, "null")
    sv = _signal_values(shifted, signal, "shifted")
    if thresholds is None:
        thresholds = np.unique(np.round(np.concatenate([nv, sv]), 4))
    rows = [{"threshold": float(t), "false_alarm_rate": float((nv > t).mean()), "detection_rate": float((sv > t).mean())}
            for t in thresholds]
    return pd.DataFrame(rows)


# -- concept drift: the right answers change, the questions do not -------------------------------------------------
@returns_course_table
def policy_changes() -> pd.DataFrame:
    """A policy change (data/operations/policy_change.csv): the questions whose right answer changed, before and after."""
    return pd.DataFrame(data_csv(POLICY_CHANGE_FILE))[["eval_id", "intent", "before", "after", "what_changed"]]


@returns_course_table
def relabel(day: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The served day scored again against new right answers (same questions, same replies): each changed
    question's gold answer becomes its ``after`` value and its status and ``handled_correctly`` are recomputed."""
    changes = policy_changes() if changes is None else changes
    needed = {"eval_id", "after"}
    if not isinstance(changes, pd.DataFrame) or not needed <= set(changes.columns):
        raise InputTypeError("changes must be a DataFrame with 'eval_id' and 'after' columns (see policy_changes()).")
    if not isinstance(day, pd.DataFrame) or not {"eval_id", "gold", "status", "answer", "refused"} <= set(day.columns):
        raise InputTypeError("day must be the DataFrame returned by traffic.run_day() (it has eval_id, gold and status).")
    new_gold = dict(zip(changes["eval_id"], changes["after"]))
    out = day.copy()
    hit = out["eval_id"].isin(new_gold) & (out["status"] != "error")
    for i in out.index[hit]:
        row = out.loc[i]
        request = {"should_answer": bool(row["should_answer"]), "gold": new_gold[row["eval_id"]]}
        reply = {"refused": bool(row["refused"]), "route": row.get("route"), "answer": str(row["answer"] or "")}
        out.at[i, "gold"] = request["gold"]
        out.at[i, "status"] = status_of(request, reply)
        out.at[i, "handled_correctly"] = out.at[i, "status"] in ("correct", "right refusal")
    out["handled_correctly"] = out["handled_correctly"].astype(bool)
    return out
