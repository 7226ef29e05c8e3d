"""Computed verdicts: a lesson's conclusion worked out from the numbers the lesson just measured, never written ahead.

``verdict("rag_beats_closed_book", rule="apart_above", a=(0.52, 0.71), b=(0.20, 0.38), yes="...{a}...{b}",
no="...{a}...{b}", fmt="rate")`` compares ``a`` with ``b`` by ``rule`` (one of :data:`RULES`), picks the ``yes`` or
the ``no`` sentence, fills in the numbers (formatted by ``ai_pm_lab.tables``) and shows it as one bold line. Each
verdict is recorded (this kernel's list, :func:`recorded`, and one JSON-lines file per kernel in
``settings.output_dir("verdicts")``), so a test can re-apply the rule to the recorded numbers (:func:`recheck`) and
check that every verdict a lesson's source names was reached.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path

from ai_pm_lab import settings, tables
from ai_pm_lab.errors import InputError, InputTypeError


def _number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and type(x).__name__ not in ("bool_", "bool")


def _interval(x) -> bool:
    return isinstance(x, (tuple, list)) and len(x) == 2 and all(_number(v) for v in x)


def _boolean(x) -> bool:
    return isinstance(x, bool) or type(x).__name__ in ("bool_", "bool")


# rule -> (what a must be, what b must be, the comparison). Kinds: "number", "interval", "bool", None (unused).
RULES = {
    "above": ("number", "number", lambda a, b: a > b),
    "at_least": ("number", "number", lambda a, b: a >= b),
    "below": ("number", "number", lambda a, b: a < b),
    "at_most": ("number", "number", lambda a, b: a <= b),
    "apart_above": ("interval", "interval", lambda a, b: a[0] > b[1]),
    "apart_below": ("interval", "interval", lambda a, b: a[1] < b[0]),
    "overlap": ("interval", "interval", lambda a, b: a[0] <= b[1] and b[0] <= a[1]),
    "inside": ("number", "interval", lambda a, b: b[0] <= a <= b[1]),
    "outside": ("number", "interval", lambda a, b: not b[0] <= a <= b[1]),
    "true": ("bool", None, lambda a, b: bool(a)),
}
_KIND_WORDS = {"number": "a number", "interval": "a (low, high) pair of numbers", "bool": "True or False"}
_KIND_TESTS = {"number": _number, "interval": _interval, "bool": _boolean}

# fmt -> how one number prints in the sentence (the course's formatting home: ai_pm_lab.tables)
FORMATS = {
    "rate": tables.format_rate,
    "number": lambda v: tables.format_number(v, 2),
    "int": lambda v: tables.format_number(round(v), 0),
    "usd": tables.format_money,
    "s": lambda v: f"{tables.format_number(v, 1)} s",
}
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
RECORDS_SUBFOLDER = "verdicts"
SESSION_VAR = "JPY_SESSION_NAME"  # set by the Jupyter server for a notebook's kernel: the notebook's path

_RECORDS: list[dict] = []


@dataclass(frozen=True)
class Verdict:
    """One computed verdict: ``holds`` is the rule applied to ``a`` and ``b``; ``text`` the sentence it picked."""

    id: str
    rule: str
    a: object
    b: object
    holds: bool
    text: str

    def _repr_markdown_(self) -> str:
        return f"**Verdict:** {self.text}"

    def __repr__(self) -> str:
        return f"Verdict: {self.text}"


def _plain(value):
    """A JSON-safe copy of a verdict's number, pair or flag (numpy scalars become Python ones)."""
    if value is None:
        return None
    if _boolean(value):
        return bool(value)
    if _interval(value):
        return [float(value[0]), float(value[1])]
    return float(value)


def _check_operand(rule: str, name: str, value, kind: str | None):
    if kind is None:
        if value is not None:
            raise InputError(f"rule {rule!r} uses only a; leave {name} out (you passed {value!r}).")
        return None
    if not _KIND_TESTS[kind](value):
        raise InputTypeError(f"rule {rule!r} needs {name} as {_KIND_WORDS[kind]}, not {value!r}. Pass the measured "
                             f"figure{' pair (low, high)' if kind == 'interval' else ''} itself.")
    if kind == "bool":
        return bool(value)
    plain = _plain(value)
    values = plain if kind == "interval" else [plain]
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{name} is {value!r}, not a finite number: the measurement it comes from did not run. "
                         "Run the cells above that compute it first.")
    if kind == "interval" and plain[0] > plain[1]:
        raise InputError(f"{name} is {value!r}: an interval is (low, high), low first. Swap the two numbers.")
    return tuple(plain) if kind == "interval" else plain


