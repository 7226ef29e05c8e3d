"""A learner's own folder: .md, .txt, .pdf, .docx and .html without front matter, dated, versioned, skips explained."""
import os
from datetime import datetime

import pytest

from ai_pm_lab.capstone.samples import simple_pdf, write_docx, write_sample_folder
from ai_pm_lab.rag.documents import (KnowledgeBaseError, find_date, find_date_precision, load_folder, read_document,
                                     version_groups)


def _mixed_folder(tmp_path):
    """Five formats, none with front matter, each dated a different way."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "returns-policy-2023.txt").write_text("Returns policy\nDate: 2 January 2023\nItems can be returned within 14 days.\n")
    write_docx(folder / "Returns Policy v2.docx", ["# Returns policy", "Updated: 2025-04-30",
                                                   "Items can be returned within 45 days of delivery."])
    (folder / "shipping_2024-11-05.pdf").write_bytes(
        simple_pdf(["Shipping", "Standard shipping takes 3 to 5 working days and costs 4.90 euros."]))
    (folder / "warranty.html").write_text(
        "<html><head><title>Warranty (March 2025)</title><script>var x = 'do not index me';</script></head>"
        "<body><p>Every kettle has a <b>two-year</b> warranty.</p><p>Keep your receipt.</p></body></html>")
    (folder / "care-guide.md").write_text("# Care guide\n\nDescale the kettle every month with white vinegar.\n")
    stamp = datetime(2024, 7, 9, 12, 0).timestamp()
    os.utime(folder / "care-guide.md", (stamp, stamp))
    return folder


def test_every_format_is_read_and_dated_with_its_source(tmp_path):
    report = load_folder(_mixed_folder(tmp_path))
    table = report.table().set_index("file")
    assert report.skipped == []
    assert sorted(table["format"]) == ["docx", "html", "md", "pdf", "txt"]
    assert table.loc["returns-policy-2023.txt", "date"] == "2023-01-02"
    assert table.loc["returns-policy-2023.txt", "date from"] == "'Date:' line"
    assert table.loc["Returns Policy v2.docx", "date"] == "2025-04-30"
    assert table.loc["Returns Policy v2.docx", "date from"] == "'Updated:' line"
    assert table.loc["shipping_2024-11-05.pdf", "date from"] == "file name"
    assert table.loc["shipping_2024-11-05.pdf", "date"] == "2024-11-05"
    assert table.loc["warranty.html", "date from"] == "title (month only)"
    assert table.loc["warranty.html", "date"] == "2025-03-01"
    assert table.loc["care-guide.md", "date from"] == "file modified time"
    assert table.loc["care-guide.md", "date"] == "2024-07-09"
    texts = {d.format: d.text for d in report.documents}
    assert "two-year warranty" in texts["html"] and "do not index me" not in texts["html"]
    assert "4.90 euros" in texts["pdf"] and "45 days" in texts["docx"]


def test_newest_version_rule_works_without_front_matter(tmp_path):
    report = load_folder(_mixed_folder(tmp_path))
    docs = {d.id: d for d in report.documents}
    old, new = docs["returns-policy-2023"], docs["Returns-Policy-v2"]
    assert old.topic == new.topic == "returns-policy"
    versions = report.versions()
    assert len(versions) == 1 and versions.iloc[0]["newest (used)"].startswith("Returns-Policy-v2")
    assert version_groups(report.documents) == {"returns-policy": ["Returns-Policy-v2", "returns-policy-2023"]}


def test_skip_report_names_every_problem(tmp_path):
    folder = _mixed_folder(tmp_path)
    (folder / "broken.pdf").write_bytes(simple_pdf(["cut short"])[:150])
    (folder / "renamed.pdf").write_bytes(b"PK\x03\x04 this is a zip, not a pdf")
    (folder / "scan.pdf").write_bytes(simple_pdf([""]))
    (folder / "bad.docx").write_bytes(b"not a word file at all")
    (folder / "empty.txt").write_text("")
    (folder / "blank.md").write_text("   \n\n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (folder / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "~$turns Policy v2.docx").write_bytes(b"lock")
    report = load_folder(folder)
    reasons = dict(report.skipped_table()[["file", "reason"]].values)
    assert len(report.documents) == 5
    assert set(reasons) == {"broken.pdf", "renamed.pdf", "scan.pdf", "bad.docx", "empty.txt", "blank.md", "binary.txt",
                            "legacy.doc", "photo.png", "~$turns Policy v2.docx"}
    assert "damaged PDF" in reasons["broken.pdf"]
    assert "not a PDF" in reasons["renamed.pdf"]
    assert "no text layer" in reasons["scan.pdf"]
    assert "not a readable Word file" in reasons["bad.docx"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert ".docx" in reasons["legacy.doc"] and "unsupported" in reasons["photo.png"]
    assert "lock file" in reasons["~$turns Policy v2.docx"]
    assert f"skipped {len(reasons)}" in report.summary()


def test_corrupt_pdf_alone_is_a_clear_error(tmp_path):
    (tmp_path / "only.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(KnowledgeBaseError, match="damaged PDF"):
        read_document(tmp_path / "only.pdf")
    with pytest.raises(KnowledgeBaseError, match="none of its 1 file"):
        load_folder(tmp_path)


def test_missing_empty_and_unreadable_folders_say_what_to_do(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="does not exist.*create the folder"):
        load_folder(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KnowledgeBaseError, match="the folder is empty.*.pdf, .docx and .html"):
        load_folder(empty)
    (empty / ".hidden.md").write_text("hidden files do not count")
    with pytest.raises(KnowledgeBaseError, match="the folder is empty"):
        load_folder(empty)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.png").write_bytes(b"\x89PNG")
    (junk / "b.txt").write_text("")
    with pytest.raises(KnowledgeBaseError, match=r"none of its 2 file\(s\) could be read.*a.png.*b.txt"):
        load_folder(junk)
    with pytest.raises(TypeError):
        read_document(42)


def test_same_name_in_two_formats_keeps_both(tmp_path):
    (tmp_path / "faq.md").write_text("# FAQ\nUpdated: 2025-01-01\nWe open at nine.")
    (tmp_path / "faq.html").write_text("<p>Updated: 2025-06-01</p><p>We open at eight.</p>")
    report = load_folder(tmp_path)
    assert sorted(d.id for d in report.documents) == ["faq", "faq-md"]  # files are read in name order
    assert report.versions().iloc[0]["newest (used)"].startswith("faq (2025-06-01")


def test_front_matter_still_wins(tmp_path):
    (tmp_path / "p.md").write_text("---\nid: p1\ndate: 2020-05-05\ntopic: t\n---\nUpdated: 2025-01-01\nBody text.")
    doc = load_folder(tmp_path).documents[0]
    assert (doc.id, doc.date, doc.date_source, doc.topic) == ("p1", "2020-05-05", "front matter", "t")


@pytest.mark.parametrize("text, expected, precision", [
    ("Updated 14 March 2025", "2025-03-14", "day"),
    ("March 14, 2025", "2025-03-14", "day"),
    ("2025/03/14", "2025-03-14", "day"),
    ("report_20250314_final", "2025-03-14", "day"),
    ("13/04/2025", "2025-04-13", "day"),
    ("04/13/2025", "2025-04-13", "day"),
    ("Sept 2024", "2024-09-01", "month"),
    ("notes-2025-10", "2025-10-01", "month"),
    ("plan 2024", "2024-01-01", "year"),
    ("2025-02-30 then 2025-03-01", "2025-03-01", "day"),
])
def test_find_date(text, expected, precision):
    assert find_date_precision(text) == (expected, precision)


def test_find_date_refuses_what_it_cannot_read():
    assert find_date("no date here, 12 items") is None
    assert find_date("03/04/2025", allow_partial=False) is None  # day or month first? not guessed
    with pytest.raises(TypeError):
        find_date(None)


def test_sample_folder_is_rewritten_cleanly(tmp_path):
    folder = write_sample_folder(tmp_path / "sample")
    (folder / "stale.md").write_text("# left from an earlier run")
    folder = write_sample_folder(tmp_path / "sample")
    assert not (folder / "stale.md").exists()
    report = load_folder([p for p in folder.iterdir() if p.is_file() and p.name != "questions.csv"])
    assert {d.format for d in report.documents} == {"md", "txt", "pdf", "docx", "html"}
    assert len(report.skipped) == 3 and len(report.versions()) == 1
