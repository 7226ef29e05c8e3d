"""The answerability gate: should the assistant answer this question from its knowledge base, or say "I don't know"?

A logistic regression over signals meant to read the same on any knowledge base: how the best chunk's similarity
compares with the base's own typical similarities (a z-score, computed from the documents, no labels needed), how far
the best chunk is ahead of the runner-up, how many of the question's key terms the retrieved text contains, and
optionally the local model's own yes/no verdict. It is trained on labelled questions from several support bases and
measured leave-one-base-out: trained on the others, tested on a base it never saw, because one base alone teaches a
gate that base's habits."""
from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab import embeddings
from ai_pm_lab.datafiles import data_path, data_text
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.harness import run_harness
from ai_pm_lab.evaluation.stats import Rate, as_labels, as_probabilities, pick_threshold, rate, roc_table
from ai_pm_lab.llm.local import tokenize
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.tables import returns_course_table
from ai_pm_lab.text import STOPWORDS, words

GATE_FILE = "rag/gate.json"
SIGNALS = {
    "top_score": "similarity of the best-matching chunk (cosine, 0-1)",
    "top_score_z": "the best chunk's similarity in standard deviations above this base's typical chunk-to-chunk "
                   "similarity (computed from the documents, no labels)",
    "margin": "how far the best chunk is ahead of the second (cosine difference)",
    "term_overlap": "share of the question's key terms (word stems) that appear in the top 3 chunks",
    "model_yes": "the local model's probability that the retrieved text answers the question (one next-token call)",
}
FAST_SIGNALS = ("top_score_z", "margin", "term_overlap")
ALL_SIGNALS = tuple(SIGNALS)
CONTEXT_CHUNKS = 3
# The false-refusal budget a gate is trained to: below the 15% target on a new base, leaving room for the spread
# from one base to the next (measured leave-one-base-out by tools/train_gate.py).
MAX_FALSE_REFUSAL = 0.08
TARGET_REFUSED = 0.60            # on every base left out of training: at least this share of unanswerable refused
TARGET_FALSE_REFUSALS = 0.15     # ... and at most this share of answerable questions refused
MIN_SIMILARITY_SPREAD = 0.05     # floor for a base's similarity spread (a base of one or two chunks has none)
YES_NO_PROMPT = (
    "<|im_start|>user\n{context}\n\nQuestion: {question}\n"
    "Does the text above contain the answer to the question? Reply yes or no.<|im_end|>\n<|im_start|>assistant\n"
)

# The support knowledge bases the shipped gate is trained and measured on: name -> (documents, labelled questions,
# what it is). Datasheet: docs/datasheet_kb.md.
BASES = {
    "tidewell": ("rag/kb", "rag/kb_eval.jsonl", "B2B scheduling SaaS help centre (the course's own base)"),
    "quillmark": ("rag/bases/quillmark/docs", "rag/bases/quillmark/eval.jsonl",
                  "B2B e-signature admin help centre: long pages, tables"),
    "harbourlane": ("rag/bases/harbourlane/docs", "rag/bases/harbourlane/eval.jsonl",
                    "vet clinic FAQ: short terse pages, casual questions with typos"),
    "spokeshare": ("rag/bases/spokeshare/docs", "rag/bases/spokeshare/eval.jsonl",
                   "city bike-share help: Q&A pages, multi-part questions"),
}
BUNDLED_BASE = "tidewell"

# Words that shape a question but name nothing a document could contain ("how much", "how long", "what do I get").
QUESTION_FILLER = frozenset("much many long get take taken given need needed use used make made way thing kind able "
                            "happen happens".split())


def _stemmer():
    import snowballstemmer  # small pure-Python library, loaded on first use

    return snowballstemmer.stemmer("english")


_STEM = None


def key_terms(text: str) -> set[str]:
    """The word stems of a text that carry its meaning: stop words and question filler ('much', 'long') dropped, a
    possessive 's removed, each word reduced to its English stem (Snowball), so 'vaccines' meets 'vaccinations'."""
    global _STEM
    if _STEM is None:
        _STEM = _stemmer()
    found = set()
    for w in words(require_text(text, "text", allow_empty=True)):
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) > 1 and w not in STOPWORDS and w not in QUESTION_FILLER:
            found.add(_STEM.stemWord(w))
    return found


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


