"""How sure was the local model of an answer? The probability it gave each token of the answer, read from its own scores.

A product can show this number next to an answer ("low confidence: check this") as a hallucination mitigation. Whether
the number is worth showing is a measurement: ai_pm_lab.limits.confidence checks how well it tracks correctness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_pm_lab.errors import ConfigurationError, ContextWindowError, require_text
from ai_pm_lab.llm import cache
from ai_pm_lab.llm.backends import get_backend
from ai_pm_lab.llm.base import build_messages
from ai_pm_lab.llm.local import MODEL_LOCK, llama, n_ctx, tokenize

MAX_ANSWER_TOKENS = 256


@dataclass(frozen=True)
class AnswerConfidence:
    """The probability of every answer token given the prompt and the answer so far, and summaries of them."""

    tokens: int
    token_probs: tuple[float, ...]

    @property
    def first_token(self) -> float:
        """Probability of the answer's first token (0..1)."""
        return self.token_probs[0] if self.token_probs else float("nan")

    @property
    def mean_logprob(self) -> float:
        """Mean natural-log probability per answer token (0 = certain of every token; more negative = less sure)."""
        return float(np.mean(np.log(np.maximum(self.token_probs, 1e-12)))) if self.token_probs else float("nan")

    @property
    def score(self) -> float:
        """One confidence figure from 0 to 1: the geometric mean of the token probabilities (exp of mean_logprob)."""
        return float(np.exp(self.mean_logprob)) if self.token_probs else float("nan")


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - float(logits.max())
    return z - np.log(np.exp(z).sum())


def answer_confidence(prompt: str, answer: str, *, system: str | None = None) -> AnswerConfidence:
    """How likely the local model found ``answer`` to ``prompt``, token by token (one forward pass, no generation)."""
    require_text(prompt, "prompt")
    require_text(answer, "answer", allow_empty=True)
    engine = get_backend("local")
    if engine.name != "local" or not hasattr(engine, "chat_tokens"):
        raise ConfigurationError("answer_confidence reads the local model's token probabilities; it needs backend='local'.")
    prompt_ids = engine.chat_tokens(build_messages(prompt, system))
    answer_ids = tokenize(answer.strip())[:MAX_ANSWER_TOKENS] if answer.strip() else []
    if len(prompt_ids) + len(answer_ids) >= n_ctx():
        raise ContextWindowError(f"Prompt and answer take {len(prompt_ids) + len(answer_ids):,} tokens; the local "
                                 f"model's window is {n_ctx():,}. Use a shorter prompt.")
    if not answer_ids:
        return AnswerConfidence(0, ())
    # kept on disk, so a second run reads it; passes=1: scored in one pass (the rule since 2026-12-07)
    key = cache.local_key("confidence", prompt=prompt_ids, answer=answer_ids, passes=1)
    hit = cache.lookup(key, count=False) if key is not None else None
    if hit is not None:
        return AnswerConfidence(hit["tokens"], tuple(hit["probs"]))
    with MODEL_LOCK:
        model = llama()
        # One pass over the prompt and the answer (all but its last token), with scores after the prompt's last token
        # and each answer token; the cached start is reused only where exact (the shared chat header, or the same
        # prompt as the last call), and what is evaluated is cut as a from-scratch evaluation of it would be.
        seq, first = prompt_ids + answer_ids[:-1], len(prompt_ids) - 1
        model.n_tokens = min(model.reusable_prefix(seq), first)
        try:
            rows = model.eval_rows(seq[model.n_tokens:], first)
        except Exception:
            model.reset()
            raise
    probs = tuple(float(np.exp(_log_softmax(row)[tok])) for row, tok in zip(rows, answer_ids))
    if key is not None:
        cache.store(key, {"tokens": len(answer_ids), "probs": list(probs)})
    return AnswerConfidence(len(answer_ids), probs)
