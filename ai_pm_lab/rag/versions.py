"""Versions of one document: which files in a folder are editions of the same text, and why.

Files with front matter say it themselves (the same ``topic``). Files without it are grouped only when both hold:

1. **the same name** once dates and version words (v2, final, old, new, copy, edition, ...) are taken out of the file
   name: ``Returns Policy v2.docx`` and ``returns-policy-2023.txt`` are both ``returns-policy``;
2. **the same text, mostly**: at least ``VERSION_SIMILARITY`` of their content words are shared (Jaccard overlap of
   the sets of words that carry meaning: stop words and numbers left out, because numbers are what a new edition
   changes). A new edition keeps most of the old wording; two meeting notes or a ``new-customer-onboarding`` guide
   next to a ``customer-onboarding`` guide share a name pattern but not their text.

One name containing another is never a reason. Every pair with the same name is kept in a ``VersionCheck``, grouped
or not, so a learner can see which files were grouped, which were kept apart, and the overlap behind each decision.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from ai_pm_lab.rag.dates import strip_dates
from ai_pm_lab.tables import format_rate
from ai_pm_lab.text import content_words

# Share of content words two editions of one document have in common, at least. Chosen on the course's own version
# pairs (0.40-0.60) against same-named different documents (0.09-0.26); tests/test_week8_documents.py measures it on
# pairs written separately.
VERSION_SIMILARITY = 0.35
VERSION_WORDS = re.compile(
    r"\b(v\d+(?:\.\d+)*|version|ver|rev\d*|revision|edition|draft|final|old|new|latest|updated|copy|replaces)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class VersionCheck:
    """Two files whose names match once dates and version words are removed, and whether their text says 'versions'."""

    name: str  # the shared name, e.g. 'returns-policy'
    first: str  # document ids
    second: str
    overlap: float  # share of content words in common (0-1)
    grouped: bool


def name_key(name: str) -> str:
    """A version-free name from a title or file name: 'Refund policy v2 (2025)' -> 'refund-policy'."""
    s = strip_dates(str(name).lower().replace("_", " "))
    s = VERSION_WORDS.sub(" ", s)
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def text_overlap(a: str, b: str) -> float:
    """Share of content words two texts have in common (Jaccard, stop words and numbers left out); 1.0 for two empties."""
    sa, sb = ({w for w in content_words(t) if not any(c.isdigit() for c in w)} for t in (a, b))
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _components(ids, links) -> list[list[str]]:
    """Groups of ids joined by links (pairs), in first-seen order; singletons left out."""
    parent = {i: i for i in ids}

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for i in ids:
        groups.setdefault(root(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def group_versions(documents, *, threshold: float = VERSION_SIMILARITY) -> tuple[list, list[VersionCheck]]:
    """(documents with ``topic`` set on real versions only, one VersionCheck per same-named pair).

    A document read without front matter carries ``meta['name_key']``; it gets ``meta['topic']`` (and a
    ``meta['grouped_because']`` sentence) only when it is grouped with another, so unrelated files keep their own topic.
    """
    docs = list(documents)
    buckets: dict[str, list] = {}
    for d in docs:
        key = d.meta.get("name_key")
        if key:
            buckets.setdefault(key, []).append(d)
    checks: list[VersionCheck] = []
    update: dict[str, dict] = {}
    for key, members in buckets.items():
        if len(members) < 2:
            continue
        overlaps = {}
        for a, b in itertools.combinations(members, 2):
            overlaps[(a.id, b.id)] = text_overlap(a.text, b.text)
            checks.append(VersionCheck(key, a.id, b.id, round(overlaps[(a.id, b.id)], 3),
                                       overlaps[(a.id, b.id)] >= threshold))
        links = [pair for pair, o in overlaps.items() if o >= threshold]
        for n, group in enumerate(_components([d.id for d in members], links)):
            topic = key if n == 0 else f"{key}-{n + 1}"
            shared = sorted(o for (a, b), o in overlaps.items() if a in group and b in group and o >= threshold)
            why = (f"same name once dates and version words are removed ('{key}'), and their texts share "
                   f"{format_rate(shared[0], 0)}{'' if len(shared) == 1 else f'-{format_rate(shared[-1], 0)}'} of their words "
                   f"(versions need {format_rate(threshold, 0)})")
            for doc_id in group:
                update[doc_id] = {"topic": topic, "topic_source": "file name and text", "grouped_because": why}
    out = []
    for d in docs:
        if d.id in update:
            d = replace(d, meta={**d.meta, **update[d.id]})
        out.append(d)
    return out, checks


def version_groups(documents) -> dict[str, list[str]]:
    """Topics covered by more than one document -> their ids, newest first (the order the pipeline's rule uses)."""
    groups: dict[str, list] = {}
    for d in documents:
        groups.setdefault(d.topic, []).append(d)
    return {topic: [d.id for d in sorted(docs, key=lambda d: (d.date, d.id), reverse=True)]
            for topic, docs in groups.items() if len(docs) > 1}