_SCALES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def similarity_scale(pipeline) -> tuple[float, float]:
    """(mean, spread) of this base's typical similarity: each chunk's cosine with its nearest other chunk, from the
    pipeline's own vectors (no labels, computed once per pipeline). A question's best score is read against it."""
    chunks = pipeline.chunks
    vectors = getattr(pipeline, "vectors", None)
    try:
        cached = _SCALES.get(pipeline)
    except TypeError:  # a pipeline stand-in that cannot be weakly referenced: compute every time
        cached = None
    if cached is not None and cached[0] is vectors and cached[1] == len(chunks):
        return cached[2]
    v = np.asarray(vectors if vectors is not None else embeddings.embed([c.text for c in chunks]), dtype=np.float32)
    v = v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
    if len(v) < 2:
        scale = (0.0, 1.0)
    else:
        nearest = np.empty(len(v), dtype=np.float32)
        for start in range(0, len(v), 1024):  # blocks keep memory small on a big base
            sims = v[start:start + 1024] @ v.T
            sims[np.arange(sims.shape[0]), np.arange(start, start + sims.shape[0])] = -np.inf  # not itself
            nearest[start:start + 1024] = sims.max(axis=1)
        scale = (float(nearest.mean()), max(float(nearest.std()), MIN_SIMILARITY_SPREAD))
    try:
        _SCALES[pipeline] = (vectors, len(chunks), scale)
    except TypeError:
        pass
    return scale


def _ranked_hits(pipeline, question: str, hits=None) -> list:
    """At least CONTEXT_CHUNKS hits in rank order: the given ones if enough, else a fresh search."""
    if hits is not None and len(hits) >= min(CONTEXT_CHUNKS, len(pipeline.chunks)):
        return sorted(hits, key=lambda h: h.rank)
    return pipeline.search_only(question, min(CONTEXT_CHUNKS, len(pipeline.chunks)))


def _check_signals(signals) -> tuple:
    if isinstance(signals, str):
        signals = (signals,)
    signals = tuple(signals)
    unknown = [s for s in signals if s not in SIGNALS]
    if unknown:
        raise InputError(f"Unknown signal(s) {unknown}: choose from {', '.join(SIGNALS)}.")
    return signals


