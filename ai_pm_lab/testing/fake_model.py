"""A scripted stand-in for the model behind ``generate()``, for tests: fixed replies, every call recorded.

    with ScriptedModel("I don't know.") as model:        # one reply for every call
        hallucination.ask_question("future-1", "no context")
    model.prompts                                          # what the code sent, in order

    ScriptedModel(["first", "second"])                     # replies in order (running out is an error)
    ScriptedModel(lambda prompt: "38" if "locker" in prompt else "no idea")
    ScriptedModel(lambda prompt, system=None, **kw: ...)   # also sees system, history, temperature, max_tokens, seed, stop
    ScriptedModel("local answer", replaces="local")        # only calls for the local backend (e.g. a fallback test)

Everything above the backend stays real: generate()'s validation, the chat messages, the context-window check
(the scripted model counts tokens with the local model's tokenizer and refuses an over-long prompt as the local model
does), receipts and the spend cap. tests/conftest.py offers it as the ``fake_model`` fixture.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from ai_pm_lab.errors import ContextWindowError, InputTypeError, require_text
from ai_pm_lab.llm.backends import backend_override
from ai_pm_lab.llm.base import Backend, Generation, RawReply, cut_at_stop
from ai_pm_lab.llm.local import LOCAL_MODEL_ID, LocalBackend, n_ctx


def fake_generation(text: str, *, prompt_tokens: int = 10, completion_tokens: int = 5, latency_s: float = 0.01,
                    cost_usd: float | None = 0.0, model: str = LOCAL_MODEL_ID, backend: str = "local",
                    finish_reason: str = "stop") -> Generation:
    """A real Generation with made-up receipts, for code under test that is handed a model answer directly
    (most tests should let a ScriptedModel answer through generate() instead)."""
    return Generation(text=require_text(text, "text", allow_empty=True), backend=backend, model=model,
                      prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, latency_s=latency_s,
                      cost_usd=cost_usd, finish_reason=finish_reason)


class ScriptExhausted(RuntimeError):
    """A ScriptedModel given a list of replies was called more times than the list is long."""


@dataclass(frozen=True)
class ScriptedCall:
    """One call the code under test made: the prompt and everything sent with it."""

    prompt: str
    system: str | None
    history: list = field(default_factory=list)
    temperature: float = 0.0
    max_tokens: int = 0
    seed: int | None = None
    messages: list = field(default_factory=list, repr=False)
    stop: list | None = None


KEYWORDS = ("system", "history", "temperature", "max_tokens", "seed", "stop")


def _keywords_taken(fn: Callable) -> tuple[str, ...]:
    """Which of KEYWORDS a reply function accepts (all of them if it takes **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin without a signature: give it the prompt only
        return ()
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return KEYWORDS
    return tuple(k for k in KEYWORDS if k in params)


class ScriptedBackend(Backend):
    """The Backend a ScriptedModel installs: answers from the script, counts tokens like the local model."""

    paid = False

    def __init__(self, script: "ScriptedModel", name: str = "local"):
        super().__init__(LOCAL_MODEL_ID)
        self.name = name
        self._script = script
        self._local = LocalBackend()

    @property
    def context_window(self) -> int:
        return n_ctx()

    def count_tokens(self, text: str) -> int:
        return self._local.count_tokens(text)

    def estimate_prompt_tokens(self, messages) -> int:
        return self._local.estimate_prompt_tokens(messages)

    def _complete(self, messages, *, temperature, max_tokens, seed, stop=None) -> RawReply:
        needed = self.estimate_prompt_tokens(messages)
        if needed >= self.context_window:
            raise ContextWindowError(
                f"The prompt is {needed:,} tokens but the local model's window is {self.context_window:,} (scripted model)."
            )
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        chat = [m for m in messages if m["role"] != "system"]
        call = ScriptedCall(prompt=chat[-1]["content"], system=system, history=[dict(m) for m in chat[:-1]],
                            temperature=temperature, max_tokens=max_tokens, seed=seed, messages=[dict(m) for m in messages],
                            stop=None if stop is None else list(stop))
        text, _ = cut_at_stop(self._script._reply(call), stop)  # a stop rule ends the scripted reply as it ends a real one
        return RawReply(text, needed, self.count_tokens(text) if text else 0, "stop", LOCAL_MODEL_ID)


class ScriptedModel:
    """Replace the model behind every generate() call with scripted replies, and record what was sent.

    ``replies``: one string for every call, a list of strings used in order, or a function of the prompt
    (optionally taking ``system``, ``history``, ``temperature``, ``max_tokens``, ``seed``, ``stop`` as keywords) returning the
    reply; a function may raise to simulate a failing model. ``replaces``: a backend name whose calls it takes over
    (default: every backend)."""

    def __init__(self, replies: str | Sequence[str] | Callable = "I don't know.", *, replaces: str | None = None,
                 name: str = "local"):
        self.calls: list[ScriptedCall] = []
        self.replaces = replaces
        self.backend = ScriptedBackend(self, name)
        self._stack: ExitStack | None = None
        self.reply_with(replies)

    def reply_with(self, replies: str | Sequence[str] | Callable) -> "ScriptedModel":
        """Change the script (same forms as the constructor); calls already recorded are kept."""
        if isinstance(replies, str):
            self._next = lambda call: replies
        elif callable(replies):
            keywords = _keywords_taken(replies)

            def run(call: ScriptedCall) -> str:
                return replies(call.prompt, **{k: getattr(call, k) for k in keywords})

            self._next = run
        elif isinstance(replies, Sequence) and all(isinstance(r, str) for r in replies):
            queue = list(replies)

            def pop(call: ScriptedCall) -> str:
                if not queue:
                    raise ScriptExhausted(f"the script had {len(replies)} replies and call {len(self.calls)} asked for one more.")
                return queue.pop(0)

            self._next = pop
        else:
            raise InputTypeError("replies must be a string, a list of strings or a function of the prompt returning a string.")
        return self

    def _reply(self, call: ScriptedCall) -> str:
        self.calls.append(call)
        return require_text(self._next(call), "the scripted reply", allow_empty=True)

    @property
    def prompts(self) -> list[str]:
        """The prompts sent so far, in order."""
        return [c.prompt for c in self.calls]

    def __enter__(self) -> "ScriptedModel":
        if self._stack is not None:
            raise RuntimeError("this ScriptedModel is already active; use one `with` block at a time.")
        self._stack = ExitStack()
        self._stack.enter_context(backend_override(self.backend, replaces=self.replaces))
        return self

    def __exit__(self, *exc) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
