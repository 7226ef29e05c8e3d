"""The real model's next-token distribution: full-vocabulary probabilities, top-k, temperature, entropy, sampling."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai_pm_lab.errors import ContextWindowError, InputError, require_number, require_text
from ai_pm_lab.llm import cache
from ai_pm_lab.llm.local import MODEL_LOCK, llama, n_ctx, token_text, tokenize
from ai_pm_lab.tables import returns_course_table

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64


def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities from logits at a temperature; temperature 0 puts all mass on the top token."""
    temperature = float(require_number(temperature, "temperature", low=0, high=2))
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 1 or logits.size == 0:
        raise InputError("logits must be a non-empty 1-D array of scores, one per vocabulary token.")
    if temperature == 0:
        probs = np.zeros_like(logits)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    z = logits / temperature
    z -= z.max()
    e = np.exp(z)
    return e / e.sum()


def entropy_bits(probs: np.ndarray) -> float:
    """Shannon entropy in bits: 0 means certain, log2(vocabulary) means every token equally likely."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return max(0.0, float(-(p * np.log2(p)).sum()))  # never print -0.0


@dataclass(frozen=True)
class NextTokenDistribution:
    """Raw next-token scores (logits) over the whole vocabulary after a prompt, with helpers to read them."""

    prompt: str
    logits: np.ndarray

    @property
    def vocab_size(self) -> int:
        """Number of tokens the model chooses from."""
        return int(self.logits.shape[0])

    def probs(self, temperature: float = 1.0) -> np.ndarray:
        """Probability of every vocabulary token at ``temperature``."""
        return softmax_with_temperature(self.logits, temperature)

    def entropy(self, temperature: float = 1.0) -> float:
        """Entropy in bits of the distribution at ``temperature``."""
        return entropy_bits(self.probs(temperature))

    @returns_course_table
    def top_k(self, k: int = 10, temperature: float = 1.0):
        """The k most likely next tokens as a DataFrame: rank, token, probability, token_id."""
        k = require_number(k, "k", low=1, high=self.vocab_size, integer=True)
        p = self.probs(temperature)
        ids = np.argsort(-p, kind="stable")[:k]
        return pd.DataFrame(
            {
                "rank": np.arange(1, k + 1),
                "token": [token_text(int(i)) for i in ids],
                "probability": p[ids],
                "token_id": ids.astype(int),
            }
        )

    def probability_of(self, word: str, temperature: float = 1.0) -> float:
        """Probability that the next token is the first token of ``word`` (e.g. " mat"; mind the leading space)."""
        require_text(word, "word")
        ids = tokenize(word)
        return float(self.probs(temperature)[ids[0]])

    def rank_of(self, word: str) -> int:
        """Rank (1 = most likely) of the first token of ``word`` among all next tokens."""
        require_text(word, "word")
        token_id = tokenize(word)[0]
        return int((self.logits > self.logits[token_id]).sum()) + 1

    def sample(self, n: int = 10, temperature: float = 1.0, seed: int | None = 0) -> list[str]:
        """Draw n next tokens at ``temperature`` (reproducible with a seed)."""
        n = require_number(n, "n", low=1, high=10_000, integer=True)
        if seed is not None:
            seed = require_number(seed, "seed", low=0, high=2**32 - 1, integer=True)
        rng = np.random.default_rng(seed)
        ids = rng.choice(self.vocab_size, size=n, p=self.probs(temperature))
        return [token_text(int(i)) for i in ids]


def next_token_distribution(prompt: str) -> NextTokenDistribution:
    """The local model's scores for every possible next token after ``prompt`` (cached per prompt)."""
    require_text(prompt, "prompt")
    if prompt in _CACHE:
        _CACHE.move_to_end(prompt)
        return _CACHE[prompt]
    key = cache.local_key("next_token", prompt=prompt)  # kept on disk too: a second run of a lesson reads it back
    hit = cache.lookup(key, count=False) if key is not None else None
    if hit is not None and len(hit.get("blob") or b"") == 4 * hit.get("vocab", -1):
        dist = NextTokenDistribution(prompt=prompt, logits=np.frombuffer(hit["blob"], dtype=np.float32).copy())
        _CACHE[prompt] = dist
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return dist
    import llama_cpp  # the compiled llama.cpp bindings load when the first distribution is computed

    with MODEL_LOCK:
        model = llama()
        tokens = model.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        if len(tokens) >= n_ctx():
            raise ContextWindowError(
                f"The prompt is {len(tokens):,} tokens; the local model's window is {n_ctx():,}. Use a shorter prompt."
            )
        # Reuse the previous prompt's evaluated start where it is exact (a judge's rubric, a shared instruction), and
        # evaluate the rest in batches as a from-scratch evaluation would: the same scores, fewer tokens computed.
        model.n_tokens = model.reusable_prefix(tokens) if hasattr(model, "reusable_prefix") else 0
        try:
            model.eval(tokens[model.n_tokens:])
            raw = llama_cpp.llama_get_logits_ith(model.ctx, -1)
            logits = np.ctypeslib.as_array(raw, shape=(model.n_vocab(),)).astype(np.float32).copy()
        except Exception:
            model.reset()
            raise
    dist = NextTokenDistribution(prompt=prompt, logits=logits)
    if key is not None:
        cache.store(key, {"vocab": int(logits.shape[0])}, blob=logits.tobytes())
    _CACHE[prompt] = dist
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return dist


def reset_memory() -> None:
    """Forget the distributions kept in memory in this kernel (as a fresh kernel would; the disk cache stays)."""
    _CACHE.clear()