def compute_signals(pipeline, question: str, signals=ALL_SIGNALS, hits=None) -> dict:
    """The gate's signals for one question on one pipeline (a dict of signal name → value)."""
    require_text(question, "question")
    signals = _check_signals(signals)
    ranked = _ranked_hits(pipeline, question, hits)[:CONTEXT_CHUNKS]
    top = ranked[0].score if ranked else 0.0
    out = {}
    if "top_score" in signals:
        out["top_score"] = float(top)
    if "top_score_z" in signals:
        mean, spread = similarity_scale(pipeline)
        out["top_score_z"] = float((top - mean) / spread)
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
        raise InputTypeError(f"labelled row {i} must be a dict with a 'question' and an 'answerable' (True/False) field.")
    if "answerable" in row and row["answerable"] is not None:
        value = row["answerable"]
    elif "doc_ids" in row:
        value = bool(row["doc_ids"])
    else:
        raise InputError(f"labelled row {i} ({row['question']!r}) has no 'answerable' field: add answerable=True or False.")
    if not isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"labelled row {i}: answerable must be True or False, not {value!r}.")
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
        raise InputError(f"Signals failed on {len(failed)} question(s), first: {failed.iloc[0]['error']}")
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
        self.signals = _check_signals(self.signals)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == len(self.signals)):
            raise InputError("A gate needs one mean, scale and weight per signal.")
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
            raise InputTypeError("signals must be a dict of signal values or a DataFrame with one column per signal.")
        missing = [s for s in self.signals if s not in frame.columns]
        if missing:
            raise InputError(f"Missing signal(s) {missing}: compute them with compute_signals/signal_table first.")
        x = frame[list(self.signals)].to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise InputError("A signal value is missing or not finite: recompute the signals.")
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
        """Train a gate on a signal table (from signal_table, or base_signal_table for several bases) without
        recomputing signals. The cutoff is chosen on out-of-fold probabilities: leave-one-base-out when the table has
        a 'base' column with two or more bases (so it is chosen on bases the model did not see), else k-fold."""
        signals = _check_signals(signals)
        max_false_refusal = float(require_number(max_false_refusal, "max_false_refusal", low=0.0, high=1.0))
        x, y = _xy(table, signals)
        model = _model().fit(x, y)
        scaler, lr = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
        oof = out_of_fold_probabilities(table, signals, seed=seed)
        cutoff = choose_cutoff(y, oof, max_false_refusal)
        by_base = _n_bases(table) >= 2
        chosen_on = (f"leave-one-base-out probabilities over {_n_bases(table)} bases" if by_base
                     else "cross-validated training probabilities")
        notes = {"max_false_refusal": max_false_refusal, "cutoff_chosen_on": chosen_on}
        if by_base:
            notes["bases"] = sorted(map(str, table["base"].unique()))
        return cls(signals, scaler.mean_.tolist(), scaler.scale_.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]),
                   cutoff, date.today().isoformat(), trained_on, int(len(y)), notes)

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
        """A saved gate: a file written by save(), or (no path) the course's shipped gate (a file may hold several
        variants by name; default: the file's default, 'fast')."""
        if path is None:

            data = json.loads(data_text(GATE_FILE))
        else:
            p = Path(path)
            if not p.is_file():
                raise InputError(f"No gate file at {p}: train one with Gate.fit(pipeline, rows) and .save(path).")
            data = json.loads(p.read_text(encoding="utf-8"))
        if "gates" in data:
            name = variant or data["default"]
            if name not in data["gates"]:
                raise InputError(f"No gate variant {name!r}: choose one of {', '.join(data['gates'])}.")
            data = data["gates"][name]
        elif variant is not None:
            raise InputError("This gate file holds a single gate: leave variant out.")
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
        raise InputTypeError("table must be the DataFrame from signal_table(...).")
    missing = [s for s in (*signals, "answerable") if s not in table.columns]
    if missing:
        raise InputError(f"The signal table lacks column(s) {missing}: build it with signal_table(pipeline, rows, signals).")
    y = table["answerable"].astype(bool).to_numpy().astype(int)
    if len(y) < 10 or y.sum() < 3 or (1 - y).sum() < 3:
        raise InputError(f"Training a gate needs at least 10 labelled questions with 3 or more of each kind "
                         f"(you have {int(y.sum())} answerable and {int((1 - y).sum())} unanswerable): label more.")
    return table[list(signals)].to_numpy(dtype=float), y


def _n_bases(table: pd.DataFrame) -> int:
    return int(table["base"].nunique()) if "base" in table.columns else 0


def out_of_fold_probabilities(table: pd.DataFrame, signals=FAST_SIGNALS, *, folds: int = 5, seed: int = 0,
                              by_base: bool | None = None) -> np.ndarray:
    """P(answerable) for every row from a model that never saw that row: leave-one-base-out when the table has a
    'base' column with two or more bases (by_base=None decides so; True/False forces it), else stratified k-fold."""
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict

    x, y = _xy(table, _check_signals(signals))
    if by_base is None:
        by_base = _n_bases(table) >= 2
    if by_base:
        if _n_bases(table) < 2:
            raise InputError("Leave-one-base-out needs a 'base' column naming at least two knowledge bases: "
                             "build the table with base_signal_table(...).")
        groups = table["base"].astype(str).to_numpy()
        return cross_val_predict(_model(), x, y, groups=groups, cv=LeaveOneGroupOut(), method="predict_proba")[:, 1]
    folds = int(min(folds, y.sum(), (1 - y).sum()))
    cv = StratifiedKFold(n_splits=max(2, folds), shuffle=True, random_state=seed)
    return cross_val_predict(_model(), x, y, cv=cv, method="predict_proba")[:, 1]


def choose_cutoff(answerable, probabilities, max_false_refusal: float = MAX_FALSE_REFUSAL) -> float:
    """The highest cutoff (refuse when P(answerable) < cutoff) that refuses at most max_false_refusal of the
    answerable questions: it catches as many unanswerable ones as that budget allows (stats.pick_threshold)."""
    y = as_labels(answerable, "answerable")
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise InputError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    if not y.any():
        raise InputError("No answerable questions among the labels: the false-refusal budget cannot be measured.")
    budget = float(require_number(max_false_refusal, "max_false_refusal", low=0.0, high=1.0))
    return pick_threshold(p[y == 1], max_lost=budget, ceiling=1.0)