def _fields(text: str, what: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise InputError(f"{what} has a stray brace ({exc}); write numbers as {{a}} and {{b}}, a literal brace as "
                         "{{ or }}.") from None


def _show(value, fmt: str) -> str:
    show = FORMATS[fmt]
    if isinstance(value, tuple):
        return f"{show(value[0])} to {show(value[1])}"
    return show(value)


def _sentence(rule: str, a, b, holds: bool, yes: str, no: str, fmt: str) -> str:
    text = yes if holds else no
    if rule == "true":
        return text.format()
    return text.format(a=_show(a, fmt), b=_show(b, fmt))


def _validate(id, rule, a, b, yes, no, fmt):
    if not isinstance(id, str) or not ID_PATTERN.fullmatch(id):
        raise InputError(f"verdict id {id!r} must be snake_case text, e.g. 'rag_beats_closed_book'.")
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r}: use one of {', '.join(RULES)}.")
    if fmt not in FORMATS:
        raise InputError(f"unknown fmt {fmt!r}: use one of {', '.join(FORMATS)}.")
    kind_a, kind_b, _ = RULES[rule]
    a = _check_operand(rule, "a", a, kind_a)
    b = _check_operand(rule, "b", b, kind_b)
    for name, text in (("yes", yes), ("no", no)):
        if not isinstance(text, str) or not text.strip():
            raise InputTypeError(f"{name} must be the sentence to show when the rule "
                                 f"{'holds' if name == 'yes' else 'does not hold'}.")
        fields = _fields(text, name)
        allowed = set() if rule == "true" else {"a", "b"}
        stray = fields - allowed
        if stray:
            raise InputError(f"{name} names {{{', '.join(sorted(stray))}}}, which this verdict has no number for: "
                             f"use only {' and '.join('{' + f + '}' for f in sorted(allowed)) or 'no placeholders'}.")
        if rule != "true" and not fields:
            raise InputError(f"{name} states no number: put {{a}} (and {{b}}) in it, so the sentence shows the figures "
                             "it comes from.")
    return a, b


def records_file() -> Path:
    """This kernel's JSON-lines file of verdicts: one per notebook kernel (the notebook's name and the process id)."""
    session = settings.env(SESSION_VAR)
    stem = re.sub(r"[^\w.-]+", "_", Path(session).stem) if session else "kernel"
    return settings.output_dir(RECORDS_SUBFOLDER) / f"{stem}-{os.getpid()}.jsonl"


def _record(record: dict) -> None:
    _RECORDS.append(record)
    line = json.dumps(record) + "\n"
    try:  # one write to a file opened for appending: whole lines, even if another kernel shares the folder
        with open(records_file(), "a", encoding="utf-8") as f:
            f.write(line)
    except OSError:  # a read-only folder must not stop the lesson; the kernel's own list still holds it
        pass


def verdict(id: str, *, rule: str, a, b=None, yes: str, no: str, fmt: str = "number") -> Verdict:
    """The verdict ``rule`` gives on ``a`` and ``b``, shown as ``yes`` or ``no`` with {a}/{b} filled in; recorded."""
    a, b = _validate(id, rule, a, b, yes, no, fmt)
    holds = bool(RULES[rule][2](a, b))
    text = _sentence(rule, a, b, holds, yes, no, fmt)
    result = Verdict(id, rule, a, b, holds, text)
    session = settings.env(SESSION_VAR)
    _record({**asdict(result), "a": _plain(a), "b": _plain(b), "yes": yes, "no": no, "fmt": fmt,
             "notebook": Path(session).name if session else ""})
    return result


def recheck(record: dict) -> list[str]:
    """What is wrong with one recorded verdict: its ``holds`` or ``text`` disagrees with its rule re-applied to its
    numbers (empty when it agrees)."""
    try:
        a = tuple(record["a"]) if isinstance(record["a"], list) else record["a"]
        b = tuple(record["b"]) if isinstance(record["b"], list) else record["b"]
        a, b = _validate(record["id"], record["rule"], a, b, record["yes"], record["no"], record["fmt"])
    except (KeyError, TypeError, ValueError) as exc:
        return [f"verdict {record.get('id')!r}: its record cannot be re-checked ({exc})."]
    holds = bool(RULES[record["rule"]][2](a, b))
    problems = []
    if record.get("holds") is not holds:
        problems.append(f"verdict {record['id']!r}: recorded holds={record.get('holds')!r}, but rule "
                        f"{record['rule']!r} on a={record['a']!r}, b={record['b']!r} gives {holds}.")
    expected = _sentence(record["rule"], a, b, holds, record["yes"], record["no"], record["fmt"])
    if record.get("text") != expected:
        problems.append(f"verdict {record['id']!r}: recorded text {record.get('text')!r} is not what its numbers give "
                        f"({expected!r}).")
    return problems


def recorded() -> list[dict]:
    """Every verdict this kernel has shown so far, oldest first (copies: id, rule, a, b, holds, text, yes, no, fmt,
    notebook)."""
    return [dict(r) for r in _RECORDS]


def reset() -> None:
    """Forget this kernel's verdicts (the files already written stay)."""
    _RECORDS.clear()


VERDICT_CALL = re.compile(r"""\bverdict\(\s*(?:id\s*=\s*)?["']([A-Za-z0-9_]+)["']""")


def named_in(source: str) -> list[str]:
    """The verdict ids a notebook's code names (each ``verdict("<id>"`` literal), in order, without repeats."""
    return list(dict.fromkeys(VERDICT_CALL.findall(source)))
