"""Token counting on each backend's tokenizer: exact for the local model and OpenAI, a labelled estimate for Anthropic."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ai_pm_lab.catalog import default_model, find_model, models
from ai_pm_lab.errors import ConfigurationError, require_text
from ai_pm_lab.llm.local import token_text, tokenize
from ai_pm_lab.settings import MODEL_VAR, choose_backend, env

MAX_CHARS = 5_000_000
PIECE_BACKENDS = ("local", "openai")  # backends whose tokenizer token_pieces() can show piece by piece


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
        raise ValueError(f"text is {len(text):,} characters; count at most {MAX_CHARS:,} at a time (split it first).")
    return text


def count_tokens(text: str, backend: str | None = None, model: str | None = None) -> int:
    """Tokens ``text`` takes on a backend's tokenizer (default: the active backend)."""
    _check(text)
    if model is not None:
        require_text(model, "model")
    if backend is None and model is not None:
        info = find_model(model)
        backend = info.provider if info else None
    name = choose_backend(backend) if backend not in ("google",) else backend
    name = "google" if name == "gemini" else name
    if name == "local":
        return len(tokenize(text))
    if name == "openai":
        model = model or env(MODEL_VAR) or default_model("openai")
        return len(_openai_encoding(openai_encoding_name(model)).encode(text))
    if name in ("anthropic", "google"):
        # Claude's and Gemini's tokenizers are not published for offline use: cl100k_base is a close stand-in.
        return len(_openai_encoding("cl100k_base").encode(text))
    raise ConfigurationError(f"No tokenizer for backend {name!r}.")  # pragma: no cover


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
        return [enc.decode([t]) for t in enc.encode(text)]
    raise ConfigurationError(f"token_pieces supports backend {' or '.join(map(repr, PIECE_BACKENDS))}, not {backend!r}.")


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
