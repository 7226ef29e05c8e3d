"""File readers: the text, title and front matter of one .md, .txt, .pdf, .docx or .html file, or a clear reason why not.

Each reader returns ``(front matter, body text, title or None)``; ``read_file`` picks the reader by suffix and checks
size and format first. Every failure is a ``KnowledgeBaseError`` whose message starts with the file name and says what
to do, so a folder load can list it as a skip instead of stopping.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from ai_pm_lab.errors import InputTypeError, KnowledgeBaseError, require_text

TEXT_SUFFIXES = (".md", ".txt", ".markdown")
PDF_SUFFIXES = (".pdf",)
WORD_SUFFIXES = (".docx",)
HTML_SUFFIXES = (".html", ".htm")
READABLE_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + WORD_SUFFIXES + HTML_SUFFIXES
READABLE_LABEL = ".md, .txt, .pdf, .docx and .html"
MAX_FILE_BYTES = 5_000_000
MAX_PDF_BYTES = 25_000_000
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

HTML_BLOCKS = ["p", "div", "li", "tr", "td", "th", "section", "article", "table", "ul", "ol", "blockquote", "pre", "dd",
               "dt", "header", "footer", "main", "aside", "form", "figure", "figcaption", "hr"]


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


def read_file(path: str | os.PathLike) -> tuple[dict, str, str | None, str]:
    """(front matter, body, title or None, format) of one readable file; raises KnowledgeBaseError saying why not."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path must be a file path (str), not {type(path).__name__}.")
    p = Path(path)
    if not p.is_file():
        raise KnowledgeBaseError(f"{str(path)!r} is not a file: give the path of one document ({READABLE_LABEL}).")
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
    return dict(meta), body, title, fmt
