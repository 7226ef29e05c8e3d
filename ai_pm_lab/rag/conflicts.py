"""Conflict rules: which of several retrieved documents on one topic reach the prompt when they disagree.

Documents are versions of one another when they share a ``topic``: written in the front matter, or given by the loader
to files whose names match once dates and version words are removed and whose texts mostly agree (``rag.versions``).
Each has a ``date`` and a ``scope``
(who it applies to: ``all`` unless the front matter names a plan or a region). Three rules:

* **newest**: the document with the latest date wins; the others are left out (the pipeline's default rule).
* **most specific**: a document for a named scope beats one for ``all``; among equally specific ones the newest wins.
* **show both**: the current (newest) version of *every* scope goes in, labelled with its scope, so the answer can
  say which policy applies to whom; a version replaced within the same scope is still left out.
"""
from __future__ import annotations

import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.tables import returns_course_table

GENERAL_SCOPE = "all"
RULES = {
    "newest": "the latest date wins, whoever it applies to",
    "most specific": "a document for a named plan or region beats the general one; then the latest date wins",
    "show both": "the current version for every scope goes in, each labelled with who it applies to",
}


def _require_rule(rule: str) -> str:
    if rule not in RULES:
        raise InputError(f"rule must be one of {', '.join(repr(r) for r in RULES)}, not {rule!r}.")
    return rule


def _newest(docs) -> object:
    return max(docs, key=lambda d: (d.date or "", d.id))


def winners(docs, rule: str) -> list:
    """The documents of one topic that a rule keeps (newest first)."""
    _require_rule(rule)
    docs = list(docs)
    if not docs:
        return []
    if rule == "newest":
        return [_newest(docs)]
    if rule == "most specific":
        named = [d for d in docs if d.scope != GENERAL_SCOPE]
        return [_newest(named or docs)]
    by_scope: dict[str, list] = {}
    for d in docs:
        by_scope.setdefault(d.scope, []).append(d)
    return sorted((_newest(group) for group in by_scope.values()), key=lambda d: (d.date or "", d.id), reverse=True)


def apply_conflict_rule(hits, documents: dict, rule: str = "newest") -> tuple[list, list, list]:
    """(kept hits, left-out hits, one note per conflict) after applying ``rule`` to retrieved hits or chunks."""
    _require_rule(rule)
    hits = list(hits)
    by_topic: dict[str, dict] = {}
    for h in hits:
        doc_id = getattr(h, "chunk", h).doc_id
        doc = documents.get(doc_id)
        if doc is not None:
            by_topic.setdefault(doc.topic, {})[doc_id] = doc
    out, notes = set(), []
    for topic, docs in by_topic.items():
        if len(docs) < 2:
            continue
        keep = winners(docs.values(), rule)
        keep_ids = {d.id for d in keep}
        out |= set(docs) - keep_ids
        described = ", ".join(f"{d.id} ({d.date or 'undated'}, for {d.scope})" for d in keep)
        left = ", ".join(sorted(set(docs) - keep_ids)) or "none"
        notes.append(f"'{topic}' ({rule}: {RULES[rule]}): using {described}; left out: {left}.")
    kept = [h for h in hits if getattr(h, "chunk", h).doc_id not in out]
    dropped = [h for h in hits if getattr(h, "chunk", h).doc_id in out]
    return kept, dropped, notes


def right_documents(docs, audience: str | None) -> set[str]:
    """Ids of the documents of one topic that hold the policy for ``audience`` (None: the asker is not known).

    A known asker needs exactly one document: the current version for their own scope if there is one, else the current
    general version. An unknown asker may be anyone, so every scope's current version is needed to answer them fairly.
    """
    docs = list(docs)
    if audience is None:
        return {d.id for d in winners(docs, "show both")}
    require_text(audience, "audience")
    own = [d for d in docs if d.scope == audience]
    general = [d for d in docs if d.scope == GENERAL_SCOPE]
    pick = own or general
    return {_newest(pick).id} if pick else set()


@returns_course_table
def compare_conflict_rules(pipeline, questions, audiences: dict, *, top_k: int = 5) -> pd.DataFrame:
    """Retrieve each question once, apply every rule, and say per situation whether the prompt holds the right policy.

    ``pipeline`` is a RAGPipeline (anything with ``search_only`` and ``documents``); ``audiences`` maps a product
    situation to who is asking in it (a scope such as "EU region", or None when the product does not know).
    One row per situation, question and rule: the documents of the conflicting topic in the prompt, the right ones,
    and ``right policy`` (True when the prompt holds exactly the right documents).
    """
    top_k = require_number(top_k, "top_k", low=1, high=len(pipeline.chunks), integer=True)
    if not isinstance(audiences, dict) or not audiences:
        raise InputTypeError("audiences must be a dict: product situation -> who asks (a scope such as 'EU region', or None).")
    rows = []
    for question in questions:
        require_text(question, "question")
        hits = pipeline.search_only(question, top_k)
        by_topic: dict[str, list] = {}
        for doc_id in dict.fromkeys(h.chunk.doc_id for h in hits):
            doc = pipeline.documents[doc_id]
            by_topic.setdefault(doc.topic, []).append(doc)
        conflicts = {t: d for t, d in by_topic.items() if len(d) > 1}
        if not conflicts:
            continue
        topic, _ = max(conflicts.items(), key=lambda kv: len(kv[1]))
        every = [d for d in pipeline.documents.values() if d.topic == topic]
        for situation, audience in audiences.items():
            right = right_documents(every, audience)
            for rule in RULES:
                kept, _, _ = apply_conflict_rule(hits, pipeline.documents, rule)
                shown = [d for d in dict.fromkeys(h.chunk.doc_id for h in kept) if pipeline.documents[d].topic == topic]
                rows.append({"situation": situation, "question": question, "rule": rule, "in prompt": ", ".join(shown),
                             "right": ", ".join(sorted(right)), "right policy": set(shown) == right,
                             "documents": len(shown)})
    if not rows:
        raise InputError("None of the questions retrieved two versions of one topic: ask about a topic with versions "
                         "(for example the refund policy) or raise top_k.")
    return pd.DataFrame(rows)


@returns_course_table
def rule_scores(cases: pd.DataFrame) -> pd.DataFrame:
    """Per situation and rule: share of questions with the right policy in the prompt, and documents per prompt."""
    need = {"situation", "rule", "right policy", "documents"}
    if not hasattr(cases, "columns") or not need <= set(cases.columns):
        raise InputError(f"rule_scores needs the table from compare_conflict_rules (columns {sorted(need)}).")
    out = (cases.groupby(["situation", "rule"], sort=False)
           .agg(**{"right policy": ("right policy", "mean"), "documents per prompt": ("documents", "mean"),
                   "questions": ("right policy", "size")})
           .reset_index())
    return out
