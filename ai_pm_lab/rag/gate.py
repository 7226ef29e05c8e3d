"""The answerability gate: should the assistant answer this question from its knowledge base, or say "I don't know"?

A logistic regression over signals that mean the same thing on any knowledge base (how close the best chunk is, how far
ahead of the runner-up, how many of the question's key terms the retrieved text contains, and optionally the local
model's own yes/no verdict), trained on labelled questions, with a cutoff chosen as an operating point."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab.errors import require_number, require_text
from ai_pm_lab.evaluation.harness import run_harness
from ai_pm_lab.evaluation.stats import Rate, rate
from ai_pm_lab.tables import returns_course_table
from ai_pm_lab.text import content_words
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.llm.local import tokenize
from ai_pm_lab.datafiles import data_text
from ai_pm_lab.evaluation.stats import as_labels, as_probabilities

GATE_FILE = "rag/gate.json"
SIGNALS = {
    "top_score": "similarity of the best-matching chunk (cosine, 0-1)",
    "margin": "how far the best chunk is ahead of the second (cosine difference)",
    "term_overlap": "share of the question's key terms that appear in the top 3 chunks",
    "model_yes": "the local model's probability that the retrieved text answers the question (one next-token call)",
}
FAST_SIGNALS = ("top_score", "margin", "term_overlap")
ALL_SIGNALS = tuple(SIGNALS)
CONTEXT_CHUNKS = 3
MAX_FALSE_REFUSAL = 0.10
YES_NO_PROMPT = (
    "<|im_start|>user\n{context}\n\nQuestion: {question}\n"
    "Does the text above contain the answer to the question? Reply yes or no.<|im_end|>\n<|im_start|>assistant\n"
)


# Words that shape a question but name nothing a document could contain ("how much", "how long", "what do I get").
QUESTION_FILLER = frozenset("much many long get take taken given need needed use used make made way thing kind able "
                            "happen happens".split())


def key_terms(text: str) -> set[str]:
    """The words of a text that carry its meaning (ai_pm_lab.text.content_words: stop words dropped, plurals
    stemmed), without question filler such as 'much' or 'long'."""
    return set(content_words(require_text(text, "text", allow_empty=True))) - QUESTION_FILLER


def term_overlap(question: str, context: str) -> float:
    """Share of the question's key terms found in the context (1.0 when the question has none)."""
    q = key_terms(question)
    if not q:
        return 1.0
    return len(q & key_terms(context)) / len(q)


def model_yes_probability(question: str, context: str) -> float:
    """The local model's P(yes) / (P(yes) + P(no)) that the context answers the question (one forward pass)."""

    dist = next_token_distribution(YES_NO_PROMPT.format(context=context, question=question.strip()))
    p = dist.probs()

    yes = sum(float(p[tokenize(w)[0]]) for w in ("yes", "Yes"))
    no = sum(float(p[tokenize(w)[0]]) for w in ("no", "No"))
    return yes / (yes + no) if yes + no > 0 else 0.5


def _ranked_hits(pipeline, question: str, hits=None) -> list:
    """At least CONTEXT_CHUNKS hits in rank order: the given ones if enough, else a fresh search."""
    if hits is not None and len(hits) >= min(CONTEXT_CHUNKS, len(pipeline.chunks)):
        return sorted(hits, key=lambda h: h.rank)
    return pipeline.search_only(question, min(CONTEXT_CHUNKS, len(pipeline.chunks)))


def compute_signals(pipeline, question: str, signals=ALL_SIGNALS, hits=None) -> dict:
    """The gate's signals for one question on one pipeline (a dict of signal name → value)."""
    require_text(question, "question")
    unknown = [s for s in signals if s not in SIGNALS]
    if unknown:
        raise ValueError(f"Unknown signal(s) {unknown}: choose from {', '.join(SIGNALS)}.")
    ranked = _ranked_hits(pipeline, question, hits)[:CONTEXT_CHUNKS]
    top = ranked[0].score if ranked else 0.0
    out = {}
    if "top_score" in signals:
        out["top_score"] = float(top)
    if "margin" in signals:
        out["margin"] = float(top - ranked[1].score) if len(ranked) > 1 else float(top)
    context = "\n\n".join(f"{h.chunk.title}\n{h.chunk.text}" for h in ranked)
    if "term_overlap" in signals:
        out["term_overlap"] = term_overlap(question, context)
    if "model_yes" in signals:
        out["model_yes"] = model_yes_probability(question, "\n\n".join(h.chunk.text for h in ranked))
    return out