def operating_point(answerable, probabilities, cutoff: float) -> dict:
    """What a cutoff does: share of unanswerable questions refused and share of answerable ones wrongly refused,
    each a Rate with its Wilson 95% interval."""

    y = as_labels(answerable, "answerable").astype(bool)
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise InputError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    cutoff = float(require_number(cutoff, "cutoff", low=0.0, high=1.0))
    refused = p < cutoff
    if y.all() or not y.any():
        raise InputError("operating_point needs both answerable and unanswerable questions.")
    return {"cutoff": cutoff,
            "unanswerable_refused": rate(refused[~y], name="refusals of unanswerable questions"),
            "false_refusals": rate(refused[y], name="refusals of answerable questions")}


def meets_target(point: dict, *, refused_at_least: float = TARGET_REFUSED,
                 false_refusals_at_most: float = TARGET_FALSE_REFUSALS) -> bool:
    """Whether an operating point reaches the target (point estimates): enough unanswerable refused, few false refusals."""
    u: Rate = point["unanswerable_refused"]
    f: Rate = point["false_refusals"]
    return u.rate >= refused_at_least and f.rate <= false_refusals_at_most


@returns_course_table
def trade_off_curve(answerable, probabilities) -> pd.DataFrame:
    """Every distinct cutoff with the share of unanswerable refused and of answerable wrongly refused (an ROC curve
    read as a PM would: what you catch vs what it costs; stats.roc_table)."""
    y = as_labels(answerable, "answerable")
    p = as_probabilities(probabilities, "probabilities")
    if len(y) != len(p):
        raise InputError(f"answerable has {len(y)} values and probabilities has {len(p)}: one each, please.")
    # positive = unanswerable, score = 1 - P(answerable): the true-positive rate is "unanswerable refused"
    roc = roc_table(1 - y, 1 - p)
    return pd.DataFrame({"cutoff": np.clip(1 - roc["threshold"], 0.0, 1.0), "unanswerable_refused": roc["tpr"],
                         "false_refusals": roc["fpr"]})


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

    signals = _check_signals(signals)
    x, y = _xy(table, signals)
    folds = int(min(folds, y.sum(), (1 - y).sum()))
    cv = StratifiedKFold(n_splits=max(2, folds), shuffle=True, random_state=seed)
    keep = [c for c in ("base", "id", "question", "answerable") if c in table.columns]
    out = table[keep].copy()
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
    """The Tidewell train/test split of the shipped gate: {'train_ids', 'test_ids', 'test_size', 'seed'} (the test
    questions were never used to train it)."""

    return dict(json.loads(data_text(GATE_FILE))["split"])


# -- several knowledge bases -----------------------------------------------------------------------------------------
def _base(name: str) -> tuple:
    if not isinstance(name, str) or name not in BASES:
        raise InputError(f"No bundled knowledge base named {name!r}: choose one of {', '.join(BASES)}.")
    return BASES[name]


def base_folder(name: str) -> str:
    """The folder of a bundled support knowledge base (one of BASES), for RAGPipeline(folder)."""
    return str(data_path(_base(name)[0]))


