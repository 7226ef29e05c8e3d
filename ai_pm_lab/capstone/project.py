"""The capstone's inputs: which documents, which test questions, one day of customer questions, and the content a
learner writes later to close a gap. One variable picks them: ``open_project(None)`` (the bundled Tidewell base) or
``open_project("path/to/folder")`` (the learner's own folder)."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab.capstone.samples import ADDITIONS_DIR, QUESTIONS_FILE
from ai_pm_lab.datafiles import data_jsonl, data_path
from ai_pm_lab.operations.traffic import DAY, Shift, simulate_day
from ai_pm_lab.rag.documents import READABLE_LABEL, KnowledgeBaseError, kb_folder, load_eval, load_folder

GAP_EVAL = "capstone/gap_eval.jsonl"
BUNDLED_ADDITIONS = "capstone/additions"
# Questions no support base should answer: they test that the assistant says "I don't know" on any folder.
OFF_TOPIC = (
    "Who is the CEO of the company?",
    "Can I pay in Bitcoin?",
    "What will the weather be like tomorrow?",
    "What is the phone number of the sales team?",
)


@dataclass
class Project:
    """Everything one capstone run needs (built by open_project)."""

    name: str
    documents: list  # paths handed to load_folder
    eval_rows: list  # test questions: question, answer, doc_ids, answerable
    gap_rows: list  # questions the additions should answer (gold answers), unanswerable before them
    traffic: pd.DataFrame  # one day of requests (operations.traffic.simulate_day's columns), in arrival order
    additions: str | None  # folder of content written to close a gap
    notes: list = field(default_factory=list)  # what was assumed (e.g. starter questions), shown to the learner

    def summary(self) -> str:
        """A few lines: documents, test questions, traffic, additions, and any assumption made."""
        lines = [f"Project: {self.name}",
                 f"  test questions: {len(self.eval_rows)} ({sum(r['answerable'] for r in self.eval_rows)} answerable)",
                 f"  one day of traffic: {len(self.traffic)} requests, {self.traffic['question'].nunique()} distinct questions",
                 f"  gap questions (answered by the additions): {len(self.gap_rows)}",
                 f"  additions folder: {self.additions or 'none yet'}"]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])


def _day(rows, seed: int = 8) -> pd.DataFrame:
    """A day of requests in the shape of operations.traffic.simulate_day: each row repeated `count` times, spread over
    the working day in a reproducible random order."""
    expanded = [r for r in rows for _ in range(max(int(r.get("count", 1)), 0))]
    if not expanded:
        raise ValueError("The day has no requests: give some questions a count of 1 or more.")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(expanded))
    seconds = np.sort(rng.integers(7 * 3600, 19 * 3600, size=len(expanded)))
    start = pd.Timestamp(DAY, tz="UTC")
    out = []
    for i, (k, sec) in enumerate(zip(order, seconds)):
        r = expanded[k]
        out.append({"request_id": i + 1, "time": start + pd.Timedelta(seconds=int(sec)), "hour": int(sec // 3600),
                    "user_id": f"u{int(rng.integers(1, 60)):04d}", "intent": r.get("intent") or r["question"][:40],
                    "kind": r["kind"], "rank": 0, "eval_id": None, "question": r["question"], "gold": r.get("answer", ""),
                    "gold_doc_ids": list(r.get("doc_ids", [])), "should_answer": r["kind"] == "answerable"})
    return pd.DataFrame(out)


def bundled_project(*, sample_size: int = 20, requests: int = 120, seed: int = 8) -> Project:
    """The Tidewell base: a sample of the evaluation set, a day of traffic (popular questions repeat; payroll questions
    about the new Tidewell Pay add-on, which the base does not cover yet), and the prepared Tidewell Pay FAQ."""
    rows = load_eval()
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    n_una = max(1, sample_size // 3)
    pick = answerable[:: max(1, len(answerable) // (sample_size - n_una))][: sample_size - n_una]
    pick += unanswerable[:: max(1, len(unanswerable) // n_una)][:n_una]
    gaps = [dict(r) for r in data_jsonl(GAP_EVAL)]
    # The week-6 simulated day, with a shift: from midday on, part of the traffic asks about Tidewell Pay, a payroll
    # add-on launched without help articles (the content gap the improvement loop finds in the logs).
    day = simulate_day(requests, seed=seed, shift=Shift(start_hour=12, share=0.3, kind="new_product"))
    return Project("Tidewell support assistant (bundled knowledge base)", [kb_folder()], pick, gaps, day,
                   str(data_path(BUNDLED_ADDITIONS)))


def read_questions(path) -> list[dict]:
    """Rows of a questions.csv (question, answer, source, count); an empty answer means 'the documents cannot answer'."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "question" not in [f.strip().lower() for f in reader.fieldnames]:
            raise ValueError(f"{path.name} needs a header row with at least a 'question' column "
                             "(and ideally answer, source, count).")
        rows = []
        for n, raw in enumerate(reader, 2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if not row.get("question"):
                continue
            try:
                count = int(float(row.get("count") or 1))
            except ValueError:
                raise ValueError(f"line {n} of {path.name}: count must be a whole number, not {row['count']!r}.") from None
            rows.append({"question": row["question"], "answer": row.get("answer", ""), "source": row.get("source", ""),
                         "count": count})
    if not rows:
        raise ValueError(f"{path.name} has no questions: add one question per line under the header.")
    return rows


def _doc_id_for(source: str, report) -> list[str]:
    if not source:
        return []
    stem = Path(source).stem
    for d in report.documents:
        if source in (d.id, Path(d.path).name) or stem == Path(d.path).stem:
            return [d.id]
    return []


def starter_questions(documents) -> list[dict]:
    """When a folder has no questions.csv: one question per document from its title (answer: its first sentence with
    a number or its first line), plus off-topic questions the assistant should decline. A starting point, not a test set."""
    rows = []
    for d in documents:
        sentences = [s.strip() for s in d.text.replace("\n", " ").split(". ") if len(s.split()) >= 4]
        with_number = [s for s in sentences if any(ch.isdigit() for ch in s)]
        answer = (with_number or sentences or [d.title])[0]
        rows.append({"question": f"What does our {d.title} say?", "answer": answer[:200], "doc_ids": [d.id],
                     "answerable": True})
    rows += [{"question": q, "answer": "", "doc_ids": [], "answerable": False} for q in OFF_TOPIC]
    return rows


def folder_project(folder) -> Project:
    """A learner's folder: documents at the top (and in sub-folders), optional questions.csv and additions/."""
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a path (str) or None for the bundled base, not {type(folder).__name__}.")
    root = Path(folder).expanduser()
    if not root.exists():
        raise KnowledgeBaseError(f"Folder {str(root)!r} does not exist: check the path (a relative path starts from "
                                 f"{os.getcwd()}), or set MY_FOLDER = None to use the bundled knowledge base.")
    if not root.is_dir():
        raise KnowledgeBaseError(f"{str(root)!r} is a file: MY_FOLDER must be the folder that holds your documents.")
    additions = root / ADDITIONS_DIR
    files = sorted(f for f in root.rglob("*") if f.is_file() and not any(p.startswith(".") for p in f.relative_to(root).parts)
                   and f.name != QUESTIONS_FILE and additions not in f.parents)
    if not files:
        raise KnowledgeBaseError(f"No usable documents in {root}: the folder is empty. Put some {READABLE_LABEL} files in "
                                 f"it (and, if you can, a {QUESTIONS_FILE} of real customer questions).")
    report = load_folder(files)  # raises a clear KnowledgeBaseError when nothing is readable
    extra = load_folder(additions) if additions.is_dir() and any(additions.iterdir()) else None
    notes = []
    qfile = root / QUESTIONS_FILE
    if qfile.is_file():
        rows = read_questions(qfile)
        eval_rows, gap_rows, day = [], [], []
        for r in rows:
            ids = _doc_id_for(r["source"], report)
            gap_ids = _doc_id_for(r["source"], extra) if extra is not None and not ids else []
            row = {"question": r["question"], "answer": r["answer"], "doc_ids": ids or gap_ids,
                   "answerable": bool(r["answer"])}
            (gap_rows if gap_ids else eval_rows).append(row)
            # before the additions exist, a gap question is one the assistant should decline (and hand over)
            kind = "new_product" if gap_ids else ("answerable" if r["answer"] else "unanswerable")
            day.append({**row, "kind": kind, "count": r["count"], "answer": "" if gap_ids else r["answer"]})
        traffic = _day(day)
    else:
        eval_rows, gap_rows = starter_questions(report.documents), []
        traffic = _day([{**r, "kind": "answerable" if r["answerable"] else "unanswerable", "count": 1} for r in eval_rows])
        notes.append(f"no {QUESTIONS_FILE} in the folder: using starter questions made from your document titles. "
                     f"Write {QUESTIONS_FILE} (question, answer, source, count) with real customer questions for a real test.")
    if extra is None:
        notes.append(f"no {ADDITIONS_DIR}/ folder yet: the improvement loop will ask you to write one document there.")
    if not any(r["answerable"] for r in eval_rows):
        raise ValueError(f"{QUESTIONS_FILE} has no answerable question (every answer is empty): add the expected answer "
                         "to the questions your documents cover.")
    return Project(f"Your folder: {root.name}", [str(f) for f in files], eval_rows, gap_rows, traffic,
                   str(additions) if extra is not None else None, notes)


def preview_folder(folder):
    """What the loader makes of a folder's documents (questions.csv and additions/ left out): a LoadReport."""
    if folder is None:
        raise KnowledgeBaseError(f"No folder yet (None): for your own project, create <your folder>/{ADDITIONS_DIR}/ and write "
                                 "the document that fills your biggest gap into it.")
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a path (str), not {type(folder).__name__}.")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise KnowledgeBaseError(f"Folder {str(root)!r} does not exist: check the path (a relative path starts from "
                                 f"{os.getcwd()}).")
    additions = root / ADDITIONS_DIR
    files = sorted(f for f in root.rglob("*") if f.is_file() and not any(p.startswith(".") for p in f.relative_to(root).parts)
                   and f.name != QUESTIONS_FILE and additions not in f.parents)
    if not files:
        raise KnowledgeBaseError(f"No usable documents in {root}: the folder is empty. Put some {READABLE_LABEL} files in it.")
    return load_folder(files)


def open_project(folder=None) -> Project:
    """The bundled Tidewell project (folder=None) or a learner's folder, with clear guidance when it cannot be used."""
    return bundled_project() if folder is None else folder_project(folder)
