"""A sample 'own folder' in mixed formats (.md, .txt, .pdf, .docx, .html, plus broken files), rendered from editable text.

The folder follows the capstone layout a learner can copy: documents at the top level, an optional ``questions.csv``
(what customers ask, the expected answer, the source file, how often it is asked) and an optional ``additions/``
folder holding content written later to fill a gap the logs revealed.
"""
from __future__ import annotations

import csv
import html
import json
import os
import shutil
import textwrap
from datetime import datetime
from pathlib import Path

from ai_pm_lab.datafiles import data_text
from ai_pm_lab.errors import InputError, InputTypeError

SAMPLE_FILE = "capstone/sample_folder.json"
QUESTIONS_FILE = "questions.csv"
ADDITIONS_DIR = "additions"
QUESTION_COLUMNS = ("question", "answer", "source", "count")
UNDATED_MTIME = datetime(2025, 5, 20, 9, 0).timestamp()  # fixed, so the sample's 'file modified time' date is the same on every run


def sample_spec() -> dict:
    """The sample folder's content (documents, problem files, additions, questions) as plain data."""
    return json.loads(data_text(SAMPLE_FILE))


def simple_pdf(paragraphs, *, title: str | None = None, width: int = 88, lines_per_page: int = 48) -> bytes:
    """A real, minimal PDF (Helvetica text, one text object per page) that pypdf and PDF viewers read.

    Written by hand (about 40 lines) so the course needs no PDF-writing library; it supports Latin-1 text only.
    """
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    lines: list[str] = []
    for para in paragraphs:
        lines.extend(textwrap.wrap(str(para), width) or [""])
        lines.append("")

    def esc(s: str) -> bytes:
        s = s.encode("latin-1", "replace").decode("latin-1")
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")

    pages = [lines[i : i + lines_per_page] for i in range(0, max(len(lines), 1), lines_per_page)]
    n_pages = len(pages)
    # objects: 1 catalog, 2 pages, 3 font, then (page, content) pairs, then the optional info dictionary
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                         b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for page in pages:
        page_no, content_no = len(objs) + 1, len(objs) + 2
        kids.append(f"{page_no} 0 R".encode())
        stream = b"BT\n/F1 11 Tf\n14 TL\n72 760 Td\n" + b"".join(b"(" + esc(ln) + b") '\n" for ln in page) + b"ET"
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % content_no)
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % n_pages
    if title:
        objs.append(b"<< /Title (" + esc(title) + b") /Producer (AI PM Lab) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objs) + 1) + (b" /Info %d 0 R" % len(objs) if title else b"")
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def write_docx(path, paragraphs, *, title: str | None = None) -> Path:
    """A Word file (python-docx): paragraphs starting with '# ' become headings."""
    import docx

    d = docx.Document()
    if title:
        d.core_properties.title = title
    for para in paragraphs:
        if para.startswith("# "):
            d.add_heading(para[2:], level=1)
        else:
            d.add_paragraph(para)
    d.save(str(path))
    return Path(path)


def html_page(paragraphs, *, title: str | None = None) -> str:
    """A plain HTML page: paragraphs starting with '# ' become <h1>, the rest <p>; a script that must not be indexed."""
    body = "\n".join(f"<h1>{html.escape(p[2:])}</h1>" if p.startswith("# ") else f"<p>{html.escape(p)}</p>"
                     for p in paragraphs)
    head = f"<title>{html.escape(title)} | Harbour Bikes help</title>" if title else ""
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\">{head}<style>p {{ margin: 0 }}</style></head>\n"
            f"<body><nav>Home | Help | Contact</nav>\n{body}\n<script>trackVisit();</script></body></html>\n")


def write_document(folder, entry: dict) -> Path:
    """Render one entry (file, paragraphs, optional title) in the format its file name asks for."""
    path = Path(folder) / entry["file"]
    paragraphs = list(entry["paragraphs"])
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        path.write_bytes(simple_pdf(paragraphs, title=entry.get("title")))
    elif suffix == ".docx":
        write_docx(path, paragraphs, title=entry.get("title"))
    elif suffix in (".html", ".htm"):
        path.write_text(html_page(paragraphs, title=entry.get("title")), encoding="utf-8")
    elif suffix in (".md", ".txt"):
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    else:
        raise InputError(f"write_document cannot render {path.name}: use .md, .txt, .pdf, .docx or .html.")
    return path


def write_problem_file(folder, entry: dict) -> Path:
    """A file the loader must skip: a damaged PDF, an empty text file or an image."""
    path = Path(folder) / entry["file"]
    kind = entry["kind"]
    if kind == "corrupt_pdf":
        path.write_bytes(simple_pdf(["This scan was cut off half-way through the upload."])[:180])
    elif kind == "empty":
        path.write_text("", encoding="utf-8")
    elif kind == "image":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    else:
        raise InputError(f"unknown problem kind {kind!r}: use corrupt_pdf, empty or image.")
    return path


def write_questions(path, rows) -> Path:
    """A questions.csv with the columns question, answer, source, count."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=QUESTION_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in QUESTION_COLUMNS})
    return Path(path)


def write_sample_folder(path, *, problems: bool = True) -> Path:
    """Write the Harbour Bikes sample as a learner's folder (documents, questions.csv, additions/); returns its path.

    The folder is emptied first, so a re-run leaves exactly the sample. ``problems=False`` leaves out the broken files.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path must be a folder path (str), not {type(path).__name__}.")
    folder = Path(path).expanduser()
    if folder.exists():
        if not folder.is_dir():
            raise InputError(f"{folder} is a file: give write_sample_folder a folder path.")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    spec = sample_spec()
    for entry in spec["documents"]:
        write_document(folder, entry)
    undated = folder / "getting-started.md"
    if undated.exists():
        os.utime(undated, (UNDATED_MTIME, UNDATED_MTIME))
    if problems:
        for entry in spec["problems"]:
            write_problem_file(folder, entry)
    additions = folder / ADDITIONS_DIR
    additions.mkdir()
    for entry in spec["additions"]:
        write_document(additions, entry)
    write_questions(folder / QUESTIONS_FILE, spec["questions"])
    return folder
