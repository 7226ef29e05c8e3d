"""The capstone's inputs: which documents, which test questions, one day of customer questions, and the content a
learner writes later to close a gap. One variable picks them: ``open_project(None)`` (the bundled Tidewell base) or
``open_project("path/to/folder")`` (the learner's own folder)."""
from __future__ import annotations

import codecs
import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ai_pm_lab.capstone.samples import ADDITIONS_DIR, QUESTIONS_FILE
from ai_pm_lab.datafiles import data_jsonl, data_path
from ai_pm_lab.errors import InputError, InputTypeError
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
    questions_file: str | None = None  # the folder's questions.csv (the learner's own labels), if it has one
    bundled: bool = False  # the bundled Tidewell base (the shipped answerability gate was trained on it)

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
        raise InputError("The day has no requests: give some questions a count of 1 or more.")
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
                   str(data_path(BUNDLED_ADDITIONS)), bundled=True)


MAX_COUNT = 1000  # requests one questions.csv row may stand for in the simulated day (each is served by the model)
MAX_DAY = 5000  # requests in the whole day: beyond this the shadow day would take hours on a laptop
ENCODINGS = ("utf-8-sig", "cp1252")  # tried in order after a UTF-16 byte-order mark; Excel saves one of the three
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _decode(path: Path) -> str:
    """The file's text: UTF-16 when it starts with a byte-order mark (Excel's 'Unicode text'), else UTF-8, else
    Windows-1252 (Excel's plain 'CSV' on Windows)."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path.name} is not readable text (not UTF-8, UTF-16 or Windows-1252): open it in your "
                     "spreadsheet and save it again as 'CSV UTF-8 (comma delimited)'.")


def _delimiter(text: str) -> str:
    """The separator of a CSV text: csv.Sniffer's guess from the first lines, kept when the header it gives has a
    'question' column, else the first of commas, semicolons, tabs, bars that does; a one-column file counts as commas."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    first = text.splitlines()[0] if text.strip() else ""
    for candidate in (sniffed, *DELIMITERS):
        if "question" in [h.strip().lower() for h in next(csv.reader([first], delimiter=candidate), [])]:
            return candidate
    return sniffed


