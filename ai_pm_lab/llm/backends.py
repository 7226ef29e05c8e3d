"""generate() and generate_many(): calls to whichever model is active (local, OpenAI-compatible or Anthropic), costed
and capped. Both take one path: validate each request, refuse what the spend cap cannot allow, answer (a backend's own
batches, or a bounded thread pool for hosted APIs), cost each answer and fall back per item when asked."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass

from ai_pm_lab.catalog import close_ids, find_model
from ai_pm_lab.cost import estimate_cost, spend_tracker
from ai_pm_lab.errors import (
    ConfigurationError,
    InputError,
    InputTypeError,
    ProviderError,
    SpendCapError,
    require_number,
    require_text,
)
from ai_pm_lab.llm import availability, cache, remote
from ai_pm_lab.llm.base import Backend, Generation, RawReply, build_messages, check_stop
from ai_pm_lab.llm.fallback import announce_fallback, resolve_fallback
from ai_pm_lab.llm.local import LOCAL_MODEL_ID, LocalBackend, local_weights_phrase
from ai_pm_lab.progress import bar as progress_bar
from ai_pm_lab.settings import MODEL_VAR, choose_backend, env, hosted_backends, hosted_concurrency
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


REQUEST_KEYS = ("prompt", "system", "history", "temperature", "max_tokens", "seed", "stop")  # one request's keywords
DEFAULTS = {"system": None, "history": None, "temperature": 0.7, "max_tokens": 128, "seed": None, "stop": None}
MAX_CONCURRENCY = 64


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
    stop: str | list[str] | None = None,
    fallback: str | None = None,
) -> Generation:
    """Ask the active model; returns the text with tokens, latency, model id and estimated cost.

    ``stop``: a string or a list of up to 4 short strings; the answer ends before the first of them (e.g. stop="\n" for
    a one-line answer). One call of generate_many()'s path: the same checks, spend cap, costing and fallback."""
    request = check_request({"prompt": prompt, "system": system, "history": history, "temperature": temperature,
                             "max_tokens": max_tokens, "seed": seed, "stop": stop})
    fallback = resolve_fallback(fallback)
    engine = get_backend(backend, model)
    [result] = _run(engine, [request], fallback=fallback, concurrency=1)
    if isinstance(result, BaseException):
        raise result
    return result


def generate_many(
    requests: Iterable[Mapping | str],
    *,
    backend: str | None = None,
    model: str | None = None,
    fallback: str | None = None,
    progress: bool = True,
    desc: str = "Generating",
    concurrency: int | None = None,
    on_done: Callable[[int], None] | None = None,
    batch_size: int | None = None,
) -> list[Generation | BaseException]:
    """Answer many requests on one model; one result per request, in input order.

    Each request is a dict of generate()'s keywords (``prompt``, ``system``, ``history``, ``temperature``,
    ``max_tokens``, ``seed``, ``stop``), or just a prompt string. A request that fails (a bad value, the spend cap, a
    provider error) gives its exception in its place instead of a Generation; the others still run.

    How the requests travel: a backend that decodes several at once (the local model) gets them in batches of its
    ``batch_size`` (or the ``batch_size`` given here: the local model's default is 1, see LocalBackend); a hosted
    API gets up to ``concurrency`` requests at the same time (default AI_PM_LAB_CONCURRENCY, else 8; 1 sends them one
    by one), each retried on 429 as generate() does. The spend cap books each request's worst
    case just before it is sent, so requests in flight together never pass the cap: one that could is refused.

    How the wall time is shared: an answer's ``latency_s`` runs from the start of the batch it was decoded in until
    that answer was finished, and ``batch_size`` says how many were decoded together (a hosted request is a batch of
    one, so its latency is its own round trip). ``on_done(i)`` is called as request ``i`` finishes (a progress bar of
    your own; ``progress=True`` shows one)."""
    if isinstance(requests, (str, bytes, Mapping)) or not isinstance(requests, Iterable):
        raise InputTypeError(f"requests must be a list of dicts of generate() keywords (or of prompts), not "
                             f"{type(requests).__name__}.")
    requests = list(requests)
    if concurrency is not None:
        concurrency = require_number(concurrency, "concurrency", low=1, high=MAX_CONCURRENCY, integer=True)
    if batch_size is not None:
        batch_size = require_number(batch_size, "batch_size", low=1, high=MAX_CONCURRENCY, integer=True)
    if on_done is not None and not callable(on_done):
        raise InputTypeError(f"on_done must be a function of the request's index, not {type(on_done).__name__}.")
    prepared = []
    for i, request in enumerate(requests):
        try:
            prepared.append(check_request({"prompt": request} if isinstance(request, str) else request, index=i))
        except Exception as exc:  # noqa: BLE001 - a bad request fails in its own place
            prepared.append(exc)
    fallback = resolve_fallback(fallback)
    engine = get_backend(backend, model)
    bar = progress_bar(total=len(prepared), desc=desc, disable=not progress or len(prepared) < 2, leave=False)

    def done(i: int) -> None:
        bar.update(1)
        if on_done is not None:
            on_done(i)

    try:
        for i, item in enumerate(prepared):  # bad requests are finished at once
            if isinstance(item, BaseException):
                done(i)
        return _run(engine, prepared, fallback=fallback, concurrency=concurrency, on_done=done, batch_size=batch_size)
    finally:
        bar.close()


