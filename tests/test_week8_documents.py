"""A learner's own folder: .md, .txt, .pdf, .docx and .html without front matter, dated, versioned, skips explained."""
import os
from datetime import datetime

import pytest

from ai_pm_lab.capstone.samples import simple_pdf, write_docx, write_sample_folder
from ai_pm_lab.rag.dates import read_date
from ai_pm_lab.rag.documents import (
    VERSION_SIMILARITY,
    KnowledgeBaseError,
    find_date,
    find_date_precision,
    load_folder,
    name_key,
    read_document,
    version_groups,
)
from ai_pm_lab.rag.versions import text_overlap


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
    with pytest.raises(TypeError):
        find_date(None)


# -- dates read by dateutil, day first when ambiguous, impossible dates refused -------------------------------
@pytest.mark.parametrize("text, expected, precision, order", [
    ("05/05/2025", "2025-05-05", "day", ""),  # was read as the year only (2025-01-01)
    ("05/06/2025", "2025-06-05", "day", "day first"),  # two readings: the course reads day first, and says so
    ("13/04/2025", "2025-04-13", "day", ""),  # one reading only
    ("04/13/2025", "2025-04-13", "day", ""),
    ("2025-06-31", None, None, ""),  # was silently moved to June (2025-06-01)
    ("2024-13-45", None, None, ""),  # was silently moved to 2024-01-01
    ("31 June 2025", None, None, ""),
    ("2025-02-30 then 2025-03-01", "2025-03-01", "day", ""),
])
def test_read_date_reads_or_refuses(text, expected, precision, order):
    found = read_date(text)
    assert (found.value, found.precision, found.order) == (expected, precision, order)
    assert find_date_precision(text) == ((expected, precision) if expected else None)
    if expected is None or "then" in text:
        assert len(found.rejected) == 1 and found.rejected[0][0] in text


def _dated(folder, name, text, stamp=datetime(2024, 7, 9, 12, 0)):
    path = folder / name
    path.write_text(text)
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))
    return path


def test_ambiguous_dates_say_how_they_were_read(tmp_path):
    _dated(tmp_path, "a.md", "# A\nUpdated: 05/05/2025\nAlpha.")
    _dated(tmp_path, "b.md", "# B\nUpdated: 05/06/2025\nBeta.")
    table = load_folder(tmp_path).table().set_index("file")
    assert (table.loc["a.md", "date"], table.loc["a.md", "date from"]) == ("2025-05-05", "'Updated:' line")
    assert table.loc["b.md", "date"] == "2025-06-05" and "read day first" in table.loc["b.md", "date from"]


def test_impossible_dates_are_refused_with_a_note(tmp_path):
    _dated(tmp_path, "june.md", "# June note\nUpdated: 2025-06-31\nSome text.")
    _dated(tmp_path, "fm.md", "---\nid: fm\ndate: 2024-13-45\n---\nFront matter with a broken date.")
    _dated(tmp_path, "ok.md", "# Fine\nUpdated: 2025-06-30\nNothing wrong here.")
    report = load_folder(tmp_path)
    docs = {d.id: d for d in report.documents}
    assert (docs["june"].date, docs["june"].date_source) == ("2024-07-09", "file modified time")  # not 2025-06-01
    assert (docs["fm"].date, docs["fm"].date_source) == ("2024-07-09", "file modified time")  # not 2024-01-01
    assert docs["ok"].date == "2025-06-30"
    notes = report.date_notes().set_index("file")
    assert sorted(notes.index) == ["fm.md", "june.md"]
    assert (notes.loc["june.md", "text"], notes.loc["fm.md", "text"]) == ("2025-06-31", "2024-13-45")
    assert notes.loc["fm.md", "where"] == "front matter" and "month" in notes.loc["fm.md", "problem"]
    assert "YYYY-MM-DD" in notes.loc["june.md", "fix"] and notes.loc["june.md", "date used"].startswith("2024-07-09")
    assert "2 impossible date(s)" in report.summary()


# -- only real versions of one document are grouped --------------------------------------------------------------
ONBOARDING = (
    "# New customer onboarding\nWhen a new customer signs, the account manager sends the welcome pack within one working "
    "day and books a kickoff call for the first week. Finance creates the invoice account. After 30 days the account "
    "manager runs a check-in call to review adoption and asks for a reference.\n",
    "# Customer onboarding\nThis guide helps you get started. Create your workspace, invite your team from Settings, "
    "connect your calendar and publish your first schedule. Need help? Chat with us from the app.\n",
)
MEETINGS = (
    "# Meeting notes\nDate: 2025-01-10\nAttendees: Ana, Ben, Chloe\nAgenda: pricing page redesign.\n"
    "Decision: test two price anchors in February. Action: Ben drafts the copy by Friday.\n",
    "# Meeting notes\nDate: 2025-02-14\nAttendees: Ana, Dev, Chloe\nAgenda: mobile app crash reports.\n"
    "Decision: roll back release 4.2 on Android. Action: Dev files the incident review by Monday.\n",
)
TRAVEL = (
    "# Travel policy\nUpdated: 2024-02-01\nBook flights through the travel desk at least 14 days ahead. Economy class "
    "only. Hotels up to 120 euros a night. Submit receipts within 30 days.\n",
    "# Travel policy\nUpdated: 2025-03-01\nBook flights through the travel desk at least 21 days ahead. Economy class "
    "only; premium economy on flights over 8 hours. Hotels up to 150 euros a night. Submit receipts within 30 days.\n",
)


