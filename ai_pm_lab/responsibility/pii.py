"""Personal data out of prompts: detect and redact emails, phone numbers (phonenumbers), card numbers (Luhn check),
IBANs (mod-97 check) and names (a small list) before text goes to a hosted model, and measure what it misses."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import phonenumbers
from sklearn.metrics import precision_score, recall_score

from ai_pm_lab.datafiles import data_jsonl, data_text
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.llm import generate, get_backend
from ai_pm_lab.tables import returns_course_table

TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "NAME")
SAMPLES_FILE = "responsibility/pii_samples.jsonl"
NAMES_FILE = "responsibility/first_names.txt"
DEFAULT_REGIONS = ("US", "GB")
EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})")
# IBAN lengths of the countries the course's samples and most European customers use (ISO 13616 registry).
IBAN_LENGTHS = {"AT": 20, "BE": 16, "CH": 21, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "IE": 22,
                "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24}
SURNAME = r"(?:[A-Z][a-zà-ÿ]+(?:['’-][A-Z]?[a-zà-ÿ]+)?|[A-Z]['’][A-Z][a-zà-ÿ]+)"


@dataclass(frozen=True)
class Entity:
    """One piece of personal data found in a text: its type, where it is, and the text itself."""

    type: str
    start: int
    end: int
    text: str


def luhn_valid(number: str) -> bool:
    """Whether a card number passes the Luhn checksum (spaces and dashes ignored)."""
    digits = [int(c) for c in require_text(number, "number") if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Whether an IBAN passes the ISO 7064 mod-97 check (spaces ignored, any case)."""
    s = re.sub(r"\s", "", require_text(iban, "iban")).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The small list of first names the name detector knows."""
    return frozenset(ln.strip() for ln in data_text(NAMES_FILE).splitlines() if ln.strip() and not ln.startswith("#"))


@lru_cache(maxsize=1)
def _name_re() -> re.Pattern:
    names = "|".join(sorted((re.escape(n) for n in first_names()), key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])(?:{names})(?:\s+{SURNAME}){{0,2}}(?![\w'’])")


def _emails(text):
    return [Entity("EMAIL", m.start(), m.end(), m.group()) for m in EMAIL_RE.finditer(text)]


def _phones(text, regions):
    found = []
    for region in regions:
        for m in phonenumbers.PhoneNumberMatcher(text, region):
            found.append(Entity("PHONE", m.start, m.end, m.raw_string))
    return found


def _cards(text):
    return [Entity("CARD", m.start(), m.end(), m.group()) for m in CARD_RE.finditer(text) if luhn_valid(m.group())]


def _ibans(text):
    found = []
    for m in IBAN_START_RE.finditer(text):
        country = m.group(1).upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        chars, i, end = 0, m.start(), None
        while i < len(text) and chars < length:
            c = text[i]
            if c.isalnum():
                chars += 1
                end = i + 1
            elif c != " " or (i + 1 < len(text) and not text[i + 1].isalnum()):
                break
            i += 1
        if chars == length and end is not None and (end == len(text) or not text[end].isalnum()):
            candidate = text[m.start():end]
            if iban_valid(candidate):
                found.append(Entity("IBAN", m.start(), end, candidate))
    return found


def _names(text):
    return [Entity("NAME", m.start(), m.end(), m.group()) for m in _name_re().finditer(text)]


def _check_regions(regions) -> None:
    """Region codes phone numbers are read for: a list of two-letter codes phonenumbers knows ('GB', not 'UK')."""
    if isinstance(regions, str) or not hasattr(regions, "__iter__"):
        raise InputTypeError(f"regions must be a list of two-letter region codes such as {list(DEFAULT_REGIONS)}, "
                             f"not {regions!r}.")
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise InputError(f"Unknown region code(s) {unknown}: use two-letter codes such as 'US', 'GB' (not 'UK'), 'DE'.")


def find_pii(text: str, *, regions=DEFAULT_REGIONS, types=TYPES) -> list[Entity]:
    """Every piece of personal data the detectors find, in text order; overlaps resolved in favour of the longer."""
    require_text(text, "text", allow_empty=True)
    _check_regions(regions)
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise InputError(f"Unknown entity type(s) {unknown}: choose from {', '.join(TYPES)}.")
    detectors = {"EMAIL": lambda: _emails(text), "PHONE": lambda: _phones(text, regions), "CARD": lambda: _cards(text),
                 "IBAN": lambda: _ibans(text), "NAME": lambda: _names(text)}
    found = [e for t in types for e in detectors[t]()]
    found.sort(key=lambda e: (-(e.end - e.start), e.start))
    kept: list[Entity] = []
    for e in found:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e.start)


def redact(text: str, *, regions=DEFAULT_REGIONS, types=TYPES) -> tuple[str, list[Entity]]:
    """The text with each piece of personal data replaced by its type in brackets ([EMAIL], [PHONE] ...)."""
    entities = find_pii(text, regions=regions, types=types)
    out = text
    for e in sorted(entities, key=lambda e: e.start, reverse=True):
        out = out[:e.start] + f"[{e.type}]" + out[e.end:]
    return out, entities


# -- measuring the detector ----------------------------------------------------------------------------------------
def samples() -> list[dict]:
    """The labelled sample (data/responsibility/pii_samples.jsonl): text plus every entity's type and value."""
    return [dict(r) for r in data_jsonl(SAMPLES_FILE)]