def check_request(request, index: int | None = None) -> dict:
    """One request (a dict of generate() keywords) checked and turned into what a backend takes: messages,
    temperature, max_tokens, seed, stop. Raises the course error a bad value deserves (as generate() would)."""
    where = "" if index is None else f"requests[{index}]: "
    if not isinstance(request, Mapping):
        raise InputTypeError(f"{where}a request must be a dict of generate() keywords (prompt=..., max_tokens=...) or a "
                             f"prompt string, not {type(request).__name__}.")
    unknown = sorted(set(request) - set(REQUEST_KEYS))
    if unknown:
        raise InputError(f"{where}unknown request key(s) {unknown}: a request takes {', '.join(REQUEST_KEYS)} (the "
                         "backend, model and fallback are chosen once for the whole batch).")
    if "prompt" not in request:
        raise InputError(f"{where}the request has no 'prompt'.")
    r = {**DEFAULTS, **request}
    prompt = require_text(r["prompt"], "prompt")
    temperature = float(require_number(r["temperature"], "temperature", low=0, high=2))
    max_tokens = require_number(r["max_tokens"], "max_tokens", low=1, high=32_768, integer=True)
    seed = r["seed"]
    if seed is not None:
        seed = require_number(seed, "seed", low=0, high=2**31 - 1, integer=True)
    stop = check_stop(r["stop"])
    messages = build_messages(prompt, r["system"], r["history"])
    return {"messages": messages, "temperature": temperature, "max_tokens": max_tokens, "seed": seed, "stop": stop}


@dataclass(frozen=True)
class _Reply:
    """One answered request before it becomes a Generation: the raw reply and its receipts."""

    raw: RawReply
    latency_s: float
    cost_usd: float | None
    batch_size: int = 1
    cached: bool = False


