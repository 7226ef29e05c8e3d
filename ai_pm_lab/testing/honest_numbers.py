"""Find figures a lesson's prose states that none of its cells printed (multipliers, percentages, token counts)."""
from __future__ import annotations

import re

# A figure in prose: "225×", "100x", "44%", "44.4 %", "1,600 tokens"; and vague multipliers ("a thousand times").
FIGURE = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>×|x(?![\w-])|%|tokens?\b)", re.IGNORECASE
)
VAGUE = re.compile(r"\b(?:a|one|several|many|ten|a few)?\s*(?:hundreds?|thousands?|millions?)\s+(?:of\s+)?times\b",
                   re.IGNORECASE)
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)  # code in prose is an example, not a claim
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def claims_text(cell: str) -> str:
    """The part of a markdown cell that makes claims: no code, no comments, and no discussion questions (their
    scenarios are hypothetical by design)."""
    kept, in_discussion = [], False
    for line in CODE.sub(" ", COMMENT.sub(" ", cell)).splitlines():
        heading = HEADING.match(line.strip())
        if heading:
            in_discussion = "discussion" in heading.group(1).lower()
        if not in_discussion:
            kept.append(line)
    return "\n".join(kept)


def _canonical(num: str, unit: str) -> str:
    unit = unit.lower()
    unit = {"x": "×", "token": "tokens"}.get(unit, unit)
    return f"{num.replace(',', '')}{unit}"


def figures(text: str) -> list[str]:
    """The figures a piece of text states, in canonical form ("225×", "44%", "1600tokens")."""
    return [_canonical(m["num"], m["unit"]) for m in FIGURE.finditer(text)]


def unsupported_claims(markdown: list[str], printed: str) -> list[str]:
    """Figures (and vague multipliers) in ``markdown`` cells that the ``printed`` outputs never show."""
    shown = set(figures(printed))
    missing = []
    for cell in markdown:
        prose = claims_text(cell)
        missing += [f for f in figures(prose) if f not in shown]
        missing += [f"'{m.group(0).strip()}'" for m in VAGUE.finditer(prose)]
    return list(dict.fromkeys(missing))