def gold_spans(sample: dict) -> list[Entity]:
    """A labelled sample's entities as spans (each value located in the text, in order)."""
    text = require_text(sample.get("text"), "text", allow_empty=True)
    spans, cursor = [], {}
    for ent in sample.get("entities", []):
        if ent.get("type") not in TYPES:
            raise InputError(f"Sample {sample.get('id')!r}: unknown entity type {ent.get('type')!r}; use one of {TYPES}.")
        value = ent.get("value", "")
        start = text.find(value, cursor.get(value, 0))
        if not value or start < 0:
            raise InputError(f"Sample {sample.get('id')!r}: the labelled value {value!r} is not in its text.")
        cursor[value] = start + len(value)
        spans.append(Entity(ent["type"], start, start + len(value), value))
    return spans


def _covered(span: Entity, predicted) -> bool:
    """Whether every non-space character of a labelled entity falls inside some detected span (i.e. it was redacted)."""
    for i, c in enumerate(span.text):
        pos = span.start + i
        if not c.isspace() and not any(p.start <= pos < p.end for p in predicted):
            return False
    return True


@dataclass
class PIIReport:
    """How the detector did on the labelled sample: per type, entities found and missed, false alarms, precision and
    recall (scikit-learn, counted per entity), and every miss and false alarm itself."""

    by_type: pd.DataFrame
    misses: pd.DataFrame
    false_alarms: pd.DataFrame
    samples: int

    def summary(self) -> dict:
        """Plain figures for the launch checklist."""
        recall = {r["type"]: r["recall"] for _, r in self.by_type.iterrows()}
        return {"samples": self.samples, "recall_by_type": recall, "missed": int(len(self.misses)),
                "missed_types": sorted(self.misses["type"].unique().tolist()) if len(self.misses) else [],
                "false_alarms": int(len(self.false_alarms))}


