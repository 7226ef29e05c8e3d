"""One generation interface over three backends: the local model, OpenAI (or any compatible server) and Anthropic."""
from __future__ import annotations

import time
from dataclasses import dataclass

from .catalog import find_model
from .cost import estimate_cost, spend_tracker
from .errors import ProviderError, require_number, require_text
from .settings import choose_backend


@dataclass(frozen=True)
class RawReply:
    """What a backend hands back before timing and costing."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    model: str


@dataclass(frozen=True)
class Generation:
    """One model answer with its receipts: tokens, latency, model id and estimated cost."""

    text: str
    backend: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost_usd: float | None
    finish_reason: str

    def __str__(self) -> str:
        return self.text

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens per second of wall-clock time."""
        return self.completion_tokens / self.latency_s if self.latency_s > 0 else float("nan")

    def receipt(self) -> str:
        """One line saying who answered, how many tokens, how long and how much."""
        cost = "price unknown" if self.cost_usd is None else f"${self.cost_usd:.6f}"
        return (
            f"{self.model} via {self.backend} · {self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
            f" · {self.latency_s:.2f} s · {cost}"
        )


class Backend:
    """A model that can answer chat messages; subclasses implement ``_complete`` and ``count_tokens``."""

    name = "base"
    paid = False

    def __init__(self, model: str):
        self.model = model

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    @property
    def context_window(self) -> int:
        """Tokens the model can see at once (prompt plus answer)."""
        info = find_model(self.model)
        return info.context_window if info else 8192

    def count_tokens(self, text: str) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _complete(self, messages, *, temperature, max_tokens, seed) -> RawReply:  # pragma: no cover - abstract
        raise NotImplementedError

    def estimate_prompt_tokens(self, messages) -> int:
        """Tokens the messages will take, plus a few per message for the chat format."""
        return sum(self.count_tokens(m["content"]) + 4 for m in messages)


_BACKENDS: dict = {}


def get_backend(backend: str | None = None, model: str | None = None) -> Backend:
    """The backend object that will answer (made once per kernel and reused)."""
    name = choose_backend(backend)
    if model is not None:
        require_text(model, "model")
    from .settings import MODEL_VAR, env

    if name == "local":
        from .local_model import LocalBackend, LOCAL_MODEL_ID

        if model not in (None, LOCAL_MODEL_ID):
            from .errors import ConfigurationError

            raise ConfigurationError(f"The local backend only runs {LOCAL_MODEL_ID!r}; drop model=... or pick backend='openai'.")
        key = ("local", LOCAL_MODEL_ID)
        if key not in _BACKENDS:
            _BACKENDS[key] = LocalBackend()
        return _BACKENDS[key]
    from . import remote

    model = model or env(MODEL_VAR)
    cls = remote.OpenAIBackend if name == "openai" else remote.AnthropicBackend
    obj = cls(model=model)  # validates keys and base URL
    key = (name, obj.model, obj.endpoint)
    if key not in _BACKENDS:
        _BACKENDS[key] = obj
    return _BACKENDS[key]


def build_messages(prompt: str, system: str | None = None, history=None) -> list[dict]:
    """Chat messages for a prompt, an optional system message and earlier turns."""
    messages = []
    if system is not None:
        messages.append({"role": "system", "content": require_text(system, "system")})
    if history is not None and not isinstance(history, (list, tuple)):
        raise TypeError(f"history must be a list of {{'role': ..., 'content': ...}} dicts, not {type(history).__name__}.")
    for turn in history or []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(turn.get("content"), str):
            raise ValueError("history must be a list of {'role': 'user'|'assistant', 'content': str} dicts.")
        messages.append({"role": turn["role"], "content": turn["content"]})
    messages.append({"role": "user", "content": prompt})
    return messages


def generate(
    prompt: str,
    *,
    system: str | None = None,
    history=None,
    backend: str | None = None,
    model: str | None = None,
    temperature: float = 0.7,
    max_tokens: int = 128,
    seed: int | None = None,
    fallback: str | None = None,
) -> Generation:
    """Ask the active model; returns the text with tokens, latency, model id and estimated cost."""
    require_text(prompt, "prompt")
    temperature = float(require_number(temperature, "temperature", low=0, high=2))
    max_tokens = require_number(max_tokens, "max_tokens", low=1, high=32_768, integer=True)
    if seed is not None:
        seed = require_number(seed, "seed", low=0, high=2**31 - 1, integer=True)
    from .remote import resolve_fallback

    fallback = resolve_fallback(fallback)
    engine = get_backend(backend, model)
    messages = build_messages(prompt, system, history)
    info = find_model(engine.model)
    tracker = spend_tracker()
    if engine.paid and info is None and tracker.cap_usd is not None:
        from .errors import SpendCapError

        raise SpendCapError(
            f"Refused: {engine.model!r} is not in the price table (ai_pm_lab/data/models.csv), so the "
            f"${tracker.cap_usd:.2f} spend cap cannot price this call. Add the model's prices to the table, pick a "
            "listed model, remove the cap with ai_pm_lab.set_spend_cap(None), or use backend='local' (free)."
        )
    if engine.paid and info is not None:
        tracker.check(estimate_cost(engine.model, engine.estimate_prompt_tokens(messages), max_tokens), engine.model)
    start = time.perf_counter()
    try:
        raw = engine._complete(messages, temperature=temperature, max_tokens=max_tokens, seed=seed)
    except ProviderError as exc:  # opt-in: fallback='local' or AI_PM_LAB_FALLBACK=local
        if fallback is None or engine.name == "local":
            raise
        from .remote import announce_fallback

        announce_fallback(exc)
        return generate(prompt, system=system, history=history, backend="local", temperature=temperature,
                        max_tokens=max_tokens, seed=seed)
    latency = time.perf_counter() - start
    cost = estimate_cost(info.model_id, raw.prompt_tokens, raw.completion_tokens) if info is not None else None
    if engine.paid and cost is not None:
        tracker.record(cost, engine.model)
    return Generation(
        text=raw.text,
        backend=engine.name,
        model=raw.model or engine.model,
        prompt_tokens=raw.prompt_tokens,
        completion_tokens=raw.completion_tokens,
        latency_s=latency,
        cost_usd=cost,
        finish_reason=raw.finish_reason,
    )


def describe_backend(backend: str | None = None) -> str:
    """A sentence naming the model that will answer, for the top of every notebook."""
    engine = get_backend(backend)
    info = find_model(engine.model)
    where = {
        "local": "on this machine, free, no network",
        "openai": f"through the OpenAI SDK at {getattr(engine, 'endpoint', '')}",
        "anthropic": "through the Anthropic SDK",
    }[engine.name]
    name = info.display_name if info else engine.model
    return f"Answers come from {name} [{engine.model}] ({where})."
