"""Knowledge-base documents: load any folder of .txt/.md files (with optional front matter), report what was skipped."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ai_pm_lab.errors import CourseError, require_text

TEXT_SUFFIXES = (".md", ".txt", ".markdown")
MAX_FILE_BYTES = 5_000_000


class KnowledgeBaseError(CourseError, ValueError):
    """The knowledge-base folder is missing, empty or holds no usable text."""


@dataclass(frozen=True)
class Document:
    """One knowledge-base document: id, title, date (YYYY-MM-DD or ''), body text and where it came from."""

    id: str
    title: str
    date: str
    text: str
    path: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def topic(self) -> str:
        """What the document is about, for spotting versions of the same policy (front-matter 'topic', else the id)."""
        return str(self.meta.get("topic") or self.id)


@dataclass
class LoadReport:
    """What a folder load found: the documents and every file it skipped, with the reason."""

    documents: list
    skipped: list  # (path, reason)

    def summary(self) -> str:
        """One line: how many documents loaded and how many files were skipped."""
        s = f"Loaded {len(self.documents)} documents"
        if self.skipped:
            s += f"; skipped {len(self.skipped)} file(s): " + "; ".join(f"{Path(p).name} ({r})" for p, r in self.skipped)
        return s + "."


def parse_front_matter(text: str) -> tuple[dict, str]:
    """Split '---\\nkey: value\\n---\\nbody' into (meta, body); text without front matter gives ({}, text)."""
    require_text(text, "text", allow_empty=True)
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines()
    meta = {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "\n".join(lines[i + 1 :]).strip("\n")
        if ":" in line:
            k, v = line.split(":", 1)
            meta[k.strip().lower()] = v.strip().strip('"').strip("'")
    return {}, text  # no closing fence: treat it all as body


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def read_document(path: str | os.PathLike) -> Document:
    """Read one .md/.txt file into a Document; raises KnowledgeBaseError saying why a file cannot be used."""
    p = Path(path)
    if not p.is_file():
        raise KnowledgeBaseError(f"{p} is not a file.")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise KnowledgeBaseError(f"{p.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it into smaller documents.")
    raw = p.read_bytes()
    if b"\x00" in raw[:4096]:
        raise KnowledgeBaseError(f"{p.name} looks binary (contains NUL bytes): only text or Markdown files can be indexed.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(
            f"{p.name} is not UTF-8 text (byte {exc.start}): re-save it as UTF-8 to include it."
        ) from None
    meta, body = parse_front_matter(text)
    if not body.strip():
        raise KnowledgeBaseError(f"{p.name} is empty: nothing to index.")
    return Document(
        id=str(meta.get("id") or p.stem),
        title=str(meta.get("title") or _first_heading(body) or p.stem),
        date=str(meta.get("date") or ""),
        text=body,
        path=str(p),
        meta=meta,
    )


def load_folder(folder, *, recursive: bool = True) -> LoadReport:
    """Load every .md/.txt file of one folder (or a list of folders/files); skipped files are reported, not fatal."""
    items = [folder] if isinstance(folder, (str, os.PathLike)) else folder
    if items is None or isinstance(items, (bytes, bytearray)):
        raise TypeError("folder must be a path (str) or a list of paths.")
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"folder must be a path (str) or a list of paths, not {type(folder).__name__}.") from None
    if not items:
        raise KnowledgeBaseError("No folder given: pass the path of a folder holding .md or .txt files.")
    files: list[Path] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"each folder must be a path (str), not {type(item).__name__}.")
        p = Path(item).expanduser()
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            pattern = "**/*" if recursive else "*"
            files.extend(sorted(f for f in p.glob(pattern) if f.is_file() and not f.name.startswith(".")))
        else:
            raise KnowledgeBaseError(f"Folder {str(p)!r} does not exist: check the path (it is relative to {os.getcwd()}).")
    docs, skipped, seen = [], [], set()
    for f in files:
        if f.suffix.lower() not in TEXT_SUFFIXES:
            skipped.append((str(f), f"not a text file; only {', '.join(TEXT_SUFFIXES)} are read"))
            continue
        try:
            doc = read_document(f)
        except KnowledgeBaseError as exc:
            msg = str(exc)
            skipped.append((str(f), msg[len(f.name) + 1 :] if msg.startswith(f.name + " ") else msg))
            continue
        except OSError as exc:
            skipped.append((str(f), f"could not be read ({exc.strerror})"))
            continue
        if doc.id in seen:
            skipped.append((str(f), f"duplicate id {doc.id!r}"))
            continue
        seen.add(doc.id)
        docs.append(doc)
    if not docs:
        where = ", ".join(str(i) for i in items)
        detail = f" Skipped: {'; '.join(f'{Path(p).name} ({r})' for p, r in skipped)}." if skipped else ""
        raise KnowledgeBaseError(f"No usable .md or .txt documents in {where}.{detail} Add at least one UTF-8 text file.")
    return LoadReport(docs, skipped)


def kb_folder() -> str:
    """Path of the bundled Tidewell knowledge base (ai_pm_lab/data/rag/kb)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb"))


def injection_folder() -> str:
    """Path of the folder holding the prompt-injection demo document (kept out of the main base)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb_injection"))


def load_kb() -> list[Document]:
    """The bundled Tidewell knowledge base as Documents."""
    return load_folder(kb_folder()).documents


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
            raise ValueError(f"line {n} of the evaluation file is not valid JSON ({exc.msg}).") from None
        for key in ("question", "doc_ids", "answer"):
            if key not in row:
                raise ValueError(f"line {n} of the evaluation file has no {key!r} field.")
        row.setdefault("answerable", bool(row["doc_ids"]))
        rows.append(row)
    return rows
