"""Chunking: cut documents into overlapping windows of words or embedding-model tokens."""
from __future__ import annotations

from dataclasses import dataclass

from ai_pm_lab.embeddings import MAX_TOKENS, tokenizer
from ai_pm_lab.errors import InputError, InputTypeError, require_number

UNITS = ("words", "tokens")


@dataclass(frozen=True)
class Chunk:
    """A piece of one document: the text that gets embedded and cited."""

    chunk_id: str
    doc_id: str
    title: str
    date: str
    text: str
    position: int  # 0 for the document's first chunk

    def label(self) -> str:
        """Short citation label, e.g. [kb-002 #1]."""
        return f"[{self.doc_id} #{self.position}]"


def split_text(text: str, size: int = 60, overlap: int = 15, unit: str = "words") -> list[str]:
    """Cut ``text`` into windows of ``size`` words (or embedding tokens) that share ``overlap`` units."""
    if not isinstance(text, str):
        raise InputTypeError(f"text must be a string, not {type(text).__name__}.")
    size = require_number(size, "chunk size", low=8, high=2000, integer=True)
    overlap = require_number(overlap, "overlap", low=0, high=size - 1, integer=True)
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, not {unit!r}.")
    step = size - overlap
    if unit == "words":
        words = text.split()
        if not words:
            return []
        out = []
        for start in range(0, len(words), step):
            out.append(" ".join(words[start : start + size]))
            if start + size >= len(words):
                break
        return out
    tok = tokenizer()
    tok.no_truncation()
    try:
        enc = tok.encode(text, add_special_tokens=False)
    finally:
        tok.enable_truncation(max_length=MAX_TOKENS)
    offsets = enc.offsets
    if not offsets:
        return []
    out = []
    for start in range(0, len(offsets), step):
        end = min(start + size, len(offsets))
        out.append(text[offsets[start][0] : offsets[end - 1][1]])
        if end >= len(offsets):
            break
    return out


def chunk_documents(documents, size: int = 60, overlap: int = 15, unit: str = "words", *, include_title: bool = True) -> list[Chunk]:
    """Chunks of every document; each chunk starts with its document title so it stands on its own."""
    chunks = []
    for doc in documents:
        for i, piece in enumerate(split_text(doc.text, size, overlap, unit)):
            text = f"{doc.title}\n{piece}" if include_title else piece
            chunks.append(Chunk(f"{doc.id}#{i}", doc.id, doc.title, doc.date, text, i))
    return chunks
