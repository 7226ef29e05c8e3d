"""Knowledge-base documents: load any folder of .md, .txt, .pdf, .docx and .html files, date each one, report every skip.

Markdown and text files may start with front matter (``---`` / ``key: value`` / ``---``). Files without it still get
a date, found in this order: a "Date:"/"Updated:" line near the top, a date in the title, a date in the file name, the
file's modified time. Where each date came from is kept (``Document.date_source``) and shown by ``LoadReport.table()``,
so the newest-version rule of the pipeline works on any folder and a learner can see why a version won. An impossible
date (2025-06-31) is never read as a nearby real one: ``LoadReport.date_notes()`` names the file and the text to fix.

The work is split by job: ``rag.dates`` reads dates, ``rag.readers`` reads each file format, ``rag.versions`` decides
which files are versions of one document, ``rag.bundled`` holds the course's own folders. Their public names are
importable from here too.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ai_pm_lab.errors import InputTypeError
from ai_pm_lab.rag.bundled import injection_folder, kb_folder, load_eval, scoped_folder
from ai_pm_lab.rag.dates import (
    DATE_FIX,
    DATE_LINE_SCAN,
    DAY_FIRST,
    date_from_lines,
    date_from_lines_found,
    find_date,
    find_date_precision,
    modified_date,
    read_date,
)
from ai_pm_lab.rag.readers import (
    FORMAT_HINTS,
    HTML_SUFFIXES,
    MAX_FILE_BYTES,
    MAX_PDF_BYTES,
    PDF_SUFFIXES,
    READABLE_LABEL,
    READABLE_SUFFIXES,
    TEXT_SUFFIXES,
    WORD_SUFFIXES,
    KnowledgeBaseError,
    parse_front_matter,
    read_file,
)
from ai_pm_lab.rag.versions import VERSION_SIMILARITY, VersionCheck, group_versions, name_key, version_groups
from ai_pm_lab.tables import returns_course_table

__all__ = [
    "DATE_FIX", "DATE_LINE_SCAN", "DAY_FIRST", "FORMAT_HINTS", "HTML_SUFFIXES", "MAX_FILE_BYTES", "MAX_PDF_BYTES",
    "PDF_SUFFIXES", "READABLE_LABEL", "READABLE_SUFFIXES", "TEXT_SUFFIXES", "VERSION_SIMILARITY", "WORD_SUFFIXES",
    "Document", "KnowledgeBaseError", "LoadReport", "VersionCheck", "date_from_lines", "find_date", "find_date_precision",
    "group_versions", "injection_folder", "kb_folder", "load_eval", "load_folder", "load_kb", "name_key",
    "parse_front_matter", "read_document", "scoped_folder", "version_groups",
]
SAFE_ID_RE = re.compile(r"[^A-Za-z0-9_.\-]+")


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
        """What the document is about, for spotting versions of the same policy: front-matter 'topic', the name
        load_folder gives a group of real versions (see rag.versions), else the id."""
        return str(self.meta.get("topic") or self.id)

    @property
    def scope(self) -> str:
        """Who the document applies to (front-matter 'scope', e.g. 'EU region' or 'enterprise plan'); 'all' when unset."""
        return str(self.meta.get("scope") or "all").strip() or "all"

    @property
    def date_source(self) -> str:
        """Where the date came from: front matter, a 'Date:'/'Updated:' line, the title, the file name or modified time."""
        return str(self.meta.get("date_source") or ("front matter" if self.date else "none"))

    @property
    def format(self) -> str:
        """The file format the text was read from: md, txt, pdf, docx or html."""
        return str(self.meta.get("format") or (Path(self.path).suffix.lstrip(".").lower() or "text"))


@dataclass
class LoadReport:
    """What a folder load found: the documents, every file it skipped (with the reason) and every same-named pair."""

    documents: list
    skipped: list  # (path, reason)
    checks: list = field(default_factory=list)  # VersionCheck per pair of files whose names match once versions are removed

    def summary(self) -> str:
        """One line: how many documents loaded, how many files were skipped and how many dates were refused."""
        s = f"Loaded {len(self.documents)} documents"
        if self.skipped:
            s += f"; skipped {len(self.skipped)} file(s): " + "; ".join(f"{Path(p).name} ({r})" for p, r in self.skipped)
        refused = sum(len(d.meta.get("date_notes") or ()) for d in self.documents)
        if refused:
            s += f"; {refused} impossible date(s) ignored (see date_notes())"
        return s + "."

    @returns_course_table
    def table(self):
        """One row per loaded document: file, format, id, title, date, where the date came from, topic, words."""
        import pandas as pd

        rows = [{"file": _file_name(d), "format": d.format, "id": d.id, "title": d.title,
                 "date": d.date or "undated", "date from": d.date_source, "topic": d.topic, "words": len(d.text.split())}
                for d in self.documents]
        return pd.DataFrame(rows, columns=["file", "format", "id", "title", "date", "date from", "topic", "words"])

    @returns_course_table
    def skipped_table(self):
        """One row per skipped file: file name and the reason (what to do about it)."""
        import pandas as pd

        return pd.DataFrame([{"file": Path(p).name, "reason": r} for p, r in self.skipped], columns=["file", "reason"])

    @returns_course_table
    def date_notes(self):
        """One row per impossible date that was refused: file, where it was written, the text, the problem, the fix,
        and the date used instead (with where that one came from)."""
        import pandas as pd

        rows = [{"file": _file_name(d), "where": n["where"], "text": n["text"], "problem": n["problem"], "fix": DATE_FIX,
                 "date used": f"{d.date} ({d.date_source})"}
                for d in self.documents for n in (d.meta.get("date_notes") or ())]
        return pd.DataFrame(rows, columns=["file", "where", "text", "problem", "fix", "date used"])

    @returns_course_table
    def versions(self):
        """One row per group of versions of one document: which files, which one is used (the newest), and why grouped."""
        import pandas as pd

        by_id = {d.id: d for d in self.documents}
        rows = []
        for topic, ids in version_groups(self.documents).items():
            ranked = [by_id[i] for i in ids]
            newest = ranked[0]
            why = newest.meta.get("grouped_because") or (
                f"same front-matter topic '{topic}'" if newest.meta.get("topic") else f"same topic '{topic}'")
            rows.append({"topic": topic,
                         "newest (used)": f"{newest.id} ({newest.date or 'undated'}, {newest.date_source})",
                         "older (superseded)": ", ".join(f"{d.id} ({d.date or 'undated'})" for d in ranked[1:]),
                         "files": ", ".join(_file_name(d) for d in ranked), "why grouped": why})
        return pd.DataFrame(rows, columns=["topic", "newest (used)", "older (superseded)", "files", "why grouped"])

    @returns_course_table
    def version_checks(self):
        """Every pair of files whose names match once dates and version words are removed: their word overlap and
        whether that made them versions of one document (grouped) or different documents that keep their own topic."""
        import pandas as pd

        by_id = {d.id: d for d in self.documents}
        rows = [{"name": c.name, "file": _file_name(by_id[c.first]) if c.first in by_id else c.first,
                 "other file": _file_name(by_id[c.second]) if c.second in by_id else c.second,
                 "words shared": c.overlap, "needed": VERSION_SIMILARITY,
                 "decision": "versions (grouped)" if c.grouped else "different documents (kept apart)"}
                for c in self.checks]
        return pd.DataFrame(rows, columns=["name", "file", "other file", "words shared", "needed", "decision"])


def _file_name(d) -> str:
    return Path(d.path).name if d.path else d.id


def _safe_id(stem: str) -> str:
    """A file stem as a citable id: characters outside letters, digits, '_', '.', '-' become '-'."""
    return SAFE_ID_RE.sub("-", stem).strip("-") or "document"


# -- one document ------------------------------------------------------------------------------------------------------
def read_document(path: str | os.PathLike) -> Document:
    """Read one .md/.txt/.pdf/.docx/.html file into a Document; raises KnowledgeBaseError saying why a file cannot be used."""
    meta, body, title, fmt = read_file(path)
    p = Path(path)
    title = str(meta.get("title") or title or p.stem)
    date, source, notes = choose_date(p, meta, body, title)
    info = {"format": fmt, "date_source": source}
    if notes:
        info["date_notes"] = notes
    if not meta:  # no front matter: versions of one document may share a file name up to dates and version words
        key = name_key(p.stem)
        if key:
            info["name_key"] = key
    return Document(
        id=str(meta.get("id") or _safe_id(p.stem)),
        title=title,
        date=date,
        text=body,
        path=str(p),
        meta={**meta, **info},
    )


def choose_date(p: Path, meta: dict, body: str, title: str) -> tuple[str, str, list[dict]]:
    """(YYYY-MM-DD, where it came from, refused dates): front matter, a Date:/Updated: line, the title, the file name,
    the modified time. A source holding only an impossible date is passed over, and the refusal is kept as a note."""
    notes: list[dict] = []

    def note(where, found, raw=None):
        notes.extend({"where": where, "text": t, "problem": why} for t, why in found.rejected)
        if raw is not None and not found.value and not found.rejected:
            notes.append({"where": where, "text": raw, "problem": "no date can be read from it"})

    if meta.get("date"):
        found = read_date(str(meta["date"]))
        note("front matter", found, str(meta["date"]))
        if found.value:
            return found.value, found.label("front matter"), notes
    found, label = date_from_lines_found(body)
    note("'Date:'/'Updated:' line", found)
    if found.value:
        return found.value, label, notes
    if title and title != p.stem:
        found = read_date(title)
        note("title", found)
        if found.value:
            return found.value, found.label("title"), notes
    found = read_date(p.stem)
    note("file name", found)
    if found.value:
        return found.value, found.label("file name"), notes
    return modified_date(p), "file modified time", notes


# -- folders -----------------------------------------------------------------------------------------------------------
def _skip_reason(f: Path, exc: KnowledgeBaseError) -> str:
    msg = str(exc)
    return msg[len(f.name) + 1 :] if msg.startswith(f.name + " ") else msg


def _refuse_blank(item) -> None:
    if isinstance(item, str) and not item.strip():
        raise KnowledgeBaseError(
            f"The folder is an empty string ({item!r}), which would index the current folder and every folder below it: "
            "give the path of your documents folder. To mean 'no folder of my own', use None, not \"\".")


def load_folder(folder, *, recursive: bool = True) -> LoadReport:
    """Load every .md/.txt/.pdf/.docx/.html file of one folder (or a list of folders/files); skips are reported, not fatal."""
    items = [folder] if isinstance(folder, (str, os.PathLike)) else folder
    if items is None or isinstance(items, (bytes, bytearray)):
        raise InputTypeError("folder must be a path (str) or a list of paths.")
    try:
        items = list(items)
    except TypeError:
        raise InputTypeError(f"folder must be a path (str) or a list of paths, not {type(folder).__name__}.") from None
    if not items:
        raise KnowledgeBaseError(f"No folder given: pass the path of a folder holding {READABLE_LABEL} files.")
    files: list[Path] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise InputTypeError(f"each folder must be a path (str), not {type(item).__name__}.")
        _refuse_blank(item)
        p = Path(item).expanduser()
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            pattern = "**/*" if recursive else "*"
            files.extend(sorted(f for f in p.glob(pattern)
                                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            raise KnowledgeBaseError(
                f"Folder {str(p)!r} does not exist: check the path (a relative path starts from {os.getcwd()}), "
                f"or create the folder and put your {READABLE_LABEL} files in it.")
    docs, skipped, seen = [], [], set()
    for f in files:
        if f.name.startswith("~$"):
            skipped.append((str(f), "an Office lock file (the document is open in Word): close it; the real file is read"))
            continue
        try:
            doc = read_document(f)
        except KnowledgeBaseError as exc:
            skipped.append((str(f), _skip_reason(f, exc)))
            continue
        except OSError as exc:
            skipped.append((str(f), f"could not be read ({exc.strerror})"))
            continue
        if doc.id in seen:
            if "id" in doc.meta and doc.meta.get("id") == doc.id:
                skipped.append((str(f), f"duplicate id {doc.id!r}: give it its own id in the front matter"))
                continue
            new_id = f"{doc.id}-{doc.format}"
            if new_id in seen:
                skipped.append((str(f), f"duplicate id {doc.id!r}: rename the file"))
                continue
            doc = replace(doc, id=new_id)
        seen.add(doc.id)
        docs.append(doc)
    if not docs:
        where = ", ".join(str(i) for i in items)
        if not files:
            raise KnowledgeBaseError(f"No usable documents in {where}: the folder is empty. "
                                     f"Put some {READABLE_LABEL} files in it and run again.")
        detail = f" Skipped: {'; '.join(f'{Path(p).name} ({r})' for p, r in skipped)}." if skipped else ""
        raise KnowledgeBaseError(f"No usable documents in {where}: none of its {len(files)} file(s) could be read.{detail} "
                                 f"Add at least one {READABLE_LABEL} file with text in it.")
    docs, checks = group_versions(docs)
    return LoadReport(docs, skipped, checks)


def load_kb() -> list[Document]:
    """The bundled Tidewell knowledge base as Documents."""
    return load_folder(kb_folder()).documents