def _answerable(row: dict, i: int) -> bool:
    if not isinstance(row, dict) or "question" not in row:
        raise TypeError(f"labelled row {i} must be a dict with a 'question' and an 'answerable' (True/False) field.")
    if "answerable" in row and row["answerable"] is not None:
        value = row["answerable"]
    elif "doc_ids" in row:
        value = bool(row["doc_ids"])
    else:
        raise ValueError(f"labelled row {i} ({row['question']!r}) has no 'answerable' field: add answerable=True or False.")
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"labelled row {i}: answerable must be True or False, not {value!r}.")
    return bool(value)


@returns_course_table
def signal_table(pipeline, rows, signals=ALL_SIGNALS, *, progress: bool = True) -> pd.DataFrame:
    """One row per labelled question: id, question, answerable, and each signal (computed through run_harness)."""
    rows = list(rows)
    items = [{"id": r.get("id", f"row{i}"), "question": r["question"], "answerable": _answerable(r, i)}
             for i, r in enumerate(rows)]
    df = run_harness(items, lambda item: compute_signals(pipeline, item["question"], signals),
                     desc="Gate signals", progress=progress)
    failed = df[df["error"].notna()]
    if len(failed):
        raise ValueError(f"Signals failed on {len(failed)} question(s), first: {failed.iloc[0]['error']}")
    return df.drop(columns="error")


@dataclass
class GateDecision:
    """The gate's verdict on one question: probability it is answerable, the cutoff, and the signals behind it."""

    probability: float
    cutoff: float
    signals: dict

    @property
    def answer(self) -> bool:
        """True when the gate lets the question through to the model."""
        return self.probability >= self.cutoff


@dataclass
class Gate:
    """A trained answerability gate: signal names, standardisation, logistic-regression weights and a cutoff."""

    signals: tuple
    mean: list
    scale: list
    coef: list
    intercept: float
    cutoff: float
    trained: str = ""
    trained_on: str = ""
    n_train: int = 0
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.signals = tuple(self.signals)
        unknown = [s for s in self.signals if s not in SIGNALS]
        if unknown:
            raise ValueError(f"Unknown signal(s) {unknown}: choose from {', '.join(SIGNALS)}.")
        if not (len(self.mean) == len(self.scale) == len(self.coef) == len(self.signals)):
            raise ValueError("A gate needs one mean, scale and weight per signal.")
        self.cutoff = float(require_number(self.cutoff, "cutoff", low=0.0, high=1.0))

    def __repr__(self) -> str:
        weights = ", ".join(f"{s} {w:+.2f}" for s, w in zip(self.signals, self.coef))
        return (f"Gate(answers when P(answerable) ≥ {self.cutoff:.2f}; weights per standard deviation: {weights}; "
                f"trained {self.trained or 'now'} on {self.n_train} {self.trained_on or 'labelled questions'})")

    @property
    def uses_model(self) -> bool:
        """Whether the gate calls the local model (the yes/no signal) on every question."""
        return "model_yes" in self.signals

    @returns_course_table
    def weights(self) -> pd.DataFrame:
        """Each signal's weight (per standard deviation of the signal) and what it measures."""
        return pd.DataFrame({"signal": self.signals, "weight": self.coef,
                             "meaning": [SIGNALS[s] for s in self.signals]})

    # -- scoring ------------------------------------------------------------------------------------------------------
    def probability(self, signals) -> np.ndarray | float:
        """P(answerable) for one dict of signals (a float) or a DataFrame with one column per signal (an array)."""
        from scipy.special import expit

        single = isinstance(signals, dict)
        frame = pd.DataFrame([signals]) if single else signals
        if not isinstance(frame, pd.DataFrame):
            raise TypeError("signals must be a dict of signal values or a DataFrame with one column per signal.")
        missing = [s for s in self.signals if s not in frame.columns]
        if missing:
            raise ValueError(f"Missing signal(s) {missing}: compute them with compute_signals/signal_table first.")
        x = frame[list(self.signals)].to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise ValueError("A signal value is missing or not finite: recompute the signals.")
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        p = expit(z)
        return float(p[0]) if single else p

    def decide(self, pipeline, question: str, hits=None) -> GateDecision:
        """The gate's verdict on a question for a pipeline (uses the hits it already retrieved when there are enough)."""
        values = compute_signals(pipeline, question, self.signals, hits)
        return GateDecision(self.probability(values), self.cutoff, values)

    def at(self, cutoff: float) -> "Gate":
        """The same gate with another cutoff (another operating point)."""
        data = self.to_dict()
        data["cutoff"] = float(require_number(cutoff, "cutoff", low=0.0, high=1.0))
        return Gate(**data)

    # -- training -----------------------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, pipeline, labelled_rows, *, signals=FAST_SIGNALS, max_false_refusal: float = MAX_FALSE_REFUSAL,
            progress: bool = True, trained_on: str = "labelled questions") -> "Gate":
        """Train a gate on your own labelled questions (dicts with 'question' and 'answerable' True/False), choosing
        the cutoff that refuses the most unanswerable questions while refusing at most max_false_refusal of answerable
        ones (measured cross-validated on the rows)."""
        table = signal_table(pipeline, labelled_rows, signals, progress=progress)
        return cls.fit_table(table, signals=signals, max_false_refusal=max_false_refusal, trained_on=trained_on)

    @classmethod
    def fit_table(cls, table: pd.DataFrame, *, signals=FAST_SIGNALS, max_false_refusal: float = MAX_FALSE_REFUSAL,
                  trained_on: str = "labelled questions", seed: int = 0) -> "Gate":
        """Train a gate on a signal table (from signal_table) without recomputing signals."""
        signals = tuple(signals)
        max_false_refusal = float(require_number(max_false_refusal, "max_false_refusal", low=0.0, high=1.0))
        x, y = _xy(table, signals)
        model = _model().fit(x, y)
        scaler, lr = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
        oof = out_of_fold_probabilities(table, signals, seed=seed)
        cutoff = choose_cutoff(y, oof, max_false_refusal)
        return cls(signals, scaler.mean_.tolist(), scaler.scale_.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]),
                   cutoff, date.today().isoformat(), trained_on, int(len(y)),
                   {"max_false_refusal": max_false_refusal, "cutoff_chosen_on": "cross-validated training probabilities"})

    # -- files --------------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The gate as plain data (what gate.json stores)."""
        return {"signals": list(self.signals), "mean": list(self.mean), "scale": list(self.scale), "coef": list(self.coef),
                "intercept": self.intercept, "cutoff": self.cutoff, "trained": self.trained, "trained_on": self.trained_on,
                "n_train": self.n_train, "notes": dict(self.notes)}

    def save(self, path) -> Path:
        """Write the gate as JSON (to ship it, or to keep a retrained one)."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path=None, variant: str | None = None) -> "Gate":
        """A saved gate: a file written by save(), or (no path) the course's shipped gate (variant 'fast' or
        'with_model'; default: the file's default)."""
        if path is None:

            data = json.loads(data_text(GATE_FILE))
        else:
            p = Path(path)
            if not p.is_file():
                raise ValueError(f"No gate file at {p}: train one with Gate.fit(pipeline, rows) and .save(path).")
            data = json.loads(p.read_text(encoding="utf-8"))
        if "gates" in data:
            name = variant or data["default"]
            if name not in data["gates"]:
                raise ValueError(f"No gate variant {name!r}: choose one of {', '.join(data['gates'])}.")
            data = data["gates"][name]
        elif variant is not None:
            raise ValueError("This gate file holds a single gate: leave variant out.")
        fields = {k: data[k] for k in ("signals", "mean", "scale", "coef", "intercept", "cutoff", "trained", "trained_on",
                                       "n_train", "notes") if k in data}
        return cls(**fields)


