"""generate(): one call to whichever model is active (local, OpenAI-compatible or Anthropic), costed and capped."""
from __future__ import annotations

import time
from contextlib import contextmanager

from ai_pm_lab.catalog import close_ids, find_model
from ai_pm_lab.cost import estimate_cost, spend_tracker
from ai_pm_lab.errors import (
    ConfigurationError,
    InputTypeError,
    ProviderError,
    SpendCapError,
    require_number,
    require_text,
)
from ai_pm_lab.llm import availability, remote
from ai_pm_lab.llm.base import Backend, Generation, build_messages
from ai_pm_lab.llm.fallback import announce_fallback, resolve_fallback
from ai_pm_lab.llm.local import LOCAL_MODEL_ID, LocalBackend
from ai_pm_lab.settings import MODEL_VAR, choose_backend, env, hosted_backends
from ai_pm_lab.tables import format_money

_BACKENDS: dict = {}
_OVERRIDES: list[tuple[Backend, str | None]] = []  # (engine, backend name it replaces or None for all), innermost last


def reset_backends() -> None:
    """Forget every backend made so far: the next call builds it again from the current settings (keys, base URL)."""
    _BACKENDS.clear()


@contextmanager
def backend_override(engine: Backend, *, replaces: str | None = None):
    """Inside the block, calls for ``replaces`` (a backend name; None = every backend) go to ``engine``.

    This is how ai_pm_lab.testing.fake_model scripts the model for tests; course code never needs it."""
    if not isinstance(engine, Backend):
        raise InputTypeError(f"engine must be a Backend (e.g. a ScriptedModel's backend), not {type(engine).__name__}.")
    if replaces is not None:
        replaces = choose_backend(replaces)
    entry = (engine, replaces)
    _OVERRIDES.append(entry)
    try:
        yield engine
    finally:
        _OVERRIDES.remove(entry)


def _override_for(name: str) -> Backend | None:
    for engine, replaces in reversed(_OVERRIDES):
        if replaces is None or replaces == name:
            return engine
    return None


def get_backend(backend: str | None = None, model: str | None = None) -> Backend:
    """The backend object that will answer (made once per kernel and reused)."""
    name = choose_backend(backend)
    if model is not None:
        require_text(model, "model")
    override = _override_for(name)
    if override is not None:
        return override
    if name == "local":
        if model not in (None, LOCAL_MODEL_ID):
            raise ConfigurationError(f"The local backend only runs {LOCAL_MODEL_ID!r}; drop model=... or pick backend='openai'.")
        key = ("local", LOCAL_MODEL_ID)
        if key not in _BACKENDS:
            _BACKENDS[key] = LocalBackend()
        return _BACKENDS[key]
    model = model or env(MODEL_VAR)
    close = close_ids(model) if model and find_model(model) is None else []
    if close:  # a typo of a listed id: say so here rather than after a round trip to the provider
        raise ConfigurationError(
            f"Unknown model id {model!r}: did you mean {' or '.join(map(repr, close))}? The price table "
            "(ai_pm_lab/data/models.csv) lists every model id the course knows."
        )
    cls = {"openai": remote.OpenAIBackend, "anthropic": remote.AnthropicBackend, "gemini": remote.GeminiBackend}[name]
    obj = cls(model=model)  # validates keys and base URL
    key = (name, obj.model, obj.endpoint)
    if key not in _BACKENDS:
        _BACKENDS[key] = obj
    return _BACKENDS[key]


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
    fallback = resolve_fallback(fallback)
    engine = get_backend(backend, model)
    messages = build_messages(prompt, system, history)
    info = find_model(engine.model)
    tracker = spend_tracker()
    if engine.paid and info is None:
        cap = tracker.cap_usd
        if cap is not None:
            raise SpendCapError(
                f"Refused: {engine.model!r} is not in the price table (ai_pm_lab/data/models.csv), so the "
                f"{format_money(cap)} spend cap cannot price this call. Add the model's prices to the table, pick a "
                "listed model, remove the cap with ai_pm_lab.set_spend_cap(None), or use backend='local' (free)."
            )
    booked = None
    if engine.paid and info is not None:  # book the worst case before sending; settled with the real usage after
        booked = tracker.reserve(estimate_cost(engine.model, engine.max_prompt_tokens(messages), max_tokens), engine.model)
    start = time.perf_counter()
    try:
        raw = engine._complete(messages, temperature=temperature, max_tokens=max_tokens, seed=seed)
    except BaseException as exc:
        if booked is not None:
            tracker.release(booked)  # a failed call costs nothing
        if not isinstance(exc, ProviderError) or fallback is None or engine.name == "local":
            raise
        announce_fallback(exc)  # opt-in: fallback='local' or AI_PM_LAB_FALLBACK=local
        return generate(prompt, system=system, history=history, backend="local", temperature=temperature,
                        max_tokens=max_tokens, seed=seed)
    latency = time.perf_counter() - start
    try:
        cost = estimate_cost(info.model_id, raw.prompt_tokens, raw.completion_tokens) if info is not None else None
    except BaseException:  # usage the price table cannot read: drop the booking, then say so
        if booked is not None:
            tracker.release(booked)
        raise
    if booked is not None:
        tracker.settle(booked, cost, engine.model)
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


def configured_backends(*, hosted_only: bool = False) -> list[str]:
    """Every backend this kernel can call: 'local' always (unless ``hosted_only``), then each hosted one whose key (or,
    for an OpenAI-compatible server, base URL) is set. The one answer to "which backends are configured"."""
    hosted = hosted_backends()
    return hosted if hosted_only else ["local", *hosted]


def describe_backend(backend: str | None = None) -> str:
    """A sentence naming the model that will answer, for the top of every notebook."""
    engine = get_backend(backend)
    info = find_model(engine.model)
    where = {
        "local": "on this machine, free, no network",
        "openai": f"through the OpenAI SDK at {getattr(engine, 'endpoint', '')}",
        "anthropic": "through the Anthropic SDK",
        "gemini": f"through the OpenAI SDK at {getattr(engine, 'endpoint', '')}",
    }[engine.name]
    name = info.display_name if info else engine.model
    line = f"Answers come from {name} [{engine.model}] ({where})."
    live = availability.describe_availability(engine)  # hosted models only: is the configured model still served?
    return f"{line}\n{live}" if live else line
