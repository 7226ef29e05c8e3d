"""Working with ML engineers: their vocabulary made visible on the ticket classifier (training vs inference,
hyperparameters, overfitting and underfitting), prompting vs RAG vs fine-tuning, and the better questions to ask."""
from __future__ import annotations

import json
import numbers
import time
from dataclasses import dataclass

from ai_pm_lab.datafiles import data_csv, data_text
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.framing.data_strategy import cross_validation, threads, ticket_data, ticket_model
from ai_pm_lab.tables import returns_course_table

DEFAULT_C = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
SCENARIO_FILE = "framing/scenario_ticket_router.json"


@returns_course_table
def terms():
    """The ML terms table: term, what it means, why a PM cares, where this course shows it."""
    import pandas as pd

    return pd.DataFrame(data_csv("framing/ml_terms.csv"))


@returns_course_table
def approaches():
    """Prompting vs RAG vs fine-tuning as a trade-off table."""
    import pandas as pd

    return pd.DataFrame(data_csv("framing/approaches.csv")).set_index("approach")


# ---------------------------------------------------------------- training vs inference -------------------------------

def training_vs_inference(C: float = 1.0, holdout: float = 0.2, seed: int = 0) -> dict:
    """Fit the ticket classifier on most tickets (training), then label the held-out ones one at a time (inference):
    the measured time of each, and the scores on seen and unseen tickets."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    texts, labels = ticket_data()
    x_train, x_test, y_train, y_test = train_test_split(texts, labels, test_size=holdout, stratify=labels, random_state=seed)
    model = ticket_model(C)
    with threadpool_limits(threads()):
        start = time.perf_counter()
        model.fit(x_train, y_train)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        predicted = [model.predict([t])[0] for t in x_test]
        infer_s = (time.perf_counter() - start) / len(x_test)
        seen = model.predict(x_train)
    return {"training examples": len(x_train), "training time (s)": train_s, "held-out tickets": len(x_test),
            "inference time per ticket (ms)": infer_s * 1000,
            "F1 on tickets it trained on": f1_score(y_train, seen, average="macro"),
            "F1 on held-out tickets": f1_score(y_test, predicted, average="macro")}


# ---------------------------------------------------------------- over- and underfitting ------------------------------

@returns_course_table
def complexity_curve(values=DEFAULT_C, folds: int = 5, seed: int = 0):
    """Train vs held-out F1 of the ticket classifier across its regularisation setting C (small C = a simple,
    cautious model; large C = free to fit every training ticket), via scikit-learn's validation_curve."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import validation_curve
    from threadpoolctl import threadpool_limits

    values = list(values)
    if len(values) < 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0 for v in values):
        raise InputError("values must be at least two positive numbers for C, e.g. (0.01, 0.1, 1, 10).")
    values = sorted(float(v) for v in values)
    texts, labels = ticket_data()
    with threadpool_limits(threads()):
        train, test = validation_curve(ticket_model(), np.array(texts, dtype=object), np.array(labels),
                                       param_name="logisticregression__C", param_range=values,
                                       cv=cross_validation(folds, seed), scoring="f1_macro")
    df = pd.DataFrame({"C": values, "train F1": train.mean(1), "held-out F1": test.mean(1)})
    df["gap"] = df["train F1"] - df["held-out F1"]
    df["diagnosis"] = diagnose_curve(df)
    return df


FLOOR, MAX_GAP, TOLERANCE = 0.6, 0.2, 0.01


