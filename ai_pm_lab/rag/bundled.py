"""The course's bundled knowledge-base folders and evaluation questions (files in ai_pm_lab/data/rag/)."""
from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from ai_pm_lab.errors import InputError, InputTypeError


def kb_folder() -> str:
    """Path of the bundled Tidewell knowledge base (ai_pm_lab/data/rag/kb)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb"))


def injection_folder() -> str:
    """Path of the folder holding the prompt-injection demo document (kept out of the main base)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb_injection"))


def scoped_folder() -> str:
    """Path of the folder holding the EU edition of the refund policy (a scoped version, kept out of the main base)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb_scoped"))


def load_eval(path: str | None = None) -> list[dict]:
    """The evaluation questions (id, question, doc_ids, answer, answerable, conflict) as a list of dicts."""
    text = (
        _eval_file_text(path)
        if path is not None
        else resources.files("ai_pm_lab").joinpath("data/rag/kb_eval.jsonl").read_text(encoding="utf-8")
    )
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {n} of the evaluation file is not valid JSON ({exc.msg}): fix that line.") from None
        for key in ("question", "doc_ids", "answer"):
            if key not in row:
                raise InputError(f"line {n} of the evaluation file has no {key!r} field: add it.")
        row.setdefault("answerable", bool(row["doc_ids"]))
        rows.append(row)
    if not rows:
        raise InputError(f"{Path(path).name} holds no questions: write one JSON object per line, e.g. "
                         '{"question": "...", "doc_ids": ["..."], "answer": "..."}.')
    return rows


def _eval_file_text(path) -> str:
    """The text of a learner's evaluation file (JSON lines), or an InputError saying why it cannot be read."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path must be the evaluation file's path (str), not {type(path).__name__}; "
                             "leave it out for the course's own questions.")
    p = Path(path)
    if not str(path).strip() or not p.is_file():
        raise InputError(f"No evaluation file at {str(path)!r}: give the path of a .jsonl file (one question per line), "
                         "or leave path out for the course's own questions.")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{p.name} is not UTF-8 text: save it as UTF-8 JSON lines (one question per line).") from None
