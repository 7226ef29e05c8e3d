"""The course's bundled knowledge-base folders and evaluation questions (files in ai_pm_lab/data/rag/)."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from ai_pm_lab.errors import InputError


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
        Path(path).read_text(encoding="utf-8")
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
    return rows
