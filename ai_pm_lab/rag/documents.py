"""Knowledge-base documents: load any folder of .md, .txt, .pdf, .docx and .html files, date each one, report every skip.

Markdown and text files may start with front matter (``---`` / ``key: value`` / ``---``). Files without it still get
a date, found in this order: a "Date:"/"Updated:" line near the top, a date in the title, a date in the file name, the
file's modified time. Where each date came from is kept (``Document.date_source``) and shown by ``LoadReport.table()``,
so the newest-version rule of the pipeline works on any folder and a learner can see why a version won.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime
from importlib import resources
from pathlib import Path

from ai_pm_lab.errors import CourseError, require_text

TEXT_SUFFIXES = (".md", ".txt", ".markdown")
PDF_SUFFIXES = (".pdf",)
WORD_SUFFIXES = (".docx",)
HTML_SUFFIXES = (".html", ".htm")
READABLE_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + WORD_SUFFIXES + HTML_SUFFIXES
READABLE_LABEL = ".md, .txt, .pdf, .docx and .html"
MAX_FILE_BYTES = 5_000_000
MAX_PDF_BYTES = 25_000_000
DATE_LINE_SCAN = 30  # how many lines from the top a "Date:"/"Updated:" line may sit

# What to do with a format the course cannot read.
FORMAT_HINTS = {
    ".doc": "old Word format: open it in Word and save it as .docx",
    ".rtf": "save it as .docx or .pdf",
    ".odt": "save it as .docx or .pdf",
    ".pages": "export it as .docx or .pdf",
    ".xlsx": "a spreadsheet is not a document: export the rows you need as text, or keep FAQs in .md",
    ".xls": "a spreadsheet is not a document: export the rows you need as text, or keep FAQs in .md",
    ".csv": "a table is not a document: turn each row into a short .md or .txt FAQ entry",
    ".pptx": "export the slides as .pdf",
    ".png": "an image holds no text the course can read: use the source document instead",
    ".jpg": "an image holds no text the course can read: use the source document instead",
    ".jpeg": "an image holds no text the course can read: use the source document instead",
    ".zip": "unzip it into the folder first",
}

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ISO_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/._](\d{1,2})[-/._](\d{1,2})(?!\d)")
_COMPACT_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\.?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
_MDY_RE = re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
_SLASH_RE = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d{2})(?!\d)")
_MONTH_YEAR_RE = re.compile(_MONTH + r"\.?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
_YEAR_MONTH_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.](\d{1,2})(?![\d])")
_YEAR_RE = re.compile(r"(?<![\d])((?:19|20)\d{2})(?![\d])")
_DATE_LINE_RE = re.compile(
    r"^[\s>*_#|-]*(?P<key>last[ \t]+updated|updated|last[ \t]+modified|last[ \t]+revised|revised|effective[ \t]+date|"
    r"effective[ \t]+from|effective|published|date)[*_]*[ \t]*:[*_ \t]*(?P<value>.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_VERSION_WORDS = re.compile(
    r"\b(v\d+(?:\.\d+)*|version|ver|rev\d*|revision|edition|draft|final|old|new|latest|updated|copy|replaces)\b",
    re.IGNORECASE,
)
HTML_BLOCKS = ["p", "div", "li", "tr", "td", "th", "section", "article", "table", "ul", "ol", "blockquote", "pre", "dd",
               "dt", "header", "footer", "main", "aside", "form", "figure", "figcaption", "hr"]
SAFE_ID_RE = re.compile(r"[^A-Za-z0-9_.\-]+")


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
    """What a folder load found: the documents and every file it skipped, with the reason."""

    documents: list
    skipped: list  # (path, reason)

    def summary(self) -> str:
        """One line: how many documents loaded and how many files were skipped."""
        s = f"Loaded {len(self.documents)} documents"
        if self.skipped:
            s += f"; skipped {len(self.skipped)} file(s): " + "; ".join(f"{Path(p).name} ({r})" for p, r in self.skipped)
        return s + "."

    def table(self):
        """One row per loaded document: file, format, id, title, date, where the date came from, topic, words."""
        import pandas as pd

        rows = [{"file": Path(d.path).name if d.path else d.id, "format": d.format, "id": d.id, "title": d.title,
                 "date": d.date or "undated", "date from": d.date_source, "topic": d.topic, "words": len(d.text.split())}
                for d in self.documents]
        return pd.DataFrame(rows, columns=["file", "format", "id", "title", "date", "date from", "topic", "words"])

    def skipped_table(self):
        """One row per skipped file: file name and the reason (what to do about it)."""
        import pandas as pd

        return pd.DataFrame([{"file": Path(p).name, "reason": r} for p, r in self.skipped], columns=["file", "reason"])

    def versions(self):
        """Topics held by more than one document, newest first: which version the newest-version rule will use."""
        import pandas as pd

        by_id = {d.id: d for d in self.documents}
        rows = []
        for topic, ids in version_groups(self.documents).items():
            ranked = [by_id[i] for i in ids]
            rows.append({"topic": topic, "newest (used)": f"{ranked[0].id} ({ranked[0].date or 'undated'}, {ranked[0].date_source})",
                         "older (superseded)": ", ".join(f"{d.id} ({d.date or 'undated'})" for d in ranked[1:])})
        return pd.DataFrame(rows, columns=["topic", "newest (used)", "older (superseded)"])


def version_groups(documents) -> dict[str, list[str]]:
    """Topics covered by more than one document -> their ids, newest first (the order the pipeline's rule uses)."""
    groups: dict[str, list] = {}
    for d in documents:
        groups.setdefault(d.topic, []).append(d)
    return {topic: [d.id for d in sorted(docs, key=lambda d: (d.date, d.id), reverse=True)]
            for topic, docs in groups.items() if len(docs) > 1}


# -- dates -------------------------------------------------------------------------------------------------------------
def _iso(y, m, d) -> str | None:
    try:
        return _date(int(y), int(m), int(d)).isoformat()
    except (ValueError, TypeError):
        return None


def _month(name: str) -> int:
    return MONTHS[name.lower()[:3]]


def find_date(text: str, *, allow_partial: bool = True) -> str | None:
    """The first date written in ``text`` as YYYY-MM-DD (ISO, '14 March 2025', 'March 14, 2025', '20250314', ...).

    With ``allow_partial``, 'March 2025' and '2025-03' count as the 1st of the month and a lone year as 1 January.
    Ambiguous numeric dates such as 03/04/2025 are read only when one part is over 12.
    """
    found = find_date_precision(text, allow_partial=allow_partial)
    return found[0] if found else None


def find_date_precision(text: str, *, allow_partial: bool = True) -> tuple[str, str] | None:
    """(YYYY-MM-DD, precision) for the first date in ``text``; precision is 'day', 'month' or 'year' (see find_date)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}.")
    found = []
    for rx, order in ((_ISO_RE, "ymd"), (_DMY_RE, "dMy"), (_MDY_RE, "Mdy"), (_COMPACT_RE, "ymd"), (_SLASH_RE, "slash")):
        for m in rx.finditer(text):
            g = m.groups()
            if order == "ymd":
                value = _iso(g[0], g[1], g[2])
            elif order == "dMy":
                value = _iso(g[2], _month(g[1]), g[0])
            elif order == "Mdy":
                value = _iso(g[2], _month(g[0]), g[1])
            else:
                a, b, y = int(g[0]), int(g[1]), g[2]
                value = _iso(y, b, a) if a > 12 >= b else _iso(y, a, b) if b > 12 >= a else None
            if value:
                found.append((m.start(), value))
    if found:
        return min(found)[1], "day"
    if not allow_partial:
        return None
    for rx, order in ((_MONTH_YEAR_RE, "My"), (_YEAR_MONTH_RE, "ym")):
        m = rx.search(text)
        if m:
            g = m.groups()
            value = _iso(g[1], _month(g[0]), 1) if order == "My" else _iso(g[0], g[1], 1)
            if value:
                return value, "month"
    m = _YEAR_RE.search(text)
    return (_iso(m.group(1), 1, 1), "year") if m else None


def _labelled(found: tuple[str, str] | None, label: str) -> tuple[str, str] | None:
    """(date, label) with ' (month only)' or ' (year only)' added when the text gave no day."""
    if not found:
        return None
    value, precision = found
    return value, label if precision == "day" else f"{label} ({precision} only)"


def date_from_lines(body: str) -> tuple[str, str] | None:
    """(date, label) from a 'Date:'/'Updated:'-style line near the top of a document; the latest such date wins."""
    head = "\n".join(body.splitlines()[:DATE_LINE_SCAN])
    best = None
    for m in _DATE_LINE_RE.finditer(head):
        key = " ".join(m.group("key").split()).capitalize()
        found = _labelled(find_date_precision(m.group("value")), f"'{key}:' line")
        if found and (best is None or found[0] > best[0]):
            best = found
    return best


def _modified_date(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime).date().isoformat()


def _topic_from_name(name: str) -> str:
    """A version-free topic from a title or file name: 'Refund policy v2 (2025)' -> 'refund-policy'."""
    s = name.lower().replace("_", " ")
    for rx in (_ISO_RE, _COMPACT_RE, _DMY_RE, _MDY_RE, _SLASH_RE, _MONTH_YEAR_RE, _YEAR_MONTH_RE, _YEAR_RE):
        s = rx.sub(" ", s)
    s = _VERSION_WORDS.sub(" ", s)
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s


def _safe_id(stem: str) -> str:
    """A file stem as a citable id: characters outside letters, digits, '_', '.', '-' become '-'."""
    return SAFE_ID_RE.sub("-", stem).strip("-") or "document"


# -- readers -----------------------------------------------------------------------------------------------------------
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


def _first_line_title(body: str) -> str | None:
    """A plain first line short enough to be a title (not a sentence ending in a full stop)."""
    for line in body.splitlines():
        line = line.strip()
        if not line:
            continue
        if len(line) <= 80 and not line.endswith((".", ":", ";", ",")):
            return line.lstrip("#").strip() or None
        return None
    return None


def _tidy(text: str) -> str:
    """Trim each line and collapse runs of blank lines (extracted text is full of them)."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out, blank = [], False
    for line in lines:
        if not line:
            if out and not blank:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    return "\n".join(out).strip()


def _read_text_file(p: Path) -> tuple[dict, str, str | None]:
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
    title = _first_heading(body) or (_first_line_title(body) if p.suffix.lower() == ".txt" else None)
    return meta, body, title


def _missing_library(p: Path, package: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(f"{p.name} needs the {package} package to be read: run `make setup` "
                              f"(or `pip install -r requirements.txt`) and restart the kernel.")


def _read_pdf(p: Path) -> tuple[dict, str, str | None]:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise _missing_library(p, "pypdf") from None
    if p.stat().st_size > MAX_PDF_BYTES:
        raise KnowledgeBaseError(f"{p.name} is larger than {MAX_PDF_BYTES // 1_000_000} MB: split it into smaller PDFs.")
    with p.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF" not in head:
        raise KnowledgeBaseError(f"{p.name} is not a PDF (no %PDF header; perhaps a renamed file): "
                                 "re-export it as PDF from the application that made it.")
    pdf_log = logging.getLogger("pypdf")
    level = pdf_log.level
    pdf_log.setLevel(logging.ERROR)  # pypdf warns about every small defect; the skip report says what matters
    try:
        reader = PdfReader(str(p), strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure here means we cannot open it
                unlocked = 0
            if not unlocked:
                raise KnowledgeBaseError(f"{p.name} is password-protected: save an unprotected copy to include it.")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = None
        try:
            info_title = (reader.metadata or {}).get("/Title")
        except Exception:  # noqa: BLE001 - a broken info dictionary is no reason to drop the text
            info_title = None
    except KnowledgeBaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for damaged files; all mean "cannot read"
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise KnowledgeBaseError(f"{p.name} is a damaged PDF that cannot be read ({reason}): "
                                 "re-export or re-download it, then run again.") from None
    finally:
        pdf_log.setLevel(level)
    body = _tidy("\n\n".join(pages))
    if not body:
        raise KnowledgeBaseError(f"{p.name} has no text layer (a scanned image?): run it through OCR or export it "
                                 "as text, then run again.")
    title = str(info_title).strip() if isinstance(info_title, str) and info_title.strip() else None
    if title and title.lower().startswith(("microsoft word", "untitled")):
        title = None
    return {}, body, title or _first_line_title(body)


def _read_docx(p: Path) -> tuple[dict, str, str | None]:
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise _missing_library(p, "python-docx") from None
    if p.stat().st_size > MAX_PDF_BYTES:
        raise KnowledgeBaseError(f"{p.name} is larger than {MAX_PDF_BYTES // 1_000_000} MB: split it into smaller files.")
    try:
        d = docx.Document(str(p))
    except Exception as exc:  # noqa: BLE001 - not a zip, missing parts, bad XML: all mean "cannot read"
        raise KnowledgeBaseError(f"{p.name} is not a readable Word file ({type(exc).__name__}; damaged, or an old .doc "
                                 "renamed to .docx): open it in Word and save it as .docx.") from None
    lines, heading = [], None
    for block in d.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append(" | ".join(dict.fromkeys(c for c in cells if c)))
            lines.append("")
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        if text and (style.startswith("Heading") or style == "Title"):
            heading = heading or text
            lines.append("# " + text)
        else:
            lines.append(text)
    body = _tidy("\n".join(lines))
    title = (d.core_properties.title or "").strip() or heading
    return {}, body, title


def _read_html(p: Path) -> tuple[dict, str, str | None]:
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        raise _missing_library(p, "beautifulsoup4") from None
    raw = p.read_bytes()
    if b"\x00" in raw[:4096]:
        raise KnowledgeBaseError(f"{p.name} looks binary (contains NUL bytes), not an HTML page.")
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav"]):
        tag.decompose()
    h1 = soup.find("h1")
    title = h1.get_text(" ", strip=True) if h1 is not None else None
    if not title and soup.title is not None:
        title = soup.title.get_text(" ", strip=True)
    if soup.head is not None:
        soup.head.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        h.replace_with(f"\n# {h.get_text(' ', strip=True)}\n")
    for block in soup.find_all(HTML_BLOCKS):
        block.insert_after("\n")
    body = _tidy((soup.body or soup).get_text())
    return {}, body, title or None


def read_document(path: str | os.PathLike) -> Document:
    """Read one .md/.txt/.pdf/.docx/.html file into a Document; raises KnowledgeBaseError saying why a file cannot be used."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str), not {type(path).__name__}.")
    p = Path(path)
    if not p.is_file():
        raise KnowledgeBaseError(f"{p} is not a file.")
    suffix = p.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        hint = FORMAT_HINTS.get(suffix, f"convert it to one of {READABLE_LABEL}")
        raise KnowledgeBaseError(f"{p.name} has an unsupported format ({suffix or 'no extension'}): {hint}.")
    size = p.stat().st_size
    if size == 0:
        raise KnowledgeBaseError(f"{p.name} is empty (0 bytes): nothing to index.")
    if suffix in TEXT_SUFFIXES + HTML_SUFFIXES and size > MAX_FILE_BYTES:
        raise KnowledgeBaseError(f"{p.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it into smaller documents.")
    if suffix in TEXT_SUFFIXES:
        meta, body, title = _read_text_file(p)
        fmt = "md" if suffix in (".md", ".markdown") else "txt"
    elif suffix in PDF_SUFFIXES:
        meta, body, title = _read_pdf(p)
        fmt = "pdf"
    elif suffix in WORD_SUFFIXES:
        meta, body, title = _read_docx(p)
        fmt = "docx"
    else:
        meta, body, title = _read_html(p)
        fmt = "html"
    if not body.strip():
        raise KnowledgeBaseError(f"{p.name} is empty: nothing to index.")
    meta = dict(meta)
    title = str(meta.get("title") or title or p.stem)
    date, source = _choose_date(p, meta, body, title)
    info = {"format": fmt, "date_source": source}
    if not meta:  # no front matter: versions of one document share a file name up to dates and version words
        topic = _topic_from_name(p.stem)
        if topic:
            info["topic"] = topic
            info["topic_source"] = "file name"
    return Document(
        id=str(meta.get("id") or _safe_id(p.stem)),
        title=title,
        date=date,
        text=body,
        path=str(p),
        meta={**info, **meta} | {"format": fmt, "date_source": source},
    )


def _choose_date(p: Path, meta: dict, body: str, title: str) -> tuple[str, str]:
    """(YYYY-MM-DD, where it came from): front matter, a Date:/Updated: line, the title, the file name, modified time."""
    if meta.get("date"):
        found = _labelled(find_date_precision(str(meta["date"])), "front matter")
        if found:
            return found
    found = date_from_lines(body)
    if found:
        return found
    if title and title != p.stem:
        found = _labelled(find_date_precision(title), "title")
        if found:
            return found
    found = _labelled(find_date_precision(p.stem), "file name")
    if found:
        return found
    return _modified_date(p), "file modified time"


# -- folders -----------------------------------------------------------------------------------------------------------
def _skip_reason(f: Path, exc: KnowledgeBaseError) -> str:
    msg = str(exc)
    return msg[len(f.name) + 1 :] if msg.startswith(f.name + " ") else msg


def load_folder(folder, *, recursive: bool = True) -> LoadReport:
    """Load every .md/.txt/.pdf/.docx/.html file of one folder (or a list of folders/files); skips are reported, not fatal."""
    items = [folder] if isinstance(folder, (str, os.PathLike)) else folder
    if items is None or isinstance(items, (bytes, bytearray)):
        raise TypeError("folder must be a path (str) or a list of paths.")
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"folder must be a path (str) or a list of paths, not {type(folder).__name__}.") from None
    if not items:
        raise KnowledgeBaseError(f"No folder given: pass the path of a folder holding {READABLE_LABEL} files.")
    files: list[Path] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"each folder must be a path (str), not {type(item).__name__}.")
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
            doc = Document(new_id, doc.title, doc.date, doc.text, doc.path, doc.meta)
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
    return LoadReport(docs, skipped)


def kb_folder() -> str:
    """Path of the bundled Tidewell knowledge base (ai_pm_lab/data/rag/kb)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb"))


def injection_folder() -> str:
    """Path of the folder holding the prompt-injection demo document (kept out of the main base)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb_injection"))


def scoped_folder() -> str:
    """Path of the folder holding the EU edition of the refund policy (a scoped version, kept out of the main base)."""
    return str(resources.files("ai_pm_lab").joinpath("data/rag/kb_scoped"))


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