def _scores(curve):
    if not hasattr(curve, "columns") or not {"C", "train F1", "held-out F1"} <= set(curve.columns):
        raise InputTypeError("curve must be the DataFrame from complexity_curve() (columns C, train F1, held-out F1).")
    rows = curve.sort_values("C")
    out = []
    for c, train, held in zip(rows["C"], rows["train F1"], rows["held-out F1"]):
        for name, v in (("train F1", train), ("held-out F1", held)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v <= 1:
                raise InputError(f"{name} at C={c!r} must be a score between 0 and 1, not {v!r}.")
        out.append((float(c), float(train), float(held)))
    return rows.index, out


def diagnose_curve(curve, *, floor: float = FLOOR, max_gap: float = MAX_GAP, tol: float = TOLERANCE) -> list[str]:
    """One diagnosis per row of a train vs held-out curve (in the curve's row order), from the measured scores:

    - 'underfitting': below ``floor`` even on the tickets it trained on;
    - 'overfitting': some smaller C scored higher on held-out tickets (by more than ``tol``) with a narrower gap
      between seen and held-out tickets (by more than ``tol``): the extra freedom only bought memorising;
    - 'large gap': seen tickets beat held-out ones by more than ``max_gap``, yet no smaller C does better on held-out
      tickets: the gap comes from too little data, not from this setting;
    - 'good fit': otherwise.
    """
    index, scores = _scores(curve)
    by_row = {}
    for i, (c, train, held) in enumerate(scores):
        gap = train - held
        if train < floor:
            label = "underfitting"
        elif any(h - held > tol and gap - (t - h) > tol for _, t, h in scores[:i] if t >= floor):
            label = "overfitting"
        elif gap > max_gap:
            label = "large gap"
        else:
            label = "good fit"
        by_row[index[i]] = label
    return [by_row[i] for i in curve.index]


FIT_MEANINGS = {
    "underfitting": "too simple: it is wrong even on tickets it has seen",
    "overfitting": "memorising: a simpler setting did better on new tickets, with a smaller gap",
    "large gap": "far better on seen tickets than on new ones, but no simpler setting does better on new ones: "
                 "more labelled data, not a different setting, would close the gap",
    "good fit": "it does about as well on new tickets as on the ones it learned from",
}


def fit_at(curve, C: float) -> dict:
    """One setting of C read off a complexity_curve(): train and held-out F1, their gap, the diagnosis (diagnose_curve)
    and what the diagnosis means in plain words."""
    if not hasattr(curve, "columns") or not {"C", "train F1", "held-out F1"} <= set(curve.columns):
        raise InputTypeError("curve must be the DataFrame from complexity_curve() (columns C, train F1, held-out F1).")
    rows = curve[curve["C"] == C]
    if not len(rows):
        raise InputError(f"C={C!r} is not on the curve: choose one of {', '.join(f'{c:g}' for c in curve['C'])}.")
    train, held_out = float(rows.iloc[0]["train F1"]), float(rows.iloc[0]["held-out F1"])
    upto = curve[curve["C"] <= C]  # a setting's diagnosis reads only the simpler settings and itself
    diagnosis = dict(zip(upto.index, diagnose_curve(upto)))[rows.index[0]]
    return {"C": float(C), "train F1": train, "held-out F1": held_out, "gap": train - held_out,
            "diagnosis": diagnosis, "meaning": FIT_MEANINGS[diagnosis]}


def overfitting_starts(curve, **rule):
    """The smallest C diagnosed 'overfitting' by diagnose_curve (None if no setting is)."""
    labels = diagnose_curve(curve, **rule)
    hits = [float(c) for c, d in zip(curve["C"], labels) if d == "overfitting"]
    return min(hits) if hits else None


def best_setting(curve) -> float:
    """The C with the best held-out F1 (ties go to the simpler model, the smaller C)."""
    best = curve["held-out F1"].max()
    return float(curve[curve["held-out F1"] >= best - 1e-12]["C"].min())


def plot_complexity(curve, chosen: float | None = None, ax=None):
    """Train and held-out F1 across C (log scale), with an optional marker at the chosen setting."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(curve["C"], curve["train F1"], "o--", label="on tickets it trained on")
    ax.plot(curve["C"], curve["held-out F1"], "o-", label="on held-out tickets")
    ax.set_xscale("log")
    ax.set_xlabel("C: how closely the model may fit its training tickets →")
    ax.set_ylabel("F1 (macro)")
    ax.set_ylim(0, 1.05)
    if chosen is not None:
        ax.axvline(chosen, color="grey", lw=1)
    ax.legend(loc="lower right")
    return ax


# ---------------------------------------------------------------- better questions ------------------------------------

@dataclass(frozen=True)
class Scenario:
    """A conversation with an ML engineer: the facts (some of them risks) and the questions you may ask."""

    title: str
    situation: str
    budget: int
    facts: dict
    questions: dict

    @returns_course_table
    def questions_table(self):
        """The questions you can ask: id and text (what each reveals stays hidden until you ask)."""
        import pandas as pd

        return pd.DataFrame([{"id": k, "question": q["text"]} for k, q in self.questions.items()])

    @property
    def risks(self) -> set[str]:
        """Ids of the facts that are real risks to the launch."""
        return {k for k, f in self.facts.items() if f["risk"]}

    def _check_ids(self, question_ids) -> list[str]:
        if isinstance(question_ids, str):
            question_ids = [question_ids]
        try:
            ids = list(question_ids)
        except TypeError:
            raise InputTypeError("question_ids must be a list of question ids such as ['Q2', 'Q4'].") from None
        unknown = [q for q in ids if q not in self.questions]
        if unknown:
            raise InputError(f"Unknown question id(s) {unknown}: choose from {', '.join(self.questions)}.")
        return list(dict.fromkeys(ids))

    def ask(self, question_ids) -> list[dict]:
        """The engineer's answers to the chosen questions (what each question brings to light)."""
        out = []
        for q in self._check_ids(question_ids):
            spec = self.questions[q]
            out.append({"id": q, "question": spec["text"], "answer": spec["answer"], "reveals": list(spec["reveals"])})
        return out

    def evaluate(self, question_ids) -> dict:
        """Which risks the chosen questions uncover, which stay hidden, and whether you kept to the question budget."""
        ids = self._check_ids(question_ids)
        revealed = set().union(*(set(self.questions[q]["reveals"]) for q in ids)) if ids else set()
        uncovered = sorted(revealed & self.risks)
        missed = sorted(self.risks - revealed)
        return {"asked": ids, "within budget": len(ids) <= self.budget, "risks uncovered": uncovered,
                "risks missed": missed, "all risks uncovered": not missed and len(ids) <= self.budget,
                "risk facts": {k: self.facts[k]["text"] for k in uncovered + missed}}


def load_scenario(name: str = SCENARIO_FILE) -> Scenario:
    """The better-questions scenario from its data file."""
    if not isinstance(name, str) or not name.strip():
        raise InputTypeError(f"name must be a scenario file name such as {SCENARIO_FILE!r}, not {name!r}.")
    try:
        raw = json.loads(data_text(name))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"No scenario file {name!r} in the course data: leave name out for {SCENARIO_FILE!r}.") from None
    facts = {f["id"]: f for f in raw["facts"]}
    questions = {q["id"]: q for q in raw["questions"]}
    for q in questions.values():
        bad = [f for f in q["reveals"] if f not in facts]
        if bad:  # pragma: no cover - guards the data file
            raise InputError(f"scenario question {q['id']} reveals unknown fact(s) {bad}.")
    return Scenario(raw["title"], raw["situation"], int(raw["budget"]), facts, questions)