def _count(value: str, n: int, name: str) -> int:
    """A row's count: a whole number from 0 to MAX_COUNT (blank means 1)."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return 1
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"line {n} of {name}: count must be a whole number such as 3, not {value!r}. "
                         "Fix that cell (or leave it blank for 1).") from None
    if not math.isfinite(number) or not number.is_integer() or number < 0:
        raise InputError(f"line {n} of {name}: count must be a whole number from 0 to {MAX_COUNT:,}, not {value!r}. "
                         "Fix that cell (or leave it blank for 1).")
    if number > MAX_COUNT:
        raise InputError(f"line {n} of {name}: count {value!r} is more than the {MAX_COUNT:,} requests one row may stand "
                         f"for (every request is served by the model). Scale your counts down, keeping their "
                         f"proportions, e.g. divide them all by {math.ceil(number / MAX_COUNT):,}.")
    return int(number)


def read_questions(path) -> list[dict]:
    """Rows of a questions.csv (question, answer, source, count, and the line each came from); an empty answer means
    'the documents cannot answer'. Reads UTF-8, UTF-16 and Windows-1252, with commas, semicolons or tabs; every
    problem is an InputError naming the line and the fix."""
    path = Path(path)
    name = path.name
    text = _decode(path)
    if not text.strip():
        raise InputError(f"{name} is empty: write a header row (question,answer,source,count) and one question per line.")
    delimiter = _delimiter(text)
    sep = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records, last = [], 0
    try:
        for fields in reader:
            records.append((last + 1, reader.line_num, fields))
            last = reader.line_num
    except csv.Error as err:
        raise InputError(f"line {last + 1} of {name}: a quote (\") opened on this line is never closed properly "
                         f"({err}), so the rest of the file would be read as one answer. Close the quote or remove it.") from None
    header = [h.strip().lower() for h in records[0][2]] if records else []
    if "question" not in header:
        raise InputError(f"{name} needs a header row with at least a 'question' column (and ideally answer, source, "
                         f"count); its first line, read as separated by {sep}, has {header or 'nothing'}.")
    seen = set()
    for h in header:
        if h and h in seen:
            raise InputError(f"line 1 of {name}: the column {h!r} appears twice in the header, so one of them would be "
                             "ignored. Rename or delete one of the two columns.")
        seen.add(h)
    rows, total = [], 0
    for first, final, fields in records[1:]:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
            raise InputError(f"line {first} of {name} has {len(fields)} fields but the header has {len(header)} (separated "
                             f"by {sep}): a {sep[:-1]} inside a question or answer? Put that text in double quotes, "
                             "or add a name for the extra column to the header.")
        row = dict(zip(header, (f.strip() for f in fields)))
        for cell in fields:
            swallowed = [ln for ln in cell.splitlines()[1:] if len(next(csv.reader([ln], delimiter=delimiter))) >= len(header) > 1]
            if swallowed:
                raise InputError(f"lines {first}-{final} of {name} were read as one row: a quote (\") opened on line "
                                 f"{first} is closed only on line {final}, swallowing rows in between. Fix the quotes.")
        if not row.get("question"):
            continue
        count = _count(row.get("count", ""), first, name)
        total += count
        if total > MAX_DAY:
            raise InputError(f"line {first} of {name}: the counts add up to more than {MAX_DAY:,} requests for one "
                             "simulated day. Scale your counts down, keeping their proportions.")
        rows.append({"question": row["question"], "answer": row.get("answer", ""), "source": row.get("source", ""),
                     "count": count, "line": first})
    if not rows:
        raise InputError(f"{name} has no questions: add one question per line under the header.")
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


def _folder_path(folder, *, none_means: str) -> Path:
    """A learner's folder argument as a Path; a non-path or an empty string (which would mean 'the current folder')
    is refused with what to pass instead."""
    if not isinstance(folder, (str, os.PathLike)):
        raise InputTypeError(f"folder must be a path (str) or None for {none_means}, not {type(folder).__name__}.")
    if not str(os.fspath(folder)).strip():
        raise KnowledgeBaseError(f"The folder is an empty string, which would mean 'whatever folder Jupyter started in' "
                         f"({os.getcwd()}): give the path of your folder, or None for {none_means}.")
    return Path(folder).expanduser()


def folder_project(folder) -> Project:
    """A learner's folder: documents at the top (and in sub-folders), optional questions.csv and additions/."""
    root = _folder_path(folder, none_means="the bundled base")
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
            if r["source"] and not ids and not gap_ids:
                skipped = [Path(s[0]).name for s in report.skipped if r["source"] in (Path(s[0]).name, Path(s[0]).stem)]
                where = (f"{skipped[0]} is in the folder but could not be read (see preview_folder(...).skipped_table())"
                         if skipped else f"no document in the folder{' or its additions/' if extra is not None else ''} "
                         "has that name")
                raise InputError(f"line {r['line']} of {QUESTIONS_FILE}: source {r['source']!r} names no usable document "
                                 f"({where}). Correct the file name, or leave source empty.")
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
        raise InputError(f"{QUESTIONS_FILE} has no answerable question (every answer is empty): add the expected answer "
                         "to the questions your documents cover.")
    return Project(f"Your folder: {root.name}", [str(f) for f in files], eval_rows, gap_rows, traffic,
                   str(additions) if extra is not None else None, notes,
                   questions_file=str(qfile) if qfile.is_file() else None)


def preview_folder(folder):
    """What the loader makes of a folder's documents (questions.csv and additions/ left out): a LoadReport."""
    if folder is None:
        raise KnowledgeBaseError(f"No folder yet (None): for your own project, create <your folder>/{ADDITIONS_DIR}/ and write "
                                 "the document that fills your biggest gap into it.")
    root = _folder_path(folder, none_means="the bundled base (open_project(None))")
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