def _run(engine: Backend, prepared: list, *, fallback: str | None, concurrency: int | None,
         on_done: Callable[[int], None] | None = None, batch_size: int | None = None) -> list[Generation | BaseException]:
    """The one path every request takes: spend-cap rules, answers, Generations in input order, fallback per item."""
    results: list = list(prepared)  # failures from check_request stay in place
    todo = [i for i, p in enumerate(prepared) if not isinstance(p, BaseException)]
    if not todo:
        return results
    if engine.paid and find_model(engine.model) is None:
        cap = spend_tracker().cap_usd
        if cap is not None:
            for i in todo:
                results[i] = SpendCapError(
                    f"Refused: {engine.model!r} is not in the price table (ai_pm_lab/data/models.csv), so the "
                    f"{format_money(cap)} spend cap cannot price this call. Add the model's prices to the table, pick "
                    "a listed model, remove the cap with ai_pm_lab.set_spend_cap(None), or use backend='local' (free)."
                )
                if on_done is not None:
                    on_done(i)
            return results
    replies = _answer(engine, [prepared[i] for i in todo],
                      (lambda k: on_done(todo[k])) if on_done is not None else None, concurrency=concurrency,
                      batch_size=batch_size)
    retry = []
    for i, reply in zip(todo, replies):
        if isinstance(reply, _Reply):
            raw = reply.raw
            results[i] = Generation(text=raw.text, backend=engine.name, model=raw.model or engine.model,
                                    prompt_tokens=raw.prompt_tokens, completion_tokens=raw.completion_tokens,
                                    latency_s=reply.latency_s, cost_usd=reply.cost_usd, finish_reason=raw.finish_reason,
                                    batch_size=reply.batch_size, cached=reply.cached)
        else:
            results[i] = reply
            if isinstance(reply, ProviderError) and fallback is not None and engine.name != "local":
                retry.append(i)
    if retry:  # opt-in: fallback='local' or AI_PM_LAB_FALLBACK=local; said once per call, visibly
        announce_fallback(results[retry[0]])
        local = get_backend("local")
        for i, result in zip(retry, _run(local, [prepared[i] for i in retry], fallback=None, concurrency=None)):
            results[i] = result
    return results


def _answer(engine: Backend, prepared: list[dict], on_done: Callable[[int], None] | None, *,
            concurrency: int | None = None, batch_size: int | None = None) -> list[_Reply | BaseException]:
    """Answers for prepared requests (dicts of messages, temperature, max_tokens, seed, stop), in input order; a failed
    one is its exception. ``on_done(k)`` is called as request ``k`` finishes."""
    # response cache: see llm/cache.py
    keys = [cache.key_for(engine, request) for request in prepared]
    results: list = [None] * len(prepared)
    for k, key in enumerate(keys):
        hit = cache.lookup(key) if key is not None else None
        if hit is not None:  # the answer, tokens and the latency and cost measured when it was generated
            raw = RawReply(hit["text"], hit["prompt_tokens"], hit["completion_tokens"], hit["finish_reason"], hit["model"])
            results[k] = _Reply(raw, hit["latency_s"], hit["cost_usd"], batch_size=hit.get("batch_size") or 1, cached=True)
            if on_done is not None:
                on_done(k)
    todo = [k for k, r in enumerate(results) if r is None]
    if todo:
        sent = _send(engine, [prepared[k] for k in todo], (lambda j: on_done(todo[j])) if on_done is not None else None,
                     concurrency=concurrency, batch_size=batch_size)
        for k, reply in zip(todo, sent):
            results[k] = reply
            if keys[k] is not None and isinstance(reply, _Reply):
                cache.store(keys[k], {**vars(reply.raw), "latency_s": reply.latency_s, "cost_usd": reply.cost_usd,
                                      "batch_size": reply.batch_size})
    return results