def test_only_real_versions_are_grouped(tmp_path):
    (tmp_path / "new-customer-onboarding.md").write_text(ONBOARDING[0])
    (tmp_path / "customer-onboarding.md").write_text(ONBOARDING[1])
    (tmp_path / "meeting-notes-2025-01-10.md").write_text(MEETINGS[0])
    (tmp_path / "meeting-notes-2025-02-14.md").write_text(MEETINGS[1])
    (tmp_path / "travel-policy-v1.md").write_text(TRAVEL[0])
    (tmp_path / "travel-policy-v2.md").write_text(TRAVEL[1])
    report = load_folder(tmp_path)
    topics = {d.id: d.topic for d in report.documents}
    assert len(set(topics.values())) == 5  # six files, one pair of versions
    assert topics["travel-policy-v1"] == topics["travel-policy-v2"] == "travel-policy"
    assert topics["new-customer-onboarding"] != topics["customer-onboarding"]
    assert topics["meeting-notes-2025-01-10"] != topics["meeting-notes-2025-02-14"]
    assert version_groups(report.documents) == {"travel-policy": ["travel-policy-v2", "travel-policy-v1"]}
    versions = report.versions()
    assert len(versions) == 1 and versions.iloc[0]["newest (used)"].startswith("travel-policy-v2 (2025-03-01")
    assert versions.iloc[0]["files"] == "travel-policy-v2.md, travel-policy-v1.md"
    assert "same name" in versions.iloc[0]["why grouped"] and "share" in versions.iloc[0]["why grouped"]
    checks = report.version_checks().set_index("name")
    assert sorted(checks.index) == ["customer-onboarding", "meeting-notes", "travel-policy"]
    assert checks.loc["travel-policy", "decision"].startswith("versions")
    assert checks.loc["meeting-notes", "decision"].startswith("different")
    assert checks.loc["customer-onboarding", "words shared"] < VERSION_SIMILARITY <= checks.loc["travel-policy", "words shared"]


# Pairs written after VERSION_SIMILARITY was chosen (on the course's own pairs): the rule measured on new data.
HELD_OUT_VERSIONS = [
    ("# Security FAQ\nAll data is encrypted at rest with AES-256 and in transit with TLS 1.2 or later. We run a "
     "penetration test every year and share the summary under NDA. Staff access to customer data needs approval "
     "from the security lead and is logged.",
     "# Security FAQ\nAll data is encrypted at rest with AES-256 and in transit with TLS 1.3. We run a penetration "
     "test twice a year and share the summary under NDA. Staff access to customer data needs approval from the "
     "security lead, is logged, and expires after 24 hours. We are SOC 2 Type II certified."),
    ("# Pricing\nThe Starter plan costs 8 dollars per user per month and includes scheduling and time tracking. "
     "The Team plan costs 14 dollars and adds payroll export. Annual billing saves 15 percent.",
     "# Pricing\nThe Starter plan costs 9 dollars per user per month and includes scheduling, time tracking and "
     "shift swaps. The Team plan costs 16 dollars and adds payroll export and overtime alerts. Annual billing "
     "saves 20 percent."),
    ("Expenses policy\nSubmit receipts within 30 days. Meals are covered up to 25 euros a day when travelling. "
     "Taxis need a manager's approval. Claims are paid with the next salary.",
     "Expenses policy\nSubmit receipts in the app within 60 days. Meals are covered up to 35 euros a day when "
     "travelling for work. Taxis after 22:00 need no approval; other taxis need a manager's approval. Claims are "
     "paid with the next salary."),
]
HELD_OUT_DIFFERENT = [
    ("# Copy guidelines\nWrite in plain English. Use sentence case for headings. Address the reader as you. Keep "
     "buttons to two or three words, starting with a verb.",
     "# Community guidelines\nBe respectful to other members. No spam, advertising or personal data in posts. "
     "Moderators may remove posts that break these rules and ban repeat offenders."),
    ("# Weekly report\nShipped: the new invoice layout and the CSV export fix.\nBlocked: waiting for legal review "
     "of the data processing terms.\nNext week: start the Android widget.",
     "# Weekly report\nShipped: SSO for Okta customers.\nBlocked: nothing.\nNext week: load test the scheduling "
     "API before the spring peak."),
    ("# New hire checklist\nBefore day one: order the laptop, create the email account and add the person to "
     "payroll. On day one: give a building badge and book lunch with the team.",
     "# Hire checklist\nWrite the job description, agree the salary band with finance, post the job, schedule two "
     "interview rounds and collect written feedback from every interviewer before deciding."),
]


def test_version_rule_on_pairs_written_separately():
    assert [text_overlap(a, b) >= VERSION_SIMILARITY for a, b in HELD_OUT_VERSIONS] == [True] * 3
    assert [text_overlap(a, b) >= VERSION_SIMILARITY for a, b in HELD_OUT_DIFFERENT] == [False] * 3
    assert name_key("security-faq-final") == name_key("Security FAQ") == "security-faq"
    assert name_key("copy-guidelines") == name_key("guidelines")  # same name: only the text keeps them apart


# -- an empty string is not a folder -----------------------------------------------------------------------------
@pytest.mark.parametrize("folder", ["", "   ", ["", "docs"]])
def test_empty_string_is_not_a_folder(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "unrelated.md").write_text("# Unrelated\nA file that happens to sit in the current folder.")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\nText.")
    with pytest.raises(KnowledgeBaseError, match="empty string.*None"):
        load_folder(folder)


def test_sample_folder_is_rewritten_cleanly(tmp_path):
    folder = write_sample_folder(tmp_path / "sample")
    (folder / "stale.md").write_text("# left from an earlier run")
    folder = write_sample_folder(tmp_path / "sample")
    assert not (folder / "stale.md").exists()
    report = load_folder([p for p in folder.iterdir() if p.is_file() and p.name != "questions.csv"])
    assert {d.format for d in report.documents} == {"md", "txt", "pdf", "docx", "html"}
    assert len(report.skipped) == 3 and len(report.versions()) == 1
