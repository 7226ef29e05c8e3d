"""Extractive answers: the model picks the sentence of the retrieved text that answers the question, instead of writing
its own. A small model often garbles what it writes (a 5 from the next line instead of the 90 in front of it); asked to
choose among the retrieved sentences it cannot invent a number, only pick the wrong sentence.

How it picks (``QUESTION_PROMPT``): for each candidate sentence, how likely the local model finds the question after
that sentence (the question-answer pairing, read from the model's own token probabilities, one forward pass each, no
generation). The question is the same text for every candidate, so the scores compare fairly whatever each sentence's
length. The instruction comes before the sentence, so every candidate's prompt starts the same way and the model reads
that start once. Measured against the instruction after the sentence (the first wording), extractive answers on the
four bundled bases were right as often (Tidewell 40 of 65 both, harbourlane 12/32 both, quillmark 20/38 both,
spokeshare 13/32 vs 12/32), and Tidewell's took 55.8 instead of 64.2 CPU-s. benchmarks/rag.py measures it against
generated answers, with and without retrieval.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ai_pm_lab.errors import InputTypeError, require_text
from ai_pm_lab.llm import confidence
from ai_pm_lab.progress import bar
from ai_pm_lab.text import words

ANSWER_MODES = ("generate", "extractive")
QUESTION_PROMPT = "Write a question that the sentence below answers.\n\n{sentence}"
MIN_WORDS = 3  # shorter pieces (a lone label, "Prices:") are never an answer
COVERED = 0.7  # a document sentence is a candidate when this share of its words lies in a retrieved chunk

_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$])")
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"(?:^|\s)#{1,6}\s+")


def plain_text(text: str) -> str:
    """``text`` without markdown marks (headings, bold, code ticks, table bars), for showing retrieved chunks to people."""
    text = require_text(text, "text", allow_empty=True)
    text = _HEADING.sub(" ", text)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    text = re.sub(r"(?:^|(?<=\s))[-*+]\s+(?=[A-Z])", "", text)  # list bullets ("- The Starter plan ...")
    text = re.sub(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?", " ", text)  # table rules |---|---|
    text = re.sub(r"\s*\|\s*", " · ", text).strip(" ·")
    text = re.sub(r"(?:\s*·\s*){2,}", " · ", text)
    return " ".join(text.split())


def document_sentences(text: str) -> list[str]:
    """The sentences of a markdown document in plain text: headings left out, bullets as sentences, and each table row
    as one sentence naming its columns ("Team: monthly billing $24, annual billing $20")."""
    text = require_text(text, "text", allow_empty=True)
    out, header = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or _TABLE_RULE.match(line):
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
                continue
            line = cells[0] + ": " + ", ".join(f"{h.lower()} {c}" for h, c in zip(header[1:], cells[1:]))
        else:
            header = None
        line = plain_text(_BULLET.sub("", line))
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if len(words(s)) >= MIN_WORDS)
    return out


def candidate_sentences(hits, documents: dict) -> list[str]:
    """Whole sentences the retrieved chunks cover, in rank order, each once: a chunk cut mid-sentence still offers the
    sentence whole (from its document), so a quote never stops halfway."""
    if hits is None or isinstance(hits, (str, bytes)):
        raise InputTypeError("hits must be the retrieved chunks, e.g. rag.retrieve(question).hits.")
    seen, out = set(), []
    for h in hits:
        chunk = getattr(h, "chunk", None)
        if chunk is None:
            raise InputTypeError(f"each hit must be a retrieved chunk, not {type(h).__name__}.")
        doc = documents.get(chunk.doc_id)
        pieces = document_sentences(doc.text) if doc is not None else document_sentences(chunk.text)
        in_chunk = set(words(chunk.text))
        for s in pieces:
            w = words(s)
            if s not in seen and sum(x in in_chunk for x in w) / len(w) >= COVERED:
                seen.add(s)
                out.append(s)
    return out


@dataclass(frozen=True)
class Pick:
    """The chosen sentence, every candidate with its score (mean log-probability of the question after it), and the
    time scoring took."""

    sentence: str
    candidates: tuple
    scores: tuple
    seconds: float

    def table(self):
        """The candidates ranked by score (best first)."""
        import pandas as pd

        rows = sorted(zip(self.candidates, self.scores), key=lambda p: -p[1])
        return pd.DataFrame([{"rank": i + 1, "sentence": s, "score": round(v, 2)} for i, (s, v) in enumerate(rows)])


def pick_sentences(items, *, progress: bool = False) -> list[Pick]:
    """pick_sentence for many (question, candidates) pairs at once, with the same scores: every (candidate, question)
    pair is scored once, grouped by candidate, so the model reads a candidate's prompt once and then each question
    that offers it (the local model reuses an evaluated start only where that is exact). A Pick's ``seconds`` is the
    scoring time of its own pairs."""
    if items is None or isinstance(items, (str, bytes)):
        raise InputTypeError("items must be a list of (question, candidate sentences) pairs.")
    items = [(require_text(q, "question").strip(), [require_text(c, "candidate") for c in cands]) for q, cands in items]
    pairs = sorted({(c, q) for q, cands in items for c in cands})  # a candidate's questions one after another
    scored = {}
    for c, q in bar(pairs, desc="Scoring candidate sentences", unit="pair", disable=not progress or not pairs,
                     leave=False):
        start = time.perf_counter()
        score = confidence.answer_confidence(QUESTION_PROMPT.format(sentence=c), q).mean_logprob
        scored[c, q] = (score, time.perf_counter() - start)
    picks = []
    for q, cands in items:
        scores = [scored[c, q][0] for c in cands]
        best = max(range(len(cands)), key=lambda i: scores[i]) if cands else None
        picks.append(Pick(cands[best] if best is not None else "", tuple(cands), tuple(scores),
                          sum(scored[c, q][1] for c in set(cands))))
    return picks


def pick_sentence(question: str, candidates) -> Pick:
    """The candidate after which the local model finds ``question`` most likely (see the module docstring)."""
    return pick_sentences([(question, candidates)])[0]
