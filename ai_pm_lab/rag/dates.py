"""Dates written in documents: find them, read them with dateutil, and say where each came from and what was refused.

Candidate dates are located with patterns (ISO ``2025-03-14``, ``14 March 2025``, ``March 14, 2025``, ``20250314``,
``14/03/2025``, then ``March 2025``, ``2025-03`` and a lone year) and each one is read by ``dateutil.parser``, which
also refuses impossible dates such as ``2025-06-31`` or ``2024-13-45``. A refused date is never moved to a nearby real
one: it is returned in ``DateFound.rejected`` so the loader can tell the learner which text to fix.

Numeric dates such as ``05/06/2025`` can be read two ways. The course reads them **day first** (5 June 2025, the
order used in most of the world) and says so in the label; a date whose first part is over 12 (``13/04/2025``) or
second part is over 12 (``04/13/2025``) has only one reading and gets it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dateutil import parser as date_parser

from ai_pm_lab.errors import InputTypeError

DAY_FIRST = True  # how 05/06/2025 is read: 5 June (day first), never guessed silently (the label says so)
DATE_LINE_SCAN = 30  # how many lines from the top a "Date:"/"Updated:" line may sit
DATE_FIX = "write it as YYYY-MM-DD (for example 2025-06-30)"

_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
ISO_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/._](\d{1,2})[-/._](\d{1,2})(?!\d)")
COMPACT_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
DMY_RE = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\.?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
MDY_RE = re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
SLASH_RE = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d{2})(?!\d)")
MONTH_YEAR_RE = re.compile(_MONTH + r"\.?,?\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
YEAR_MONTH_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.](\d{1,2})(?![\d])")
YEAR_RE = re.compile(r"(?<![\d])((?:19|20)\d{2})(?![\d])")
DAY_PATTERNS = (ISO_RE, DMY_RE, MDY_RE, COMPACT_RE, SLASH_RE)
PARTIAL_PATTERNS = (MONTH_YEAR_RE, YEAR_MONTH_RE, YEAR_RE)
DATE_LINE_RE = re.compile(
    r"^[\s>*_#|-]*(?P<key>last[ \t]+updated|updated|last[ \t]+modified|last[ \t]+revised|revised|effective[ \t]+date|"
    r"effective[ \t]+from|effective|published|date)[*_]*[ \t]*:[*_ \t]*(?P<value>.+)$",
    re.IGNORECASE | re.MULTILINE,
)
# Two defaults that differ in month and day: a field dateutil filled from the default differs between the two reads.
_DEFAULT_A, _DEFAULT_B = datetime(1904, 1, 1), datetime(1904, 2, 2)


@dataclass(frozen=True)
class DateFound:
    """What one piece of text says about its date: the date read (or None), how precise, and any date refused."""

    value: str | None = None  # YYYY-MM-DD
    precision: str | None = None  # 'day', 'month' or 'year'
    text: str = ""  # the words the date was read from
    order: str = ""  # how an ambiguous numeric date (05/06/2025) was read: 'day first' or 'month first'; '' otherwise
    rejected: tuple = ()  # (text, why) for every impossible date seen, e.g. ('2025-06-31', 'June has no day 31')

    def label(self, source: str) -> str:
        """``source`` plus how the date was read: ' (month only)', ' (year only)', ' (05/06/2025 read day first)'."""
        extra = [] if self.precision in (None, "day") else [f"{self.precision} only"]
        if self.order:
            extra.append(f"{self.text} read {self.order}")
        return f"{source} ({'; '.join(extra)})" if extra else source


def _why_impossible(exc: Exception) -> str:
    msg = str(exc).split(":")[0].strip()
    return {"day is out of range for month": "that month has no such day",
            "month must be in 1..12": "there is no such month (months run 1 to 12)"}.get(msg, "not a real date")


def _candidate(rx, m) -> tuple[str, bool]:
    """The located date in a form dateutil reads one way only, and whether day-first applies (d/m/y forms only)."""
    g = m.groups()
    if rx is ISO_RE:
        return f"{g[0]}-{g[1]}-{g[2]}", False
    if rx is YEAR_MONTH_RE:
        return f"{g[0]}-{g[1]}", False
    return m.group(0), rx is SLASH_RE


def _parse(text: str, *, dayfirst: bool) -> tuple[str | None, str | None, str]:
    """(YYYY-MM-DD, precision, '') for one located date, or (None, None, why) when dateutil refuses it."""
    try:
        a = date_parser.parse(text, default=_DEFAULT_A, dayfirst=dayfirst, yearfirst=False)
        b = date_parser.parse(text, default=_DEFAULT_B, dayfirst=dayfirst, yearfirst=False)
    except (date_parser.ParserError, ValueError, OverflowError) as exc:
        return None, None, _why_impossible(exc)
    if a.year != b.year:  # no year written: not a date the course can place
        return None, None, "no year"
    precision = "day" if a.day == b.day else "month" if a.month == b.month else "year"
    return a.date().isoformat(), precision, ""


def _overlaps(span, spans) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def read_date(text: str, *, allow_partial: bool = True, dayfirst: bool = DAY_FIRST) -> DateFound:
    """The first real date written in ``text`` (see the module docstring), with every impossible date it refused."""
    if not isinstance(text, str):
        raise InputTypeError(f"text must be a string, not {type(text).__name__}.")
    found, rejected, bad_spans = [], [], []
    for rx in DAY_PATTERNS:
        for m in rx.finditer(text):
            candidate, order_matters = _candidate(rx, m)
            value, precision, why = _parse(candidate, dayfirst=dayfirst and order_matters)
            if value is None:
                rejected.append((m.start(), m.group(0), why))
                bad_spans.append(m.span())
                continue
            ambiguous = rx is SLASH_RE and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)
            found.append((m.start(), value, precision, m.group(0), ambiguous))
    refused = tuple((t, why) for _, t, why in sorted(rejected))
    if found:
        _, value, precision, matched, ambiguous = min(found)
        order = ("day first" if dayfirst else "month first") if ambiguous else ""
        return DateFound(value, precision, matched, order, refused)
    if allow_partial:
        for rx in PARTIAL_PATTERNS:
            for m in rx.finditer(text):
                if _overlaps(m.span(), bad_spans):  # part of a refused date: '2024-13-45' is not '2024'
                    continue
                value, precision, _ = _parse(_candidate(rx, m)[0], dayfirst=False)
                if value is not None:
                    return DateFound(value, precision, m.group(0), "", refused)
    return DateFound(rejected=refused)


def find_date_precision(text: str, *, allow_partial: bool = True) -> tuple[str, str] | None:
    """(YYYY-MM-DD, precision) for the first real date in ``text``; precision is 'day', 'month' or 'year' (see find_date)."""
    found = read_date(text, allow_partial=allow_partial)
    return (found.value, found.precision) if found.value else None


def find_date(text: str, *, allow_partial: bool = True) -> str | None:
    """The first real date written in ``text`` as YYYY-MM-DD (ISO, '14 March 2025', 'March 14, 2025', '20250314', ...).

    With ``allow_partial``, 'March 2025' and '2025-03' count as the 1st of the month and a lone year as 1 January.
    Ambiguous numeric dates such as 03/04/2025 are read day first (3 April); impossible dates are never read.
    """
    return read_date(text, allow_partial=allow_partial).value


def date_from_lines_found(body: str) -> tuple[DateFound, str]:
    """(best DateFound, label) over the 'Date:'/'Updated:'-style lines near the top; the latest such date wins.

    Impossible dates on any of those lines are gathered in the returned DateFound's ``rejected``."""
    head = "\n".join(body.splitlines()[:DATE_LINE_SCAN])
    best, label, refused = DateFound(), "", []
    for m in DATE_LINE_RE.finditer(head):
        key = " ".join(m.group("key").split()).capitalize()
        found = read_date(m.group("value"))
        refused.extend(found.rejected)
        if found.value and (best.value is None or found.value > best.value):
            best, label = found, found.label(f"'{key}:' line")
    return DateFound(best.value, best.precision, best.text, best.order, tuple(refused)), label


def date_from_lines(body: str) -> tuple[str, str] | None:
    """(date, label) from a 'Date:'/'Updated:'-style line near the top of a document; the latest such date wins."""
    found, label = date_from_lines_found(body)
    return (found.value, label) if found.value else None


def modified_date(path: Path) -> str:
    """The file's modified time as YYYY-MM-DD (the last resort for dating a document)."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime).date().isoformat()


def strip_dates(text: str) -> str:
    """``text`` with every date-like part (full, month-year, year) replaced by a space (for comparing file names)."""
    for rx in (*DAY_PATTERNS, *PARTIAL_PATTERNS):
        text = rx.sub(" ", text)
    return text