def default_gate() -> Gate | None:
    """The shipped gate (ai_pm_lab/data/rag/gate.json), or None if the file is missing."""
    try:
        return Gate.load()
    except FileNotFoundError:
        return None


def _model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000))


def _xy(table: pd.DataFrame, signals) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(table, pd.DataFrame):
        raise TypeError("table must be the DataFrame from signal_table(...).")
    missing = [s for s in (*signals, "answerable") if s not in table.columns]
    if missing:
        raise ValueError(f"The signal table lacks column(s) {missing}: build it with signal_table(pipeline, rows, signals).")
    y = table["answerable"].astype(bool).to_numpy().astype(int)
    if len(y) < 10 or y.sum() < 3 or (1 - y).sum() < 3:
        raise ValueError(f"Training a gate needs at least 10 labelled questions with 3 or more of each kind "
                         f"(you have {int(y.sum())} answerable and {int((1 - y).sum())} unanswerable): label more.")
    return table[list(signals)].to_numpy(dtype=float), y


def out_of_fold_probabilities(table: pd.DataFrame, signals=FAST_SIGNALS, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """P(answerable) for every row from a model that never saw that row (stratified k-fold cross-validation)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x, y = _xy(table, tuple(signals))
    folds = int(min(folds, y.sum(), (1 - y).sum()))
    cv = StratifiedKFold(n_splits=max(2, folds), shuffle=True, random_state=seed)
    return cross_val_predict(_model(), x, y, cv=cv, method="predict_proba")[:, 1]


def choose_cutoff(answerable, probabilities, max_false_refusal: float = MAX_FALSE_REFUSAL) -> float:
    """The highest cutoff (refuse when P(answerable) < cutoff) that refuses at most max_false_refusal of the
    answerable questions: it catches as many unanswerable ones as that budget allows."""

    y = as_labels(answerable, "answerable")
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise ValueError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    pa = np.sort(p[y == 1])
    if pa.size == 0:
        raise ValueError("No answerable questions among the labels: the false-refusal budget cannot be measured.")
    allowed = int(np.floor(max_false_refusal * pa.size + 1e-9))  # answerable questions we may refuse
    # refusing exactly the `allowed` lowest answerable scores: cut just above the highest of them, below the next one
    return float(pa[allowed]) if allowed < pa.size else 1.0


def operating_point(answerable, probabilities, cutoff: float) -> dict:
    """What a cutoff does: share of unanswerable questions refused and share of answerable ones wrongly refused,
    each a Rate with its Wilson 95% interval."""

    y = as_labels(answerable, "answerable").astype(bool)
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise ValueError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    cutoff = float(require_number(cutoff, "cutoff", low=0.0, high=1.0))
    refused = p < cutoff
    if y.all() or not y.any():
        raise ValueError("operating_point needs both answerable and unanswerable questions.")
    return {"cutoff": cutoff,
            "unanswerable_refused": rate(refused[~y], name="refusals of unanswerable questions"),
            "false_refusals": rate(refused[y], name="refusals of answerable questions")}


def meets_target(point: dict, *, refused_at_least: float = 0.5, false_refusals_at_most: float = MAX_FALSE_REFUSAL) -> bool:
    """Whether an operating point reaches the target (point estimates): enough unanswerable refused, few false refusals."""
    u: Rate = point["unanswerable_refused"]
    f: Rate = point["false_refusals"]
    return u.rate >= refused_at_least and f.rate <= false_refusals_at_most


@returns_course_table
def trade_off_curve(answerable, probabilities) -> pd.DataFrame:
    """Every distinct cutoff with the share of unanswerable refused and of answerable wrongly refused (an ROC curve
    read as a PM would: what you catch vs what it costs)."""
    from sklearn.metrics import roc_curve


    y = as_labels(answerable, "answerable")
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise ValueError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    # positive class = unanswerable, score = 1 - P(answerable): roc_curve's TPR is "unanswerable refused"
    fpr, tpr, thr = roc_curve(1 - y, 1 - p, drop_intermediate=False)
    cut = np.clip(1 - thr, 0.0, 1.0)
    return pd.DataFrame({"cutoff": cut, "unanswerable_refused": tpr, "false_refusals": fpr}).iloc[1:].reset_index(drop=True)


def held_out_split(rows, *, test_size: float = 0.4, seed: int = 0) -> tuple[list, list]:
    """A stratified train/test split of labelled questions (answerable and unanswerable in the same proportions)."""
    from sklearn.model_selection import train_test_split

    rows = list(rows)
    labels = [_answerable(r, i) for i, r in enumerate(rows)]
    train, test = train_test_split(rows, test_size=test_size, stratify=labels, random_state=seed)
    return list(train), list(test)


@returns_course_table
def cross_validated_gate(table: pd.DataFrame, signals=FAST_SIGNALS, *, folds: int = 5, seed: int = 0,
                         max_false_refusal: float = MAX_FALSE_REFUSAL) -> pd.DataFrame:
    """Nested cross-validation of the whole recipe (fit + choose the cutoff inside each training fold): one row per
    question with its out-of-fold probability, the fold's cutoff and whether the gate refused it."""
    from sklearn.model_selection import StratifiedKFold

    signals = tuple(signals)
    x, y = _xy(table, signals)
    folds = int(min(folds, y.sum(), (1 - y).sum()))
    cv = StratifiedKFold(n_splits=max(2, folds), shuffle=True, random_state=seed)
    out = table[["id", "question", "answerable"]].copy() if "id" in table.columns else table[["question", "answerable"]].copy()
    out["probability"], out["cutoff"], out["fold"] = np.nan, np.nan, -1
    for k, (tr, te) in enumerate(cv.split(x, y)):
        gate = Gate.fit_table(table.iloc[tr], signals=signals, max_false_refusal=max_false_refusal, seed=seed)
        p = gate.probability(table.iloc[te])
        out.iloc[te, out.columns.get_loc("probability")] = p
        out.iloc[te, out.columns.get_loc("cutoff")] = gate.cutoff
        out.iloc[te, out.columns.get_loc("fold")] = k
    out["refused"] = out["probability"] < out["cutoff"]
    return out


def gate_split() -> dict:
    """The train/test split the shipped gate was trained and measured on: {'train_ids', 'test_ids', 'test_size', 'seed'}."""

    return dict(json.loads(data_text(GATE_FILE))["split"])