def _send(engine: Backend, prepared: list[dict], on_done, *, concurrency: int | None,
          batch_size: int | None = None) -> list[_Reply | BaseException]:
    """Send requests to the backend: in its own batches when it has _complete_many, else from a bounded thread pool
    (hosted APIs) or one by one. Each paid request books its worst case on the spend cap just before it is sent."""
    info = find_model(engine.model)
    tracker = spend_tracker()
    results: list = [None] * len(prepared)

    def finished(k: int) -> None:
        if on_done is not None:
            on_done(k)

    def book(request: dict) -> float | None:
        """Book a paid request's worst case (None: nothing to book); raises SpendCapError when it could pass the cap."""
        if not engine.paid or info is None:
            return None
        worst = estimate_cost(engine.model, engine.max_prompt_tokens(request["messages"]), request["max_tokens"])
        return tracker.reserve(worst, engine.model)

    def settle(raw: RawReply, booked: float | None) -> float | None:
        """The answer's cost from the usage it reports; the booking is replaced by it (dropped if it cannot be read)."""
        try:
            cost = estimate_cost(info.model_id, raw.prompt_tokens, raw.completion_tokens) if info is not None else None
        except BaseException:  # usage the price table cannot read: drop the booking, then say so
            if booked is not None:
                tracker.release(booked)
            raise
        if booked is not None:
            tracker.settle(booked, cost, engine.model)
        return cost

    def one(k: int, booked: float | None) -> _Reply:
        request = prepared[k]
        start = time.perf_counter()
        try:
            raw = engine._complete(request["messages"], temperature=request["temperature"],
                                   max_tokens=request["max_tokens"], seed=request["seed"], stop=request["stop"])
        except BaseException:
            if booked is not None:
                tracker.release(booked)  # a failed call costs nothing
            raise
        latency = time.perf_counter() - start
        return _Reply(raw, latency, settle(raw, booked))

    if hasattr(engine, "_complete_many"):
        size = batch_size or max(1, int(getattr(engine, "batch_size", 1) or 1))
        for first in range(0, len(prepared), size):
            chunk, booked = [], {}
            for k in range(first, min(first + size, len(prepared))):
                try:
                    booked[k] = book(prepared[k])
                    chunk.append(k)
                except Exception as exc:  # noqa: BLE001 - refused (the cap): in its place, unsent
                    results[k] = exc
                    finished(k)
            if not chunk:
                continue
            ends: dict[int, float] = {}

            def chunk_done(j: int, chunk=chunk, ends=ends) -> None:
                ends[chunk[j]] = time.perf_counter()
                finished(chunk[j])

            start = time.perf_counter()
            try:
                raws = engine._complete_many([prepared[k] for k in chunk], on_done=chunk_done)
            except BaseException:
                for k in chunk:
                    if booked[k] is not None:
                        tracker.release(booked[k])
                raise
            stop = time.perf_counter()
            for k, raw in zip(chunk, raws):
                if isinstance(raw, BaseException):
                    if booked[k] is not None:
                        tracker.release(booked[k])
                    results[k] = raw
                    continue
                try:
                    results[k] = _Reply(raw, ends.get(k, stop) - start, settle(raw, booked[k]), batch_size=len(chunk))
                except Exception as exc:  # noqa: BLE001 - usage the price table cannot read fails this item only
                    results[k] = exc
        return results

    width = 1 if not engine.concurrent else concurrency or hosted_concurrency()
    if width == 1 or len(prepared) == 1:  # one by one, in this thread (what generate() always does)
        for k in range(len(prepared)):
            try:
                results[k] = one(k, book(prepared[k]))
            except Exception as exc:  # noqa: BLE001 - each failure is returned in its place
                results[k] = exc
            finished(k)
        return results

    # A bounded pool. This thread books each request in input order as a slot frees up, so the spend cap counts every
    # request in flight, and it calls on_done itself (progress bars are updated from the caller's thread).
    pending: dict = {}
    queue = iter(range(len(prepared)))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="ai-pm-lab-request") as pool:
        try:
            while True:
                for k in queue:
                    try:
                        booked = book(prepared[k])
                    except Exception as exc:  # noqa: BLE001 - refused (the cap): in its place, unsent
                        results[k] = exc
                        finished(k)
                        continue
                    pending[pool.submit(one, k, booked)] = k
                    if len(pending) >= width:
                        break
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    k = pending.pop(future)
                    exc = future.exception()
                    results[k] = exc if exc is not None else future.result()
                    finished(k)
        except BaseException:  # interrupted: send nothing more, let the requests in flight end
            for future in pending:
                future.cancel()
            raise
    return results


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
    if isinstance(engine, LocalBackend):  # which weights run: the shipped file or the faster copy made from it
        where += f"; {local_weights_phrase()}"
    name = info.display_name if info else engine.model
    line = f"Answers come from {name} [{engine.model}] ({where})."
    live = availability.describe_availability(engine)  # hosted models only: is the configured model still served?
    return f"{line}\n{live}" if live else line