def base_questions(name: str) -> list[dict]:
    """The labelled questions of a bundled knowledge base (id, question, doc_ids, answer, answerable, conflict)."""
    rows = []
    for n, line in enumerate(data_text(_base(name)[1]).splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            row.setdefault("answerable", bool(row.get("doc_ids")))
            rows.append(row)
    return rows


@returns_course_table
def base_signal_table(pipelines: dict, signals=FAST_SIGNALS, *, rows: dict | None = None,
                      progress: bool = True) -> pd.DataFrame:
    """signal_table for several knowledge bases in one table with a 'base' column. pipelines maps a base name to its
    RAGPipeline (built with gate=None); each base's labelled questions are base_questions(name) unless rows[name]
    gives others."""
    if not isinstance(pipelines, dict) or not pipelines:
        raise InputTypeError("pipelines must be a dict of base name -> RAGPipeline, e.g. "
                             "{name: RAGPipeline(base_folder(name), gate=None) for name in BASES}.")
    rows = rows or {}
    parts = []
    for name, pipeline in pipelines.items():
        questions = rows[name] if name in rows else base_questions(name)
        part = signal_table(pipeline, questions, signals, progress=progress)
        part.insert(0, "base", name)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@returns_course_table
def leave_one_base_out(table: pd.DataFrame, signals=FAST_SIGNALS, *,
                       max_false_refusal: float = MAX_FALSE_REFUSAL) -> pd.DataFrame:
    """The whole recipe tested on bases it never saw: for each base, a gate is fitted on the other bases only (its
    cutoff chosen leave-one-base-out among them) and decides that base's questions. One row per question with
    base, probability, cutoff and refused."""
    signals = _check_signals(signals)
    if _n_bases(table) < 3:
        raise InputError("Leave-one-base-out needs a table with a 'base' column naming at least 3 knowledge bases "
                         "(each left out in turn, the cutoff chosen on the others): build it with base_signal_table.")
    _xy(table, signals)
    keep = [c for c in ("base", "id", "question", "answerable") if c in table.columns]
    out = table[keep].copy()
    out["probability"], out["cutoff"] = np.nan, np.nan
    for name in pd.unique(table["base"]):
        held = (table["base"] == name).to_numpy()
        gate = Gate.fit_table(table[~held], signals=signals, max_false_refusal=max_false_refusal,
                              trained_on=f"every base but {name}")
        out.loc[held, "probability"] = gate.probability(table[held])
        out.loc[held, "cutoff"] = gate.cutoff
    out["refused"] = out["probability"] < out["cutoff"]
    return out


@returns_course_table
def refusal_summary(decisions: pd.DataFrame, *, by: str = "base") -> pd.DataFrame:
    """Per group (default: per base) of a decisions table (answerable, refused): answerable and unanswerable
    counts, unanswerable refused and answerable wrongly refused (Rates with Wilson 95% CIs), and whether each
    target is met (TARGET_REFUSED, TARGET_FALSE_REFUSALS; point estimates)."""
    missing = [c for c in (by, "answerable", "refused") if c not in decisions.columns]
    if missing:
        raise InputError(f"The decisions table lacks column(s) {missing}: use leave_one_base_out(...) or "
                         "cross_validated_gate(...) output.")
    out = []
    for name, part in decisions.groupby(by, sort=False):
        y = part["answerable"].astype(bool).to_numpy()
        refused = part["refused"].astype(bool).to_numpy()
        if y.all() or not y.any():
            raise InputError(f"{by} {name!r} needs both answerable and unanswerable questions to be measured.")
        u, f = rate(refused[~y]), rate(refused[y])
        out.append({by: name, "answerable": int(y.sum()), "unanswerable": int((~y).sum()),
                    "unanswerable refused": u, "false refusals": f,
                    "refused target met": u.rate >= TARGET_REFUSED, "false-refusal target met": f.rate <= TARGET_FALSE_REFUSALS})
    return pd.DataFrame(out)


@returns_course_table
def transfer_table(table: pd.DataFrame, built_on: str = BUNDLED_BASE, new_base: str = "harbourlane",
                   signals=FAST_SIGNALS, *, max_false_refusal: float = MAX_FALSE_REFUSAL) -> pd.DataFrame:
    """The overfitting check in two rows: a gate built on one base only, measured on that base (cross-validated,
    questions it did not train on) and then on a base it never saw, each with Rates and target flags."""
    signals = _check_signals(signals)
    for name in (built_on, new_base):
        if "base" not in table.columns or name not in set(table["base"]):
            raise InputError(f"The table has no base {name!r}: build it with base_signal_table including that base.")
    home = table[table["base"] == built_on]
    away = table[table["base"] == new_base]
    cv = cross_validated_gate(home.drop(columns="base"), signals, max_false_refusal=max_false_refusal)
    gate = Gate.fit_table(home.drop(columns="base"), signals=signals, max_false_refusal=max_false_refusal)
    rows = [cv.assign(where=f"{built_on} (built on it, cross-validated)")[["where", "answerable", "refused"]],
            pd.DataFrame({"where": f"{new_base} (never seen)", "answerable": away["answerable"].to_numpy(),
                          "refused": gate.probability(away) < gate.cutoff})]
    return refusal_summary(pd.concat(rows, ignore_index=True), by="where")


def targets_met(summary: pd.DataFrame) -> bool:
    """Whether every row of a refusal_summary meets both targets."""
    return bool(summary["refused target met"].all() and summary["false-refusal target met"].all())
