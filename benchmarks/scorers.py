"""Scorers: extract_json on a 4 KB answer full of braces, against the naive search it replaced (json.loads on every
'{' ... '}' pair: cubic time). Target: at least 100 times faster, same result."""
from __future__ import annotations

import json
import time

from ai_pm_lab.evaluation.scorers import extract_json


def naive_extract_json(answer: str):
    """The search extract_json used before: every opening brace with every later closing brace, longest first."""
    start = answer.find("{")
    while start != -1:
        for end in range(len(answer), start, -1):
            if answer[end - 1] != "}":
                continue
            try:
                value = json.loads(answer[start:end])
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
        start = answer.find("{", start + 1)
    return None


def many_braces_answer() -> str:
    noise = "".join(f"set {{x{i}}} to {{value}} and {{{i}}}; " for i in range(70))
    return noise + 'Result: {"label": "refund", "items": [{"id": 1}, {"id": 2}]} ' + noise


def _seconds(fn, answer: str) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(answer)
    return time.perf_counter() - start, result


def run() -> dict:
    answer = many_braces_answer()
    naive_s, naive = _seconds(naive_extract_json, answer)
    fast_s, fast = min((_seconds(extract_json, answer) for _ in range(5)), key=lambda r: r[0])
    ratio = naive_s / max(fast_s, 1e-9)
    print(f"  answer: {len(answer):,} characters, {answer.count('{')} opening braces")
    print(f"  naive search: {naive_s * 1000:.0f} ms; extract_json (raw_decode per brace): {fast_s * 1000:.2f} ms; "
          f"{ratio:,.0f} times faster")
    return {"same result as the naive search": fast == naive, "at least 100 times faster": ratio >= 100}