@returns_course_table
def evaluate(data=None, *, regions=DEFAULT_REGIONS) -> PIIReport:
    """Run the detector on labelled samples (default: the bundled set). An entity counts as caught when all of it is
    redacted; a detection that overlaps no labelled entity is a false alarm. Precision and recall per type come from
    scikit-learn over those entity-level outcomes (None where a type has nothing to measure)."""
    _check_regions(regions)
    if data is not None and (isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__")):
        raise InputTypeError(f"data must be a list of {{'text': ..., 'entities': [...]}} dicts, not {type(data).__name__}.")
    data = samples() if data is None else list(data)
    if not data:
        raise InputError("No labelled samples to evaluate: pass a list of {'text': ..., 'entities': [...]} dicts.")
    misses, alarms, outcomes = [], [], {t: ([], []) for t in TYPES}
    for i, sample in enumerate(data):
        if not isinstance(sample, dict) or "text" not in sample:
            raise InputTypeError(f"sample {i} must be a dict with 'text' and 'entities'.")
        gold = gold_spans(sample)
        pred = find_pii(sample["text"], regions=regions)
        for g in gold:
            caught = _covered(g, pred)
            outcomes[g.type][0].append(1)
            outcomes[g.type][1].append(int(caught))
            if not caught:
                misses.append({"id": sample.get("id", i), "type": g.type, "value": g.text, "text": sample["text"]})
        for p in pred:
            if all(p.end <= g.start or p.start >= g.end for g in gold):
                outcomes[p.type][0].append(0)
                outcomes[p.type][1].append(1)
                alarms.append({"id": sample.get("id", i), "type": p.type, "value": p.text, "text": sample["text"]})
    rows = []
    for t in TYPES:
        y_true, y_pred = outcomes[t]
        n_gold, n_pred = sum(y_true), sum(y_pred)
        rows.append({
            "type": t, "entities": n_gold, "caught": sum(a and b for a, b in zip(y_true, y_pred)),
            "missed": sum(a and not b for a, b in zip(y_true, y_pred)), "false_alarms": sum(b and not a for a, b in zip(y_true, y_pred)),
            "precision": float(precision_score(y_true, y_pred, zero_division=0)) if n_pred else None,
            "recall": float(recall_score(y_true, y_pred, zero_division=0)) if n_gold else None,
        })
    by_type = pd.DataFrame(rows)
    for col in ("precision", "recall"):  # None where nothing was measured: never shown as NaN
        by_type[col] = pd.Series([r[col] for r in rows], dtype=object)
    cols = ["id", "type", "value", "text"]
    return PIIReport(by_type, pd.DataFrame(misses, columns=cols), pd.DataFrame(alarms, columns=cols), len(data))


# -- the hook before a hosted call ---------------------------------------------------------------------------------
class RedactingGenerator:
    """A drop-in for ai_pm_lab.generate that redacts the prompt, system message and history before the call, and
    keeps a tally of what it removed (types and counts only, never the values). By default it redacts only when the
    call goes to a hosted model; ``only_hosted=False`` redacts for the local model too."""

    def __init__(self, generator=None, *, only_hosted: bool = True, regions=DEFAULT_REGIONS):
        if generator is None:
            generator = generate
        if not callable(generator):
            raise InputTypeError("generator must be a function like ai_pm_lab.generate.")
        self.generator = generator
        self.only_hosted = bool(only_hosted)
        self.regions = tuple(regions)
        self.calls = 0
        self.removed: Counter = Counter()
        self.last_prompt: str | None = None

    def _hosted(self, backend) -> bool:
        return get_backend(backend).name != "local"

    def _clean(self, text):
        if text is None:
            return None
        cleaned, found = redact(text, regions=self.regions)
        self.removed.update(e.type for e in found)
        return cleaned

    def __call__(self, prompt, *, system=None, history=None, backend=None, **kwargs):
        self.calls += 1
        if not self.only_hosted or self._hosted(backend):
            prompt = self._clean(prompt)
            system = self._clean(system)
            if history:
                history = [{**turn, "content": self._clean(turn.get("content", ""))} for turn in history]
        self.last_prompt = prompt
        call = {"system": system, "backend": backend, **kwargs}
        if history is not None:
            call["history"] = history
        return self.generator(prompt, **call)


def redacting_generator(generator=None, *, only_hosted: bool = True, regions=DEFAULT_REGIONS) -> RedactingGenerator:
    """A generate()-like function that strips personal data before a hosted call (the week-6 Assistant uses it as its generator)."""
    return RedactingGenerator(generator, only_hosted=only_hosted, regions=regions)
